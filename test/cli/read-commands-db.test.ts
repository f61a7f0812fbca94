import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseAlerts, runCli, unprivileged } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

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

  describe('a database on a read-only share', () => {
    /** Scans the bundled case into `DIR/share/alerts.db` and returns the paths and alert ids. */
    function scanned(): { dir: string; share: string; db: string; ids: string[] } {
      const dir = temp();
      chmodSync(dir, 0o755);
      const share = join(dir, 'share');
      mkdirSync(share);
      const db = join(share, 'alerts.db');
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
      const ids = parseAlerts(scan.stdout).map((alert) => String(alert.id));
      assert.ok(ids.length > 0, 'the bundled case raises alerts');
      return { dir, share, db, ids };
    }

    /** SQLite's journal mode byte pair at offset 18 of the header: 1 rollback, 2 write-ahead. */
    function journalMode(db: string): number {
      return readFileSync(db)[18] as number;
    }

    it('leaves the database one file in rollback journal mode', () => {
      const { share, db } = scanned();
      assert.equal(journalMode(db), 1);
      assert.deepEqual(readdirSync(share), ['alerts.db']);
    });

    it('explains and shows baselines from a file and folder that cannot be written', (t) => {
      const user = unprivileged(t);
      if (!user) return;
      const { share, db, ids } = scanned();
      const before = readFileSync(db);
      chmodSync(db, 0o444);
      chmodSync(share, 0o555);
      const as = user === 'self' ? {} : { user };

      const explain = runCli(['explain', '--db', db, ids[0] as string], as);
      assert.equal(explain.status, 0, explain.stderr);
      assert.match(explain.stdout, new RegExp(ids[0] as string));
      const show = runCli(['baseline', 'show', '--db', db], as);
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, /^party\tAcme IT Services\t/m);

      assert.deepEqual(readFileSync(db), before);
      assert.deepEqual(readdirSync(share), ['alerts.db']);
    });

    it('names the fix for a read-only database left in write-ahead log mode', (t) => {
      const user = unprivileged(t);
      if (!user) return;
      const { dir, db, ids } = scanned();
      const left = join(dir, 'left');
      mkdirSync(left);
      const copy = join(left, 'alerts.db');
      copyFileSync(db, copy);
      const wal = new Database(copy);
      wal.pragma('journal_mode = WAL');
      wal.close();
      assert.equal(journalMode(copy), 2);
      chmodSync(copy, 0o444);
      chmodSync(left, 0o555);

      const explain = runCli(['explain', '--db', copy, ids[0] as string], {
        ...(user === 'self' ? {} : { user }),
      });
      assert.equal(explain.status, 2);
      assert.equal(explain.stdout, '');
      assert.match(
        explain.stderr,
        /^trustwatch: \S+alerts\.db: failed to open the database: .+\. The file or its folder is read-only, .+ copy it to a writable folder\n$/,
      );
    });

    it('tells a scan in a read-only folder to give --db', (t) => {
      const user = unprivileged(t);
      if (!user) return;
      const { share } = scanned();
      chmodSync(share, 0o555);
      const input = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs');
      const scan = runCli(['scan', input], {
        cwd: share,
        ...(user === 'self' ? {} : { user }),
      });
      assert.equal(scan.status, 2);
      assert.equal(
        scan.stderr,
        'trustwatch: trustwatch.db: failed to open the database: unable to open database file. Give --db a path in a writable folder, or --db :memory: to keep no alerts\n',
      );
    });
  });
});
