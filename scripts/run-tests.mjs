// Runs every test/**/*.test.ts file with node:test (Node 20 cannot expand globs for --test).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...find(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = find('test').filter(
  (file) => filter.length === 0 || filter.some((part) => file.includes(part)),
);
// The commands that tests run keep their parsed-rule cache in a folder of this run, not in the
// user's cache folder. The first rule load of the run fills it and the later ones read it.
const cacheDir = mkdtempSync(join(tmpdir(), 'trustwatch-test-cache-'));
const env = { ...process.env, TRUSTWATCH_CACHE_DIR: process.env.TRUSTWATCH_CACHE_DIR ?? cacheDir };
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env },
);
rmSync(cacheDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
