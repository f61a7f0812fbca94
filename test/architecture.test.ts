import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/shared.js';

/**
 * The source tree follows the data flow: a folder imports only folders listed before it, and no
 * core folder imports an entry point. This keeps parsers free of rules and sinks free of engines.
 */

const ORDER = [
  'model',
  'input',
  'sources',
  'context',
  'enrich',
  'rules',
  'engine',
  'alert',
  'sinks',
  'pipeline',
  'cli',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('source layout', () => {
  it('imports only from folders earlier in the data flow', () => {
    const src = join(REPO_ROOT, 'src');
    const violations: string[] = [];
    for (const file of files(src)) {
      const folder = relative(src, file).split('/')[0] as string;
      const rank = ORDER.indexOf(folder);
      assert.ok(rank >= 0 || folder.endsWith('.ts'), `folder ${folder} is not in the layout`);
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(src, join(file, '..', match[1] as string)).split('/')[0] as string;
        const targetRank = ORDER.indexOf(target);
        if (targetRank > rank) violations.push(`${relative(REPO_ROOT, file)} imports ${match[1]}`);
      }
    }
    assert.deepEqual(violations, []);
  });
});
