import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Alert, EvidenceRule } from '../../src/model/alert.js';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Each evidence record of a correlation or chain alert names the rule it matched and its place,
 * in NDJSON, explain (text and JSON), the table, the HTML report and the database. The log is
 * the real Filebeat auth test file of test/fixtures/linux (its records 1 and 2 are SSH logins of
 * vagrant, 5 and 7 sudo to root by vagrant).
 */

const LOG = join(REPO_ROOT, 'test/fixtures/linux/beats-auth-test.log');

const SSH_ID = '6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a01';
const SUDO_ID = '6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a02';
const INNER_ID = '6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a08';

const RULES = `title: SSH login
id: ${SSH_ID}
name: any_ssh_login
logsource: {product: linux, service: auth}
detection:
  selection: {action: ssh_login}
  condition: selection
level: low
---
title: Sudo to root
id: ${SUDO_ID}
name: vendor_sudo_root
logsource: {product: linux, service: auth}
detection:
  selection: {action: sudo_command, target_user: root}
  condition: selection
level: medium
---
title: SSH login then sudo to root
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a03
correlation:
  type: temporal_ordered
  rules: [any_ssh_login, vendor_sudo_root]
  group-by: [user]
  timespan: 3d
level: high
---
title: Sudo to root and SSH login in any order
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a04
correlation:
  type: temporal
  rules: [${SUDO_ID}, any_ssh_login]
  group-by: [user]
  timespan: 3d
level: high
---
title: Repeated sudo to root
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a05
correlation:
  type: event_count
  rules: [vendor_sudo_root]
  group-by: [user]
  timespan: 3d
  condition: {gte: 2}
level: medium
---
title: SSH logins from several addresses
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a06
correlation:
  type: value_count
  rules: [any_ssh_login]
  group-by: [user]
  timespan: 3d
  condition: {field: source_ip, gte: 2}
level: medium
---
title: Vendor SSH session elevated to root
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a07
correlation:
  type: chain
  steps:
    - name: login
      rules: [any_ssh_login]
      provides: {sess: ['{hostname}/{user|lower}']}
    - name: root
      within: 3d
      rules: [vendor_sudo_root]
      links: {sess: ['{hostname}/{user|lower}']}
level: high
---
title: SSH login then sudo to root, inner
id: ${INNER_ID}
name: login_then_root
correlation:
  type: temporal_ordered
  rules: [any_ssh_login, vendor_sudo_root]
  group-by: [user]
  timespan: 3d
level: medium
---
title: Login then root at least once
id: 6d1f0a52-1b7e-4c3a-9e21-0b4f7c2d9a09
correlation:
  type: event_count
  rules: [login_then_root]
  group-by: [user]
  timespan: 3d
  condition: {gte: 1}
level: high
`;

const CONTEXT = `parties:
  - name: Globex Vendor Support
    kind: vendor
    accounts: ["vag*"]
settings:
  syslog: {year: 2024}
`;

const SSH: EvidenceRule = { id: SSH_ID, title: 'SSH login', name: 'any_ssh_login' };
const SUDO: EvidenceRule = { id: SUDO_ID, title: 'Sudo to root', name: 'vendor_sudo_root' };

interface Scan {
  dir: string;
  db: string;
  alerts: Alert[];
}

function scanFixture(): Scan {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-evidence-rules-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'linux.yml'), RULES);
  writeFileSync(join(dir, 'trustwatch.yaml'), CONTEXT);
  const db = join(dir, 'alerts.db');
  const result = runCli([
    'scan',
    '--context',
    join(dir, 'trustwatch.yaml'),
    '--no-default-rules',
    '--rules',
    join(dir, 'rules'),
    '--db',
    db,
    '--report',
    join(dir, 'report.html'),
    '--output',
    'ndjson',
    '--no-progress',
    LOG,
  ]);
  assert.equal(result.status, 0, result.stderr);
  return { dir, db, alerts: parseAlerts(result.stdout) as unknown as Alert[] };
}

/** Returns the alerts of one rule, earliest first. */
function alertsOf(scan: Scan, title: string): Alert[] {
  return scan.alerts
    .filter((alert) => alert.rule.title === title)
    .sort((a, b) => a.first_time.localeCompare(b.first_time));
}

/** Step, label, record and matched rules of each evidence record. */
function cited(alert: Alert | undefined): [number, string, number, EvidenceRule[] | undefined][] {
  return (alert?.evidence ?? []).map((item) => [item.step, item.label, item.record, item.rules]);
}

describe('evidence rules of correlation alerts', () => {
  let scan: Scan;
  before(() => {
    scan = scanFixture();
  });

  it('numbers temporal_ordered steps by rule', () => {
    const [alert] = alertsOf(scan, 'SSH login then sudo to root');
    assert.deepEqual(cited(alert), [
      [1, 'any_ssh_login', 1, [{ ...SSH, position: 1 }]],
      [2, 'vendor_sudo_root', 5, [{ ...SUDO, position: 2 }]],
    ]);
  });

  it('numbers temporal steps by rule, also for a reference by id', () => {
    const alerts = alertsOf(scan, 'Sudo to root and SSH login in any order');
    assert.equal(alerts.length, 2);
    assert.deepEqual(cited(alerts[0]), [
      [1, 'vendor_sudo_root', 5, [{ ...SUDO, position: 1 }]],
      [2, 'any_ssh_login', 1, [{ ...SSH, position: 2 }]],
    ]);
    assert.deepEqual(cited(alerts[1]), [
      [1, 'vendor_sudo_root', 7, [{ ...SUDO, position: 1 }]],
      [2, 'any_ssh_login', 2, [{ ...SSH, position: 2 }]],
    ]);
  });

  it('names the counted rule of event_count and value_count', () => {
    const [count] = alertsOf(scan, 'Repeated sudo to root');
    assert.deepEqual(cited(count), [
      [1, 'Repeated sudo to root', 5, [{ ...SUDO, position: 1 }]],
      [1, 'Repeated sudo to root', 7, [{ ...SUDO, position: 1 }]],
    ]);
    const [values] = alertsOf(scan, 'SSH logins from several addresses');
    assert.deepEqual(cited(values), [
      [1, 'SSH logins from several addresses', 1, [{ ...SSH, position: 1 }]],
      [1, 'SSH logins from several addresses', 2, [{ ...SSH, position: 1 }]],
    ]);
  });

  it('names the rule of each chain step', () => {
    const [chain] = alertsOf(scan, 'Vendor SSH session elevated to root');
    assert.deepEqual(cited(chain), [
      [1, 'login', 1, [SSH]],
      [1, 'login', 2, [SSH]],
      [2, 'root', 5, [SUDO]],
      [2, 'root', 7, [SUDO]],
    ]);
  });

  it('names the rules inside a correlation used by another', () => {
    const [outer] = alertsOf(scan, 'Login then root at least once');
    const inner = {
      id: INNER_ID,
      title: 'SSH login then sudo to root, inner',
      name: 'login_then_root',
      position: 1,
    };
    assert.deepEqual(cited(outer), [
      [1, 'Login then root at least once', 1, [{ ...inner, rules: [{ ...SSH, position: 1 }] }]],
      [1, 'Login then root at least once', 5, [{ ...inner, rules: [{ ...SUDO, position: 2 }] }]],
    ]);
  });

  it('prints the rule of each record in explain', () => {
    const [alert] = alertsOf(scan, 'SSH login then sudo to root');
    assert.ok(alert);
    const text = runCli(['explain', '--db', scan.db, alert.id]);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.split('\n');
    const first = lines.indexOf(
      `  2024-02-21T21:54:44.000Z  step 1 any_ssh_login  ${LOG} record 1`,
    );
    assert.ok(first > 0, text.stdout);
    assert.equal(lines[first + 3], `      rule 1 any_ssh_login: SSH login (${SSH_ID})`);
    const second = lines.indexOf(
      `  2024-02-21T23:35:33.000Z  step 2 vendor_sudo_root  ${LOG} record 5`,
    );
    assert.ok(second > first, text.stdout);
    assert.equal(lines[second + 3], `      rule 2 vendor_sudo_root: Sudo to root (${SUDO_ID})`);

    const json = runCli(['explain', '--db', scan.db, '--json', alert.id]);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), alert);
  });

  it('prints the inner rules in explain', () => {
    const [outer] = alertsOf(scan, 'Login then root at least once');
    assert.ok(outer);
    const text = runCli(['explain', '--db', scan.db, outer.id]);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(
      text.stdout.includes(
        `      rule 1 login_then_root: SSH login then sudo to root, inner (${INNER_ID}) > rule 2 vendor_sudo_root: Sudo to root (${SUDO_ID})\n`,
      ),
      text.stdout,
    );
  });

  it('lists a row per record and rule', () => {
    const [ordered] = alertsOf(scan, 'SSH login then sudo to root');
    const [outer] = alertsOf(scan, 'Login then root at least once');
    assert.ok(ordered);
    assert.ok(outer);
    const db = new Database(scan.db, { readonly: true });
    const rows = (id: string) =>
      db
        .prepare(
          'SELECT item, step, label, record, rule_id, rule_name, rule_position FROM alert_evidence WHERE alert_id = ? ORDER BY item',
        )
        .all(id);
    assert.deepEqual(rows(ordered.id), [
      {
        item: 0,
        step: 1,
        label: 'any_ssh_login',
        record: 1,
        rule_id: SSH_ID,
        rule_name: 'any_ssh_login',
        rule_position: 1,
      },
      {
        item: 1,
        step: 2,
        label: 'vendor_sudo_root',
        record: 5,
        rule_id: SUDO_ID,
        rule_name: 'vendor_sudo_root',
        rule_position: 2,
      },
    ]);
    assert.deepEqual(
      rows(outer.id).map((row) => (row as { rule_name: string }).rule_name),
      ['login_then_root', 'login_then_root'],
    );
    db.close();
  });

  it('shows the rule of each record in the report and the table', () => {
    const html = readFileSync(join(scan.dir, 'report.html'), 'utf8');
    assert.ok(
      html.includes(
        `<td class="evidence-rules">rule 2 vendor_sudo_root: Sudo to root (${SUDO_ID})</td>`,
      ),
    );

    const table = runCli([
      'scan',
      '--context',
      join(scan.dir, 'trustwatch.yaml'),
      '--no-default-rules',
      '--rules',
      join(scan.dir, 'rules'),
      '--db',
      ':memory:',
      '--output',
      'table',
      '--no-progress',
      LOG,
    ]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(
      table.stdout,
      /^ {4}step 1 Repeated sudo to root .*beats-auth-test\.log:7 {2}sudo_command .* {2}\(rule vendor_sudo_root\)$/m,
    );
    assert.match(table.stdout, /^ {4}step 2 vendor_sudo_root .*beats-auth-test\.log:5 {2}/m);
  });
});
