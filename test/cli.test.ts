import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseAlerts, runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const CASE = join(EXAMPLES, 'scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs/app01-security.xml');
const CASE_CONTEXT = join(CASE, 'trustwatch.yaml');

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-cli-'));
}

describe('trustwatch scan', () => {
  it('raises the labelled chain alert on the bundled case', () => {
    const result = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const chains = parseAlerts(result.stdout).filter((alert) => alert.analytic === 'AN1344');
    assert.equal(chains.length, 1);
    const [alert] = chains as {
      party: string;
      actor: string;
      attack: string[];
      rule: { author: string };
      evidence: { step: number; record: number; file: string }[];
    }[];
    assert.equal(alert?.party, 'Acme IT Services');
    assert.equal(alert?.actor, 'CONTOSO\\acme-jlee');
    assert.ok(alert?.attack.includes('T1199'));
    assert.equal(alert?.rule.author, 'trustwatch');
    assert.deepEqual(
      alert?.evidence.map((item) => [item.step, item.record]),
      [
        [1, 73],
        [2, 74],
        [2, 86],
        [3, 88],
        [3, 89],
      ],
    );
    assert.equal(alert?.evidence[0]?.file, CASE_LOG);
    assert.match(
      result.stderr,
      /Scanned 1 inputs with \d+ rules: 165 records read, 165 parsed, 0 rejected/,
    );
  });

  it('exits with 1 under --fail-on-alert when alerts were raised', () => {
    const result = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      '--fail-on-alert',
      CASE_LOG,
    ]);
    assert.equal(result.status, 1);
  });

  it('adds nothing when the same input is scanned twice into one database', () => {
    const db = join(temp(), 'alerts.db');
    const first = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'ndjson',
      '--db',
      db,
      CASE_LOG,
    ]);
    const second = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'ndjson',
      '--db',
      db,
      CASE_LOG,
    ]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(second.status, 0, second.stderr);
    const raised = parseAlerts(first.stdout).length;
    assert.match(first.stderr, new RegExp(`Alerts: ${raised} \\(${raised} new in `));
    assert.match(second.stderr, new RegExp(`Alerts: ${raised} \\(0 new in `));
    assert.deepEqual(
      parseAlerts(first.stdout).map((alert) => alert.id),
      parseAlerts(second.stdout).map((alert) => alert.id),
    );
    const database = new Database(db, { readonly: true });
    const count = database.prepare('SELECT COUNT(*) AS count FROM alerts').get() as {
      count: number;
    };
    const scans = database.prepare('SELECT records_read, alerts_new FROM scans ORDER BY id').all();
    database.close();
    assert.equal(count.count, raised);
    assert.deepEqual(scans, [
      { records_read: 165, alerts_new: raised },
      { records_read: 165, alerts_new: 0 },
    ]);
  });

  it('reads standard input', () => {
    const result = runCli(
      ['scan', '--context', CASE_CONTEXT, '--output', 'ndjson', '--db', ':memory:', '-'],
      {
        input: readFileSync(CASE_LOG),
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const chain = parseAlerts(result.stdout).find((alert) => alert.analytic === 'AN1344') as
      | { evidence: { file: string }[] }
      | undefined;
    assert.equal(chain?.evidence[0]?.file, '-');
  });

  it('writes a JSON array with --output json and a table by choice', () => {
    const json = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'json',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(json.status, 0, json.stderr);
    assert.ok(Array.isArray(JSON.parse(json.stdout)));
    const table = runCli([
      'scan',
      '--context',
      CASE_CONTEXT,
      '--output',
      'table',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.match(
      table.stdout,
      /^CRITICAL {2}AN1344 Third-party access elevated and used to move laterally on Windows$/m,
    );
    assert.match(table.stdout, /severity 90: chain \+5, out_of_scope \+10, privileged_target \+10/);

    assert.match(table.stdout, /step 3 lateral .*app01-security\.xml:88 {2}4688 process created/);
  });

  it('reports an invalid context file with every problem and exits with 2', () => {
    const dir = temp();
    writeFileSync(
      join(dir, 'bad.yaml'),
      'parties:\n  - name: Acme\n    kind: reseler\n    networks: [10.0.0.0/40]\n',
    );
    const result = runCli([
      'scan',
      '--context',
      join(dir, 'bad.yaml'),
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /bad\.yaml:3:11: error config\.invalid_value: parties\.0\.kind/);
    assert.match(
      result.stderr,
      /bad\.yaml:4:16: error config\.custom: .*invalid network "10\.0\.0\.0\/40"/,
    );
  });

  it('exits with 2 on usage errors', () => {
    assert.equal(runCli(['scan', '--output', 'xml', '--db', ':memory:', CASE_LOG]).status, 2);
    assert.equal(runCli(['scan', '--db', ':memory:', '/nonexistent/path']).status, 2);
    assert.equal(runCli(['scan', '--format', 'nope', '--db', ':memory:', CASE_LOG]).status, 2);
    assert.equal(runCli(['scan']).status, 2);
    assert.equal(runCli(['frobnicate']).status, 2);
  });

  it('skips a rule that fails to load, or stops under --strict-rules', () => {
    const dir = temp();
    writeFileSync(
      join(dir, 'bad.yml'),
      'title: Bad\nlogsource: {product: windows}\ndetection:\n  sel: {Image|endswidth: x}\n  condition: sel\n',
    );
    const lenient = runCli([
      'scan',
      '--rules',
      dir,
      '--context',
      CASE_CONTEXT,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.match(lenient.stderr, /bad\.yml:4:9: error rule\.unknown_modifier/);
    assert.ok(parseAlerts(lenient.stdout).some((alert) => alert.analytic === 'AN1344'));
    const strict = runCli(['scan', '--strict-rules', '--rules', dir, '--db', ':memory:', CASE_LOG]);
    assert.equal(strict.status, 2);
    const lines = strict.stderr.trimEnd().split('\n');
    assert.equal(lines[0], 'trustwatch: invalid rules (1 problem)');
    assert.match(lines[1] ?? '', /bad\.yml:4:9: error rule\.unknown_modifier/);
    assert.equal(lines.filter((line) => line.includes('rule.unknown_modifier')).length, 1);
  });
});

describe('trustwatch formats and rules check', () => {
  it('lists the formats by name', () => {
    const result = runCli(['formats']);
    assert.equal(result.status, 0);
    for (const name of ['windows-xml', 'windows-json', 'windows-flat', 'winlogbeat']) {
      assert.match(result.stdout, new RegExp(`^${name} `, 'm'));
    }
  });

  it('checks the shipped pack without problems', () => {
    const result = runCli(['rules', 'check']);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /Loaded (\d+) of \1 rule documents/);
  });

  it('reports a broken rule file and exits with 2', () => {
    const dir = temp();
    writeFileSync(
      join(dir, 'broken.yml'),
      'title: Broken\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel or nothing\n',
    );
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.equal(result.status, 2);
    assert.match(
      result.stdout,
      /broken\.yml:5:14: error rule\.undefined_search: condition "sel or nothing" refers to "nothing"/,
    );
    assert.match(result.stdout, /Loaded 0 of 1 rule documents from 1 files/);
  });
});
