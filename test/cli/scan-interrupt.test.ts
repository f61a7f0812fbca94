import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startCli } from '../helpers/cli-child.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * SIGINT and SIGTERM during a scan: the scan stops reading, stores what it detected, marks the
 * scan as interrupted in the database, writes a partial report and exits with 130 or 143.
 */

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';
const OTRF_SLICE = 'examples/logs/windows-otrf/empire-psexec-dcerpc-svcctl.auth-slice.json';

/**
 * The synthetic case's party. A reorder buffer of one event lets alerts out while standard input
 * is still open, since the merge holds back a buffer's worth of matched events per input.
 */
const CONTEXT = `parties:
  - name: Acme IT Services
    kind: msp
    accounts: ["CONTOSO\\\\acme-*", "acme-*@contoso.com"]
    networks: ["198.51.100.0/26"]
    expected: { hosts: ["APP01*", "APP02*"], hours: "Mon-Fri 08:00-18:00 Europe/Berlin" }
settings:
  reorder_buffer: 1
`;

/** The first_time of the alert that shows every event up to the markers was correlated. */
const MARKER_TIME = '2024-03-12T22:53:00.000Z';

let dir: string;
let context: string;
let chainInput: string;

/**
 * Builds standard input from the synthetic AN1344 case: its first 89 events, which end with the
 * chain's lateral movement step at 22:52:34, then two copies of its 22:41:07 logon at 22:53:00
 * and 22:53:30 as markers. The chain is then complete, but its windows are still open.
 */
function chainUpToMarkers(): string {
  const xml = readFileSync(join(REPO_ROOT, CASE_LOG), 'utf8');
  const events = xml.match(/<Event [\s\S]*?<\/Event>/g) ?? [];
  assert.equal(events.length, 165);
  const logon = events[72] as string;
  assert.match(logon, /SystemTime='2024-03-12T22:41:07.4821130Z'/);
  const marker = (time: string, recordId: number) =>
    logon
      .replace(/SystemTime='[^']*'/, `SystemTime='${time}'`)
      .replace(/<EventRecordID>\d+</, `<EventRecordID>${recordId}<`);
  return [
    '<Events>',
    ...events.slice(0, 89),
    marker('2024-03-12T22:53:00.0000000Z', 9000001),
    marker('2024-03-12T22:53:30.0000000Z', 9000002),
    '',
  ].join('\n');
}

interface StoredScan {
  alerts: string[];
  scan: Record<string, unknown>;
  files: Record<string, unknown>[];
}

function readStore(db: string): StoredScan {
  const reader = new Database(db, { readonly: true });
  const alerts = reader.prepare('SELECT id FROM alerts ORDER BY id').all() as { id: string }[];
  const scan = reader.prepare('SELECT * FROM scans').get() as Record<string, unknown>;
  const files = reader.prepare('SELECT * FROM scan_files ORDER BY path').all();
  reader.close();
  return { alerts: alerts.map((row) => row.id), scan, files: files as Record<string, unknown>[] };
}

function alertsOf(stdout: string): { id: string; first_time: string; rule: { type: string } }[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trustwatch-interrupt-'));
  context = join(dir, 'trustwatch.yaml');
  writeFileSync(context, CONTEXT);
  chainInput = chainUpToMarkers();
});

describe('scan stopped by a signal while standard input is open', () => {
  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} stores what was detected and exits with ${status}`, async () => {
      const db = join(dir, `${signal}.db`);
      const report = join(dir, `${signal}.html`);
      const child = startCli([
        'scan',
        '--context',
        context,
        '--db',
        db,
        '--report',
        report,
        '--output',
        'ndjson',
        '--no-progress',
        '-',
      ]);
      // Standard input stays open: the scan can end only by the signal.
      child.process.stdin.write(chainInput);
      await child.waitForStdout((text) => text.includes(`"first_time":"${MARKER_TIME}"`));
      child.process.kill(signal);
      const result = await child.exited;
      child.process.stdin.destroy();

      assert.equal(result.status, status, result.stderr);
      assert.equal(
        lastLine(result.stderr),
        `trustwatch: scan interrupted by ${signal}: 4 alerts stored in ${db} (4 new); 0 of 1 inputs were read in full; 1 open chain (complete) was dropped, not raised as an alert`,
      );
      assert.match(
        result.stderr,
        /^ {2}- \[windows-xml\] \d+ read, .*; interrupted before its end$/m,
      );
      assert.match(result.stderr, new RegExp(`^Report written to ${report} \\(partial\\)$`, 'm'));

      // The second marker was held in the reorder buffer at the stop, and is raised after it.
      const printed = alertsOf(result.stdout);
      assert.deepEqual(
        printed.map((alert) => alert.first_time),
        [
          '2024-03-12T22:41:07.482Z',
          '2024-03-12T22:46:06.482Z',
          '2024-03-12T22:53:00.000Z',
          '2024-03-12T22:53:30.000Z',
        ],
      );
      assert.ok(printed.every((alert) => alert.rule.type === 'detection'));

      const stored = readStore(db);
      assert.deepEqual(stored.alerts, printed.map((alert) => alert.id).sort());
      assert.equal(stored.scan.finished_at, null);
      assert.equal(typeof stored.scan.interrupted_at, 'string');
      assert.equal(stored.scan.interrupted_by, signal);
      assert.equal(stored.scan.alerts_raised, 4);
      assert.equal(stored.files.length, 1);
      assert.equal(stored.files[0]?.path, '-');
      assert.equal(stored.files[0]?.interrupted, 1);

      const html = readFileSync(report, 'utf8');
      assert.match(html, /<h2>Partial report<\/h2>/);
      assert.match(
        html,
        new RegExp(`The scan was interrupted by ${signal} with 0 of 1 inputs read in full`),
      );
    });
  }

  it('raises the chain when the same input ends instead', async () => {
    const db = join(dir, 'ended.db');
    const child = startCli(['scan', '--context', context, '--db', db, '--output', 'ndjson', '-']);
    child.process.stdin.end(`${chainInput}</Events>\n`);
    const result = await child.exited;

    assert.equal(result.status, 0, result.stderr);
    const printed = alertsOf(result.stdout);
    assert.equal(printed.length, 5);
    assert.equal(printed.filter((alert) => alert.rule.type === 'chain').length, 1);
    const stored = readStore(db);
    assert.equal(typeof stored.scan.finished_at, 'string');
    assert.equal(stored.scan.interrupted_at, null);
    assert.equal(stored.files[0]?.interrupted, 0);
  });
});

describe('scan with worker threads stopped by SIGINT', () => {
  it('marks the inputs it did not finish and stores every alert it printed', async () => {
    const folder = join(dir, 'parts');
    mkdirSync(folder);
    writeParts(folder, 40, 200);
    const partsContext = join(dir, 'parts.yaml');
    writeFileSync(
      partsContext,
      [
        'parties:',
        '  - name: Shire Remote Support',
        '    kind: contractor',
        '    accounts: ["THESHIRE\\\\pgustavo"]',
        'settings:',
        '  reorder_buffer: 1',
        '',
      ].join('\n'),
    );
    const db = join(dir, 'parts.db');
    const args = ['scan', '--context', partsContext, '--workers', '2', '--db', db, folder];
    const child = startCli([...args, '--output', 'ndjson', '--no-progress']);
    child.process.stdin.end();
    await child.waitForStdout((text) => text.includes('\n'));
    child.process.kill('SIGINT');
    const result = await child.exited;

    assert.equal(result.status, 130, result.stderr);
    const match =
      /^trustwatch: scan interrupted by SIGINT: (\d+) alerts? stored in (.+) \((\d+) new\); (\d+) of 40 inputs were read in full$/.exec(
        lastLine(result.stderr),
      );
    assert.ok(match, lastLine(result.stderr));
    const alerts = Number(match[1]);
    const readInFull = Number(match[4]);
    assert.equal(match[2], db);

    // Each input contains 200 matched events and a thread sends two before the merge takes them,
    // so the stop comes long before the 8,000 alerts of the whole folder.
    const printed = alertsOf(result.stdout);
    assert.equal(printed.length, alerts);
    assert.ok(alerts < 8000);
    assert.ok(readInFull < 40);
    const stored = readStore(db);
    assert.deepEqual(stored.alerts, printed.map((alert) => alert.id).sort());
    assert.equal(stored.scan.interrupted_by, 'SIGINT');
    assert.equal(stored.files.length, 40);
    const cut = stored.files.filter((file) => file.interrupted === 1);
    assert.equal(cut.length, 40 - readInFull);
    const read = stored.files.reduce((sum, file) => sum + Number(file.records_read), 0);
    assert.equal(stored.scan.records_read, read);
  });
});

/**
 * Writes `files` inputs of `records` copies each of the real 4697 record (a service that
 * `pgustavo` installs) from the OTRF slice of the examples (MIT, examples/README.md), one second
 * apart across all files.
 */
function writeParts(folder: string, files: number, records: number): void {
  const lines = readFileSync(join(REPO_ROOT, OTRF_SLICE), 'utf8').split('\n');
  const record = JSON.parse(lines.find((line) => line.includes('"EventID":4697')) as string);
  const start = Date.parse('2020-09-20T12:16:56Z');
  for (let file = 0; file < files; file++) {
    const copies: string[] = [];
    for (let index = 0; index < records; index++) {
      const time = new Date(start + (file * records + index) * 1000).toISOString();
      const eventTime = `${time.slice(0, 10)} ${time.slice(11, 19)}`;
      copies.push(JSON.stringify({ ...record, EventTime: eventTime }));
    }
    writeFileSync(
      join(folder, `part-${String(file).padStart(2, '0')}.json`),
      `${copies.join('\n')}\n`,
    );
  }
}
