import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Alert, EvidenceTrust } from '../../src/model/alert.js';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Each evidence record names the context entry that tied it to its party, with the event field
 * and value it matched, in NDJSON, explain, the table, the HTML report and the database. The
 * table gives the reason of each severity factor. The logs are real EVTX fixtures: PsExec
 * network logons (4624 type 3) from 10.23.42.22 to srvdefender01 on Wed 2021-04-21 09:40 UTC,
 * then a 4697 service install by OFFSEC\admmig.
 */

const PSEXEC = join(
  REPO_ROOT,
  'test/fixtures/evtx/ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx',
);

// OFFSEC's DNS name is declared as another than offsec.lan, so the logons of OFFSEC.LAN\admmig
// match Globex by network, and the service install of OFFSEC\admmig matches Northwind's account.
const CONTEXT = `domains:
  - netbios: OFFSEC
    dns: ["corp.offsec.example"]
parties:
  - name: Globex Vendor Support
    kind: vendor
    networks: ["192.0.2.0/24", "10.23.42.0/24"]
    expected:
      hosts: ["FS*"]
      hours: "Mon-Fri 10:00-17:00 UTC"
  - name: Northwind Managed IT
    kind: msp
    accounts: ["offsec\\\\adm*"]
`;

const LOGON_RULE = 'Trusted party logon outside its expected scope on Windows';
const SERVICE_RULE = 'Trusted party installs a service on Windows';
const SCOPE_REASON =
  'host srvdefender01.offsec.lan is outside the expected hosts; Wed 09:40 UTC is outside the expected hours Mon-Fri 10:00-17:00 UTC';

const BY_NETWORK: EvidenceTrust = {
  party: 'Globex Vendor Support',
  kind: 'vendor',
  matched_by: 'network',
  entry: '10.23.42.0/24',
  field: 'src_ip',
  value: '10.23.42.22',
  record_fields: ['IpAddress'],
  in_scope: false,
  scope_reason: SCOPE_REASON,
};

interface Scan {
  dir: string;
  context: string;
  db: string;
  alerts: Alert[];
}

function scanInto(db: string, context: string, extra: string[] = []) {
  return runCli([
    'scan',
    '--context',
    context,
    '--db',
    db,
    '--output',
    'ndjson',
    '--no-progress',
    ...extra,
    PSEXEC,
  ]);
}

function scanFixture(): Scan {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-evidence-party-'));
  const context = join(dir, 'trustwatch.yaml');
  writeFileSync(context, CONTEXT);
  const db = join(dir, 'alerts.db');
  const result = scanInto(db, context, ['--report', join(dir, 'report.html')]);
  assert.equal(result.status, 0, result.stderr);
  return { dir, context, db, alerts: parseAlerts(result.stdout) as unknown as Alert[] };
}

function firstOf(scan: Scan, title: string): Alert {
  const alert = scan.alerts
    .filter((item) => item.rule.title === title)
    .sort((a, b) => a.first_time.localeCompare(b.first_time))[0];
  assert.ok(alert, `no alert of ${title}`);
  return alert;
}

describe('party match of evidence records', () => {
  let scan: Scan;
  before(() => {
    scan = scanFixture();
  });

  it('names the network entry and the address field', () => {
    const alert = firstOf(scan, LOGON_RULE);
    assert.equal(alert.evidence[0]?.record, 349321);
    assert.deepEqual(alert.evidence[0]?.trust, BY_NETWORK);
  });

  it('names the account entry of a composed actor', () => {
    const alert = firstOf(scan, SERVICE_RULE);
    assert.deepEqual(alert.evidence[0]?.trust, {
      party: 'Northwind Managed IT',
      kind: 'msp',
      matched_by: 'account',
      entry: 'offsec\\adm*',
      field: 'actor',
      value: 'OFFSEC\\admmig',
      record_fields: [],
      in_scope: true,
      scope_reason: null,
    });
  });

  it('prints the entry and the scope reasons in explain', () => {
    const alert = firstOf(scan, LOGON_RULE);
    const result = runCli(['explain', '--db', scan.db, alert.id]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.split('\n');
    const party = lines.indexOf('party   Globex Vendor Support');
    assert.ok(party > 0, result.stdout);
    assert.equal(lines[party + 1], '        matched by network entry 10.23.42.0/24');
    assert.ok(
      lines.includes(
        '      party Globex Vendor Support (vendor): network entry 10.23.42.0/24 matched src_ip 10.23.42.22 in record field IpAddress',
      ),
      result.stdout,
    );
    assert.ok(lines.includes(`      out of scope: ${SCOPE_REASON}`), result.stdout);
    assert.ok(lines.includes(`  +10  out_of_scope: ${SCOPE_REASON}`), result.stdout);
  });

  it('lists the entry with each evidence row', () => {
    const alert = firstOf(scan, LOGON_RULE);
    const db = new Database(scan.db, { readonly: true });
    const rows = db
      .prepare(
        'SELECT record, rule_title, party, matched_by, matched_entry, matched_field, matched_value FROM alert_evidence WHERE alert_id = ?',
      )
      .all(alert.id);
    db.close();
    assert.deepEqual(rows, [
      {
        record: 349321,
        rule_title: LOGON_RULE,
        party: 'Globex Vendor Support',
        matched_by: 'network',
        matched_entry: '10.23.42.0/24',
        matched_field: 'src_ip',
        matched_value: '10.23.42.22',
      },
    ]);
  });

  it('shows the entry and factor reasons in the report and the table', () => {
    const html = readFileSync(join(scan.dir, 'report.html'), 'utf8');
    assert.ok(
      html.includes(
        `<td class="evidence-trust">Globex Vendor Support (vendor): network entry 10.23.42.0/24 matched src_ip 10.23.42.22 in record field IpAddress; out of scope: ${SCOPE_REASON}</td>`,
      ),
    );
    assert.ok(
      html.includes(
        `<li class="factor-reason"><span class="factor">out_of_scope +10</span>${SCOPE_REASON}</li>`,
      ),
    );

    const table = runCli([
      'scan',
      '--context',
      scan.context,
      '--db',
      ':memory:',
      '--output',
      'table',
      '--no-progress',
      PSEXEC,
    ]);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.split('\n');
    const severity = lines.indexOf('  severity 55: out_of_scope +10');
    assert.ok(severity > 0, table.stdout);
    assert.equal(lines[severity + 1], `    - out_of_scope: ${SCOPE_REASON}`);
    assert.ok(lines.includes('  party matched by network entry 10.23.42.0/24'), table.stdout);
    assert.ok(lines.includes('  party matched by account entry offsec\\adm*'), table.stdout);
  });
});

describe('databases of an earlier schema', () => {
  it('explain reads them and a new scan fills in the evidence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-evidence-old-db-'));
    const context = join(dir, 'trustwatch.yaml');
    writeFileSync(context, CONTEXT);
    const db = join(dir, 'alerts.db');
    const first = scanInto(db, context);
    assert.equal(first.status, 0, first.stderr);
    const alert = (parseAlerts(first.stdout) as unknown as Alert[]).find(
      (item) => item.rule.title === LOGON_RULE,
    );
    assert.ok(alert);

    // Schema version 3 had no alert_evidence view and no rules or trust in the evidence.
    const writer = new Database(db);
    writer.exec('DROP VIEW alert_evidence; DELETE FROM schema_migrations WHERE version = 4');
    const rows = writer.prepare('SELECT id, alert_json FROM alerts').all() as {
      id: string;
      alert_json: string;
    }[];
    const update = writer.prepare('UPDATE alerts SET alert_json = ? WHERE id = ?');
    for (const row of rows) {
      const stored = JSON.parse(row.alert_json) as Alert;
      for (const item of stored.evidence) {
        delete item.rules;
        delete item.trust;
      }
      update.run(JSON.stringify(stored), row.id);
    }
    writer.close();

    const old = runCli(['explain', '--db', db, alert.id]);
    assert.equal(old.status, 0, old.stderr);
    assert.match(old.stdout, /^party {3}Globex Vendor Support$/m);
    assert.doesNotMatch(old.stdout, /matched by/);
    assert.match(old.stdout, /^ {2}Stored by an earlier trustwatch, which did not record /m);

    const migrated = new Database(db, { readonly: true });
    const versions = migrated.prepare('SELECT version FROM schema_migrations').all();
    const backfilled = migrated
      .prepare(
        'SELECT record, rule_title, matched_entry FROM alert_evidence WHERE alert_id = ? ORDER BY item',
      )
      .all(alert.id);
    migrated.close();
    assert.deepEqual(versions, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    assert.deepEqual(backfilled, [{ record: 349321, rule_title: LOGON_RULE, matched_entry: null }]);

    const again = scanInto(db, context);
    assert.equal(again.status, 0, again.stderr);
    const renewed = runCli(['explain', '--db', db, alert.id]);
    assert.doesNotMatch(renewed.stdout, /Stored by an earlier trustwatch/);
    assert.match(renewed.stdout, /^ {8}matched by network entry 10\.23\.42\.0\/24$/m);
    const reader = new Database(db, { readonly: true });
    const refreshed = reader
      .prepare('SELECT record, matched_entry FROM alert_evidence WHERE alert_id = ?')
      .all(alert.id);
    reader.close();
    assert.deepEqual(refreshed, [{ record: 349321, matched_entry: '10.23.42.0/24' }]);
  });
});
