import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** How many rejected records `scan` logs with their file and line, by `--log-rejections`. */

const OKTA = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
const dir = mkdtempSync(join(tmpdir(), 'trustwatch-log-rejections-'));
const input = join(dir, 'okta.ndjson');
const good = readFileSync(OKTA, 'utf8').split('\n').filter(Boolean);
// Eight lines cut short, each after a whole record.
const lines = good.flatMap((line, index) => (index < 8 ? [line, line.slice(0, 40)] : [line]));
writeFileSync(input, `${lines.join('\n')}\n`);
const cutLines = lines.flatMap((line, index) => (line.length === 40 ? [index + 1] : []));

function scan(...args: string[]) {
  return runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'hits', ...args, input], {
    cwd: dir,
  });
}

/** Returns the count of rejected records in the scan summary. */
function rejected(stderr: string): number {
  return Number(/ (\d+) rejected/.exec(stderr)?.[1]);
}

/** Returns the count of the `more records rejected` line, or 0 without one. */
function moreCount(stderr: string): number {
  return Number(/more records rejected file=\S+ count=(\d+) /.exec(stderr)?.[1] ?? 0);
}

function loggedLines(stderr: string): number[] {
  return [
    ...stderr.matchAll(/record rejected file=\S+ line=(\d+) record=\d+ code=invalid_json/g),
  ].map((match) => Number(match[1]));
}

describe('--log-rejections', () => {
  it('logs five by default', () => {
    const result = scan();

    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(loggedLines(result.stderr), cutLines.slice(0, 5));
    assert.equal(moreCount(result.stderr), rejected(result.stderr) - 5);
  });

  it('logs every one with all', () => {
    const result = scan('--log-rejections', 'all');

    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(loggedLines(result.stderr), cutLines);
    assert.equal(moreCount(result.stderr), 0);
    assert.ok(rejected(result.stderr) >= cutLines.length);
  });

  it('logs none with 0', () => {
    const result = scan('--log-rejections', '0');

    assert.deepEqual(loggedLines(result.stderr), []);
    assert.equal(moreCount(result.stderr), rejected(result.stderr));
  });

  it('rejects a value that is no count', () => {
    for (const value of ['some', '', '-1', '2.5']) {
      const result = scan('--log-rejections', value);

      assert.equal(result.status, 2, value);
      const message = `--log-rejections must be a whole number from 0 or "all", not "${value}"`;
      assert.ok(result.stderr.includes(message), result.stderr);
    }
  });
});
