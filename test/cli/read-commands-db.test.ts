import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';

const READ_COMMANDS: [string, string[]][] = [
  ['explain', ['explain', '0123abcd']],
  ['baseline show', ['baseline', 'show']],
];

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-read-db-'));
}

describe('read commands and --db', () => {
  for (const [name, args] of READ_COMMANDS) {
    it(`${name} creates no missing database`, () => {
      const dir = temp();
      const db = join(dir, 'alerts.db');
      const result = runCli([...args, '--db', db]);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr,
        `trustwatch: ${db}: database not found; a scan with --db ${db} creates it\n`,
      );
      assert.deepEqual(readdirSync(dir), []);
    });

    it(`${name} leaves a foreign SQLite file unchanged`, () => {
      const dir = temp();
      const db = join(dir, 'other.db');
      const other = new Database(db);
      other.exec('CREATE TABLE notes (text TEXT)');
      other.close();
      const before = readFileSync(db);

      const result = runCli([...args, '--db', db]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /other\.db: not a trustwatch database: /);
      assert.deepEqual(readFileSync(db), before);
      assert.deepEqual(readdirSync(dir), ['other.db']);
    });

    it(`${name} rejects an empty file as no database`, () => {
      const dir = temp();
      const db = join(dir, 'empty.db');
      writeFileSync(db, '');
      const result = runCli([...args, '--db', db]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /empty\.db: not a trustwatch database: /);
      assert.equal(readFileSync(db).length, 0);
    });
  }

  it('baseline show rejects :memory:', () => {
    const result = runCli(['baseline', 'show', '--db', ':memory:']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /baseline show reads a database file; :memory: keeps no baselines/);
  });

  it('reads a database a scan made', () => {
    const dir = temp();
    const db = join(dir, 'alerts.db');
    const scan = runCli([
      'scan',
      '--context',
      'examples/scenario-an1344-rdp-msp-chain/trustwatch.yaml',
      '--learn',
      '--db',
      db,
      '--output',
      'ndjson',
      'examples/scenario-an1344-rdp-msp-chain/logs',
    ]);
    assert.equal(scan.status, 0, scan.stderr);
    const show = runCli(['baseline', 'show', '--db', db]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /^party\tAcme IT Services\t/m);
    const explain = runCli(['explain', '--db', db, 'ffffffff']);
    assert.equal(explain.status, 2);
    assert.match(explain.stderr, /no alert with id ffffffff in /);
    assert.ok(existsSync(db));
  });
});
