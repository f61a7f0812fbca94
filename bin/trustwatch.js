#!/usr/bin/env node
// Entry point of the `trustwatch` command. It runs the CLI that the build bundles into one file
// (scripts/bundle-cli.mjs), which loads in half the time of the compiled modules. When the
// bundle is missing, as after `tsc` alone, it runs those modules.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cli = await loadCli();

cli.main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    const text = cli.escapeControlLines(String(error?.stack ?? error));
    process.stderr.write(`trustwatch: internal error: ${text}\n`);
    process.exitCode = 3;
  },
);

async function loadCli() {
  const bundle = new URL('../dist/cli/trustwatch.cjs', import.meta.url);
  if (existsSync(bundle)) return require(fileURLToPath(bundle));

  const [{ main }, { escapeControlLines }] = await Promise.all([
    import('../dist/cli/main.js'),
    import('../dist/model/terminal-text.js'),
  ]);
  return { main, escapeControlLines };
}
