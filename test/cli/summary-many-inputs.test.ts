import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const OKTA = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');

/**
 * Writes `count` copies of the timed records of the Okta fixture (its last record has no time)
 * into a new folder. Copy 7 gets a line of text too.
 */
function folderOf(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-many-inputs-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const records = readFileSync(OKTA, 'utf8').split('\n').filter(Boolean).slice(0, -1);
  const text = `${records.join('\n')}\n`;
  for (let index = 0; index < count; index++) {
    const name = `okta-${String(index).padStart(3, '0')}.ndjson`;
    writeFileSync(join(logs, name), index === 7 ? `${text}not a record\n` : text);
  }
  return dir;
}

function inputLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('  '));
}

describe('scan summary of many inputs', () => {
  it('lists every input up to fifty', () => {
    const dir = folderOf(50);
    const result = runCli(['scan', '--db', ':memory:', '--output', 'ndjson', join(dir, 'logs')]);
    assert.equal(result.status, 0, result.stderr);
    const lines = inputLines(result.stderr).filter((line) => line.includes('okta-'));
    assert.equal(lines.length, 50);
    assert.doesNotMatch(result.stderr, /more inputs read whole/);
  });

  it('lists only inputs with notes past fifty', () => {
    const dir = folderOf(60);
    const db = join(dir, 'alerts.db');
    const result = runCli(['scan', '--db', db, '--output', 'ndjson', join(dir, 'logs')]);
    assert.equal(result.status, 0, result.stderr);

    const lines = inputLines(result.stderr).filter((line) => line.includes('okta-'));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] as string,
      /okta-007\.ndjson \[okta-system-log\] \d+ read, .* 1 rejected/,
    );
    assert.ok(
      result.stderr.includes(
        `  and 59 more inputs read whole, without rejections or damage; the scan_files table of ${db} has a row for every input\n`,
      ),
      result.stderr,
    );

    const store = new Database(db, { readonly: true });
    const rows = store.prepare('SELECT COUNT(*) AS count FROM scan_files').get() as {
      count: number;
    };
    store.close();
    assert.equal(rows.count, 60);
  });
});
