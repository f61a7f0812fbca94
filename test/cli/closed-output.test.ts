import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startCli } from '../helpers/cli-child.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * A reader that closes standard output early (`| head`, a forwarder that exits) must not cut a
 * scan short: the scan goes on to store and report every alert, and reports how many reached
 * standard output. Other commands end without a stack trace and with their usual status.
 */

const CONTEXT = 'examples/trustwatch.yaml';
const OTRF_SLICE = 'examples/logs/windows-otrf/empire-psexec-dcerpc-svcctl.auth-slice.json';
const ALERTS = 500;

let dir: string;
let input: string;

/**
 * Writes copies of the real 4697 record (a service that `pgustavo` of the context's Shire Remote
 * Support installs) from the OTRF slice of the examples (MIT, examples/README.md), one second
 * apart. Each copy raises one alert of about 1.3 KB of NDJSON, so the output is many times what
 * a pipe holds.
 */
function writeServiceInstalls(path: string, count: number): void {
  const lines = readFileSync(join(REPO_ROOT, OTRF_SLICE), 'utf8').split('\n');
  const record = JSON.parse(lines.find((line) => line.includes('"EventID":4697')) as string);
  const start = Date.parse('2020-09-20T12:16:56Z');
  const copies: string[] = [];
  for (let index = 0; index < count; index++) {
    const time = new Date(start + index * 1000).toISOString();
    copies.push(
      JSON.stringify({ ...record, EventTime: `${time.slice(0, 10)} ${time.slice(11, 19)}` }),
    );
  }
  writeFileSync(path, `${copies.join('\n')}\n`);
}

function storedAlerts(db: string): number {
  const reader = new Database(db, { readonly: true });
  const row = reader.prepare('SELECT COUNT(*) AS count FROM alerts').get() as { count: number };
  reader.close();
  return row.count;
}

function scanRow(db: string): Record<string, unknown> {
  const reader = new Database(db, { readonly: true });
  const row = reader.prepare('SELECT * FROM scans').get() as Record<string, unknown>;
  reader.close();
  return row;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trustwatch-closed-output-'));
  input = join(dir, 'service-installs.json');
  writeServiceInstalls(input, ALERTS);
});

describe('scan with standard output closed after the first line', () => {
  it('stores and reports every alert and exits with 2', async () => {
    const db = join(dir, 'first-line.db');
    const report = join(dir, 'first-line.html');
    const args = ['scan', '--context', CONTEXT, '--db', db, '--report', report, '--no-progress'];
    const child = startCli([...args, '--output', 'ndjson', input]);
    child.process.stdin.end();
    const seen = await child.waitForStdout((text) => text.includes('\n'));
    child.closeStdout();
    const result = await child.exited;

    assert.equal(result.status, 2, result.stderr);
    const line = lastLine(result.stderr);
    const match =
      /^trustwatch: standard output was closed after (\d+) of 500 alerts were written to it; all 500 are stored in (.+) and in the report (.+)$/.exec(
        line,
      );
    assert.ok(match, line);
    const written = Number(match[1]);
    assert.ok(written >= seen.split('\n').length - 1, `${written} written, ${seen.length} read`);
    assert.ok(written < ALERTS);
    assert.equal(match[2], db);
    assert.equal(match[3], report);
    assert.doesNotMatch(result.stderr, /internal error|\n {4}at /);

    assert.equal(storedAlerts(db), ALERTS);
    const row = scanRow(db);
    assert.equal(typeof row.finished_at, 'string');
    assert.equal(row.interrupted_at, null);
    assert.equal(row.alerts_raised, ALERTS);
    const stats = JSON.parse(row.stats_json as string);
    assert.deepEqual(stats.outputFailure, { error: 'EPIPE', alertsWritten: written });
    assert.match(readFileSync(report, 'utf8'), /<b>500<\/b> medium/);
  });
});

describe('scan with standard output closed before any output', () => {
  for (const output of ['ndjson', 'json', 'ocsf', 'table', 'hits']) {
    it(`--output ${output} loses all alerts and keeps them in the database`, async () => {
      const db = join(dir, `at-once-${output}.db`);
      const child = startCli(['scan', '--context', CONTEXT, '--db', db, '--output', output, input]);
      child.closeStdout();
      child.process.stdin.end();
      const result = await child.exited;

      assert.equal(result.status, 2, result.stderr);
      assert.equal(
        lastLine(result.stderr),
        `trustwatch: standard output was closed after 0 of 500 alerts were written to it; all 500 are stored in ${db}`,
      );
      assert.match(result.stderr, /^Alerts: 500 \(500 new in /m);
      assert.equal(storedAlerts(db), ALERTS);
      assert.equal(typeof scanRow(db).finished_at, 'string');
    });
  }

  it('says the alerts are lost with --db :memory: and no report', async () => {
    const child = startCli(['scan', '--context', CONTEXT, '--db', ':memory:', input]);
    child.closeStdout();
    child.process.stdin.end();
    const result = await child.exited;

    assert.equal(result.status, 2, result.stderr);
    assert.equal(
      lastLine(result.stderr),
      'trustwatch: standard output was closed after 0 of 500 alerts were written to it; the other 500 are lost, because --db :memory: keeps nothing',
    );
  });

  it('keeps status 0 when the scan raised no alert', async () => {
    const child = startCli(['scan', '--db', ':memory:', '--output', 'json', input]);
    child.closeStdout();
    child.process.stdin.end();
    const result = await child.exited;

    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      lastLine(result.stderr),
      'trustwatch: standard output was closed after 0 of 0 alerts were written to it; no alert was lost',
    );
  });
});

describe('scan with standard error closed', () => {
  it('writes every alert and stores the scan', async () => {
    const db = join(dir, 'stderr-closed.db');
    const child = startCli(['scan', '--context', CONTEXT, '--db', db, '--output', 'ndjson', input]);
    child.process.stderr.destroy();
    child.process.stdin.end();
    const result = await child.exited;

    assert.equal(result.status, 0);
    assert.equal(result.stdout.trimEnd().split('\n').length, ALERTS);
    assert.equal(storedAlerts(db), ALERTS);
    assert.equal(typeof scanRow(db).finished_at, 'string');
  });
});

describe('commands with standard output closed', () => {
  let db: string;
  let alertId: string;

  before(async () => {
    db = join(dir, 'read-commands.db');
    const scan = startCli(['scan', '--context', CONTEXT, '--db', db, '--learn', input]);
    scan.process.stdin.end();
    const result = await scan.exited;
    assert.equal(result.status, 0, result.stderr);
    alertId = (JSON.parse(result.stdout.split('\n')[0] as string) as { id: string }).id;
  });

  const commands: [string, () => string[]][] = [
    ['formats', () => ['formats']],
    ['rules check', () => ['rules', 'check']],
    ['explain', () => ['explain', '--db', db, alertId]],
    ['explain --json', () => ['explain', '--json', '--db', db, alertId]],
    ['baseline show', () => ['baseline', 'show', '--db', db]],
    ['eval', () => ['eval', 'test/cases/an1344-party-wmic-node']],
    ['help', () => ['scan', '--help']],
  ];
  for (const [name, args] of commands) {
    it(`${name} ends with its usual status and no stack trace`, async () => {
      const open = startCli(args());
      open.process.stdin.end();
      const expected = await open.exited;
      assert.ok(expected.stdout.length > 0, `${name} writes to standard output`);

      const closed = startCli(args());
      closed.closeStdout();
      closed.process.stdin.end();
      const result = await closed.exited;

      assert.equal(result.status, expected.status);
      assert.equal(result.stderr, expected.stderr);
    });
  }
});
