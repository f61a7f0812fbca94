// Bundles the compiled CLI (dist/) into CommonJS files: dist/cli/trustwatch.cjs, which
// bin/trustwatch.js loads, and dist/pipeline/scan-worker.cjs for the worker threads. Node.js 20
// took 0.30 to 0.33 s for `trustwatch --version` with the 350 ES modules of the CLI and its
// packages, and 0.16 s with the bundle. A bundle is one file to read and compile, with no module
// resolution or linking.
//
// Each bundle sits beside the module it starts from (dist/cli/main.js, the worker thread's
// dist/pipeline/scan-worker.js), so that paths the code builds from its own location (the
// shipped rules, the worker thread's module, data packages) resolve as they do from the modules.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/**
 * Returns the build id (src/cli/build-id.ts): a hash of the compiled modules and of the package
 * lock, whose packages the bundles take in. A build of other code gets another id, so it reads
 * no cache that names this one.
 */
function buildId() {
  const hash = createHash('sha256');
  const modules = readdirSync(dist, { recursive: true })
    .filter((path) => path.endsWith('.js'))
    .sort();
  for (const path of modules) hash.update(`${path}\0`).update(readFileSync(join(dist, path)));
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('base64url').slice(0, 22);
}

/** Options of every bundle: CommonJS for Node.js 20, with the native addon left out. */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // A native addon cannot be bundled, so it is loaded from node_modules as before.
  external: ['better-sqlite3'],
  // CommonJS has no `import.meta`: its URL becomes the bundle's own.
  define: {
    'import.meta.url': '__bundleUrl',
    __TRUSTWATCH_BUILD__: JSON.stringify(buildId()),
  },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

await build({
  ...common,
  stdin: {
    contents: [
      "export { main } from './main.js';",
      "export { escapeControlLines } from '../model/terminal-text.js';",
    ].join('\n'),
    resolveDir: join(dist, 'cli'),
    sourcefile: 'bundle-entry.js',
  },
  outfile: join(dist, 'cli', 'trustwatch.cjs'),
});

// The worker thread of `scan --workers`, which scan-pool.ts starts in place of its module.
await build({
  ...common,
  entryPoints: [join(dist, 'pipeline', 'scan-worker.js')],
  outfile: join(dist, 'pipeline', 'scan-worker.cjs'),
});
