import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { networkOf } from '../src/enrich/baseline.js';
import { GeoResolver } from '../src/enrich/geo.js';
import { parseAlerts, runCli } from './helpers/cli.js';

/** Geography of real public addresses (documentation ranges have none), and baselines end to end. */

describe('geolocation', () => {
  const geo = new GeoResolver();

  it('resolves public addresses to country and autonomous system', async () => {
    assert.deepEqual(await geo.lookup('8.8.8.8'), {
      country: 'US',
      asn: 15169,
      asOrg: 'Google LLC',
    });
    assert.deepEqual(await geo.lookup('85.214.132.117'), {
      country: 'DE',
      asn: 6724,
      asOrg: 'Strato AG',
    });
    assert.deepEqual(await geo.lookup('::ffff:1.1.1.1'), {
      country: 'AU',
      asn: 13335,
      asOrg: 'Cloudflare, Inc.',
    });
    assert.equal((await geo.lookup('2001:4860:4860::8888'))?.country, 'CA');
  });

  it('gives no location for private, loopback and documentation addresses', async () => {
    for (const address of [
      '10.1.2.3',
      '192.168.0.1',
      '127.0.0.1',
      '198.51.100.7',
      '203.0.113.9',
      '::1',
      'not-an-ip',
    ]) {
      assert.equal(await geo.lookup(address), undefined, address);
    }
  });

  it('groups addresses into baseline networks', () => {
    assert.equal(networkOf('85.214.132.117'), '85.214.132.0/24');
    assert.equal(networkOf('2001:db8:abcd:12::1'), '2001:db8:abcd::/48');
    assert.equal(networkOf('nope'), undefined);
  });
});

const CONTEXT = `parties:
  - name: Acme IT Services
    kind: msp
    accounts: ["CONTOSO\\\\acme-*"]
`;

const RULE = `title: Party logon from a country never seen for the party
id: 3f1d2c4b-5a6e-4f70-8b91-a2c3d4e5f601
logsource: {product: windows, service: security}
detection:
  logon: {EventID: 4624}
  new_country: {baseline.party.country.first_seen: true}
  condition: logon and new_country
level: high
`;

function logon(time: string, address: string, host = 'APP01.corp.example') {
  return JSON.stringify({
    EventID: 4624,
    Channel: 'Security',
    Hostname: host,
    '@timestamp': time,
    TargetUserName: 'acme-jlee',
    TargetDomainName: 'CONTOSO',
    TargetLogonId: '0x10',
    LogonType: 10,
    IpAddress: address,
  });
}

describe('baselines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-baseline-'));
  writeFileSync(join(dir, 'trustwatch.yaml'), CONTEXT);
  writeFileSync(join(dir, 'rule.yml'), RULE);
  const history = join(dir, 'history.ndjson');
  const today = join(dir, 'today.ndjson');
  writeFileSync(
    history,
    `${[logon('2024-03-01T09:00:00Z', '85.214.132.117'), logon('2024-03-02T09:00:00Z', '85.214.132.118')].join('\n')}\n`,
  );
  writeFileSync(
    today,
    `${[logon('2024-03-10T09:00:00Z', '85.214.132.117'), logon('2024-03-10T23:00:00Z', '8.8.8.8', 'FS01.corp.example')].join('\n')}\n`,
  );
  const scanArgs = (db: string, ...paths: string[]) => [
    'scan',
    '--context',
    join(dir, 'trustwatch.yaml'),
    '--no-default-rules',
    '--rules',
    join(dir, 'rule.yml'),
    '--output',
    'ndjson',
    '--db',
    db,
    ...paths,
  ];

  it('are built from history and read, but not changed, by a scan', () => {
    const db = join(dir, 'built.db');
    const built = runCli([
      'baseline',
      'build',
      '--context',
      join(dir, 'trustwatch.yaml'),
      '--db',
      db,
      history,
    ]);
    assert.equal(built.status, 0, built.stderr);
    const first = runCli(scanArgs(db, today));
    const second = runCli(scanArgs(db, today));
    assert.equal(first.status, 0, first.stderr);
    const alerts = parseAlerts(first.stdout) as {
      evidence: { record: number; fields: Record<string, unknown> }[];
      severity: { factors: { factor: string }[] };
    }[];
    assert.deepEqual(
      alerts.map((alert) => alert.evidence[0]?.record),
      [2],
    );
    assert.equal(alerts[0]?.evidence[0]?.fields['baseline.party.country.first_seen'], true);
    assert.ok(alerts[0]?.severity.factors.some((factor) => factor.factor === 'first_seen_country'));
    assert.deepEqual(parseAlerts(second.stdout).length, 1, 'scanning again gives the same alerts');

    const database = new Database(db, { readonly: true });
    const row = database
      .prepare(
        "SELECT count FROM baselines WHERE entity_kind = 'party' AND attribute = 'country' AND value = 'DE'",
      )
      .get() as { count: number };
    database.close();
    assert.equal(row.count, 2);
  });

  it('learn from a scan only with --learn', () => {
    const db = join(dir, 'learned.db');
    runCli(['baseline', 'build', '--context', join(dir, 'trustwatch.yaml'), '--db', db, history]);
    const learning = runCli([...scanArgs(db, today), '--learn']);
    assert.equal(parseAlerts(learning.stdout).length, 1);
    const after = runCli(scanArgs(db, today));
    assert.equal(parseAlerts(after.stdout).length, 0, 'the US address is known after learning');
  });

  it('learn from a period of the same input with --baseline-until', () => {
    const db = join(dir, 'period.db');
    const result = runCli([...scanArgs(db, history, today), '--baseline-until', '2024-03-05']);
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout) as { evidence: { file: string; record: number }[] }[];
    assert.deepEqual(
      alerts.map((alert) => [alert.evidence[0]?.file.split('/').pop(), alert.evidence[0]?.record]),
      [['today.ndjson', 2]],
    );
  });
});
