// Bundles the compiled CLI (dist/) into one CommonJS file, dist/cli/trustwatch.cjs, which
// bin/trustwatch.js loads. Node.js 20 took 0.30 to 0.33 s for `trustwatch --version` with the
// 350 ES modules of the CLI and its packages, and 0.16 s with the bundle: one file to read and
// compile, and no module resolution or linking.
//
// The bundle sits in dist/cli/ beside main.js, so that paths the code builds from its own
// location (the shipped rules, the worker thread's module, data packages) resolve as they do
// from the modules. Worker threads still load the modules of dist/.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist', 'cli');

await build({
  stdin: {
    contents: [
      "export { main } from './main.js';",
      "export { escapeControlLines } from '../model/terminal-text.js';",
    ].join('\n'),
    resolveDir: cliDir,
    sourcefile: 'bundle-entry.js',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: join(cliDir, 'trustwatch.cjs'),
  // A native addon cannot be bundled, so it is loaded from node_modules as before.
  external: ['better-sqlite3'],
  // CommonJS has no `import.meta`: its URL becomes the bundle's own.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
