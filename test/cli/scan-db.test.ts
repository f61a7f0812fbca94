import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/sinks/sqlite-migrations.js';
import { runCli } from '../helpers/cli.js';

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-scan-db-'));
}

function scan(db: string) {
  return runCli(['scan', '--db', db, '--output', 'ndjson', '--no-progress', CASE_LOG]);
}

/** Writes a SQLite file with the given SQL and returns its bytes. */
function makeDatabase(path: string, sql: string): Buffer {
  const db = new Database(path);
  db.exec(sql);
  db.close();
  return readFileSync(path);
}

function versions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
  db.close();
  return (rows as { version: number }[]).map((row) => row.version);
}

describe('scan --db', () => {
  it('rejects a file with an alerts table of its own', () => {
    const dir = temp();
    const db = join(dir, 'other.db');
    const before = makeDatabase(db, 'CREATE TABLE alerts (id TEXT, note TEXT)');

    const result = scan(db);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `trustwatch: ${db}: not a trustwatch database: it has tables alerts and no schema_migrations table, so it is left unchanged. Give --db a new file.\n`,
    );
    assert.deepEqual(readFileSync(db), before);
    assert.deepEqual(readdirSync(dir), ['other.db']);
  });

  it('rejects a file of unrelated tables', () => {
    const dir = temp();
    const db = join(dir, 'app.db');
    const before = makeDatabase(db, 'CREATE TABLE users (name TEXT); CREATE TABLE orders (id INT)');

    const result = scan(db);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      `trustwatch: ${db}: not a trustwatch database: it has tables orders, users and no schema_migrations table, so it is left unchanged. Give --db a new file.\n`,
    );
    assert.deepEqual(readFileSync(db), before);
  });

  it('rejects a newer schema version', () => {
    const dir = temp();
    const db = join(dir, 'alerts.db');
    assert.equal(scan(db).status, 0);
    const writer = new Database(db);
    writer.prepare('INSERT INTO schema_migrations VALUES (99, ?)').run('2030-01-01T00:00:00Z');
    writer.close();
    const before = readFileSync(db);

    const result = scan(db);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      `trustwatch: ${db}: the database has schema version 99, newer than version 4 of this trustwatch, so it is left unchanged. Upgrade trustwatch to use it.\n`,
    );
    assert.deepEqual(readFileSync(db), before);

    const explain = runCli(['explain', '--db', db, '0123abcd']);
    assert.equal(explain.status, 2);
    assert.match(explain.stderr, /schema version 99, newer than version 4/);
  });

  it('sets up an empty file', () => {
    const dir = temp();
    const db = join(dir, 'empty.db');
    writeFileSync(db, '');
    const result = scan(db);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(versions(db), [1, 2, 3, 4]);
  });

  it('creates a missing file', () => {
    const dir = temp();
    const db = join(dir, 'new.db');
    const result = scan(db);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(db));
    assert.deepEqual(versions(db), [1, 2, 3, 4]);
  });

  it('migrates a version 2 database and keeps its scans', () => {
    const dir = temp();
    const db = join(dir, 'version2.db');
    const old = new Database(db);
    old.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    for (const migration of SQLITE_MIGRATIONS.filter((item) => item.version <= 2)) {
      old.exec(migration.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(migration.version, 'then');
    }
    old
      .prepare('INSERT INTO scans (started_at, finished_at, paths_json) VALUES (?, ?, ?)')
      .run('2024-01-01T00:00:00.000Z', '2024-01-01T00:01:00.000Z', '["old.xml"]');
    old.close();

    const result = scan(db);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(versions(db), [1, 2, 3, 4]);
    const reader = new Database(db, { readonly: true });
    const scans = reader
      .prepare('SELECT paths_json, finished_at, interrupted_at, interrupted_by FROM scans')
      .all() as Record<string, unknown>[];
    const files = reader.prepare('SELECT interrupted FROM scan_files').all();
    reader.close();
    assert.deepEqual(
      scans.map((row) => row.paths_json),
      ['["old.xml"]', JSON.stringify([CASE_LOG])],
    );
    assert.equal(scans[0]?.finished_at, '2024-01-01T00:01:00.000Z');
    assert.equal(typeof scans[1]?.finished_at, 'string');
    for (const row of scans) {
      assert.equal(row.interrupted_at, null);
      assert.equal(row.interrupted_by, null);
    }
    assert.deepEqual(files, [{ interrupted: 0 }]);
  });

  it('rejects --learn with :memory:', () => {
    const result = runCli(['scan', '--learn', '--db', ':memory:', CASE_LOG]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'trustwatch: --learn keeps baselines in a database file, not :memory:\n',
    );
  });
});
