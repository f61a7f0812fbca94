import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadRules, matchTitles } from '../helpers/engine.js';
import { parsePath, parseText, rejectionCodes } from '../helpers/parse-identity.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

/** Microsoft 365 unified audit log: Management Activity API, CSV exports, OfficeActivity rows. */

const PANTHER = fixturePath('identity', 'panther-microsoft365-audit.ndjson');
const OFFICE_ACTIVITY = fixturePath('identity', 'otrf-office-activity.json');
const DEFENDER = fixturePath('identity', 'otrf-defender-hunting.ndjson');

function fixtureRecords(): Record<string, unknown>[] {
  return readFileSync(PANTHER, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Quotes a field as Export-Csv does, doubling the quotes inside. */
function quoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

describe('m365-management-api', () => {
  it('reads records of every workload', async () => {
    const parsed = await parsePath(PANTHER);
    assert.equal(parsed.format, 'm365-management-api');
    assert.equal(parsed.events.length, 5);
    assert.deepEqual(parsed.rejections, []);
    assert.ok(parsed.events.every((event) => event.logsource.product === 'm365'));
    assert.ok(parsed.events.every((event) => event.logsource.service === 'audit'));
  });

  it('reads CreationTime as UTC', async () => {
    const [failed] = (await parsePath(PANTHER)).events;
    assert.equal(failed?.time, Date.parse('2022-12-12T15:57:57Z'));
    assert.equal(failed?.core.outcome, 'failure');
    assert.equal(failed?.fields['ExtendedProperties.RequestType'], 'Login:login');
  });

  it('makes cmdlet parameters readable in lower-case records', async () => {
    const forwarding = (await parsePath(PANTHER)).events[4];
    assert.equal(forwarding?.fields.Operation, 'Set-Mailbox');
    assert.equal(forwarding?.core.actor, 'homer.simpson@simpsons.onmicrosoft.com');
    assert.equal(
      forwarding?.fields['Parameters.ForwardingSmtpAddress'],
      'smtp:peter.griffin@familyguy.com',
    );
    assert.match(String(forwarding?.fields.ParametersText), /-ForwardingSmtpAddress smtp:peter/);
  });

  it('makes modified properties readable', async () => {
    const update = (await parsePath(PANTHER)).events[3];
    assert.equal(update?.fields['ModifiedProperties.TargetId.UserType.NewValue'], 'Member');
    assert.equal(update?.fields['ModifiedProperties.StrongAuthenticationMethod.OldValue'], '[]');
  });
});

describe('m365-audit-csv', () => {
  const records = fixtureRecords();
  const header = '"CreationDate","UserIds","Operations","AuditData"';
  const row = (record: Record<string, unknown>, auditData = JSON.stringify(record, null, 1)) =>
    [
      quoted('12/12/2022 3:57:57 PM'),
      quoted(String(record.UserId ?? record.userid ?? '')),
      quoted(String(record.Operation ?? record.operation ?? '')),
      quoted(auditData),
    ].join(',');

  it('reads an Export-Csv file with quoted multi-line AuditData', async () => {
    const lines = [
      '#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogEvent',
      header,
      ...records.map((record) => row(record)),
    ];
    const parsed = await parseText('audit.csv', `\uFEFF${lines.join('\r\n')}\r\n`);
    assert.equal(parsed.format, 'm365-audit-csv');
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events.length, records.length);
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [1, 2, 3, 4, 5],
    );
    assert.equal(parsed.events[0]?.origin.line, 3);
    const forwarding = parsed.events[4];
    assert.equal(forwarding?.fields.Operations, 'Set-Mailbox');
    assert.equal(forwarding?.time, Date.parse('2022-12-12T22:19:00Z'));
    assert.equal(
      forwarding?.fields['Parameters.ForwardingSmtpAddress'],
      'smtp:peter.griffin@familyguy.com',
    );
  });

  it('rejects a row whose AuditData is not JSON', async () => {
    const lines = [header, row(records[0] ?? {}), row(records[1] ?? {}, '{"Operation": '), ''];
    const parsed = await parseText('audit.csv', lines.join('\n'));
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(rejectionCodes(parsed.rejections), { invalid_json: 1 });
    assert.equal(parsed.rejections[0]?.origin.record, 2);
  });

  it('rejects a row left open at the end', async () => {
    const lines = [header, row(records[0] ?? {}), `"12/12/2022","x","y","{""a"": 1`];
    const parsed = await parseText('audit.csv', lines.join('\n'));
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(rejectionCodes(parsed.rejections), { invalid_csv: 1 });
  });
});

describe('m365-office-activity', () => {
  it('reads a row with the common-schema names', async () => {
    const parsed = await parsePath(OFFICE_ACTIVITY);
    assert.equal(parsed.format, 'm365-office-activity');
    assert.equal(parsed.events.length, 1);
    const access = parsed.events[0];
    assert.equal(access?.fields.Workload, 'Exchange');
    assert.equal(access?.fields.ClientIP, '1.2.3.4');
    assert.equal(access?.core.srcIp, '1.2.3.4');
    assert.equal(access?.fields['OperationProperties.MailAccessType'], 'Bind');
    assert.equal(access?.time, Date.parse('2021-08-02T13:32:07Z'));
  });

  it('names the client app of mail read through Graph', async () => {
    const parsed = await parsePath(OFFICE_ACTIVITY);
    const access = parsed.events[0];
    assert.equal(access?.fields.AppId, '00000003-0000-0000-c000-000000000000');
    assert.equal(access?.core.app, '5a95e683-08ad-424e-a441-1d1aec52c02c');
  });
});

describe('m365-defender-hunting', () => {
  it('reads rows of several tables', async () => {
    const parsed = await parsePath(DEFENDER);
    assert.equal(parsed.format, 'm365-defender-hunting');
    assert.equal(parsed.events.length, 4);
    assert.deepEqual(parsed.rejections, []);
    const services = parsed.events.map((event) => event.logsource.service);
    assert.deepEqual(services, ['defender', 'defender', 'audit', 'defender']);
  });

  it('reads a row with an audit record as that record', async () => {
    const access = (await parsePath(DEFENDER)).events[2];
    assert.equal(access?.logsource.product, 'm365');
    assert.equal(access?.fields.Operation, 'MailItemsAccessed');
    assert.equal(access?.fields.Workload, 'Exchange');
    assert.equal(access?.fields['OperationProperties.MailAccessType'], 'Bind');
    assert.equal(access?.core.srcIp, '1.2.3.4');
    assert.equal(access?.core.app, '5a95e683-08ad-424e-a441-1d1aec52c02c');
    assert.equal(access?.time, Date.parse('2021-08-02T13:32:07Z'));
  });

  it('names the account, device and address of other rows', async () => {
    const [search, replication, , grant] = (await parsePath(DEFENDER)).events;
    assert.equal(search?.core.actor, 'wardog@simulandlabs.com');
    assert.equal(search?.core.host, 'adfs01.simulandlabs.com');
    assert.equal(search?.core.action, 'LdapSearch');
    assert.equal(search?.time, Date.parse('2021-08-02T13:11:39.772Z'));
    assert.equal(replication?.core.actor, 'pgustavo@simulandlabs.com');
    assert.equal(replication?.core.srcIp, '192.168.2.5');
    assert.equal(replication?.core.target, 'dc01.simulandlabs.com');
    assert.equal(grant?.core.actor, 'pgustavo@simulandlabs.com');
    assert.equal(grant?.core.action, 'Add delegated permission grant.');
    assert.equal(grant?.fields.Permissions, 'User.Read Mail.ReadWrite');
  });

  it('parses additional fields written as JSON text', async () => {
    const search = (await parsePath(DEFENDER)).events[0];
    const additional = search?.fields.AdditionalFields_string as Record<string, unknown>;
    assert.equal(additional.SearchFilter, '(objectClass=*)');
    assert.equal(additional.ScopeOfSearch, 'Base');
  });

  it('runs rules for the audit log and for its own rows', async () => {
    const rules = loadRules({
      'exchange.yml': `
title: Mail bound by an application
logsource:
  product: m365
  service: exchange
detection:
  selection:
    Operation: MailItemsAccessed
    OperationProperties.MailAccessType: Bind
  condition: selection
`,
      'defender.yml': `
title: Directory replication from a device
logsource:
  product: m365
  service: defender
detection:
  selection:
    ActionType: Directory Services replication
    Protocol: Drsr
  condition: selection
`,
    });
    const events = (await parsePath(DEFENDER)).events;
    assert.deepEqual(matchTitles(rules, events), [
      [],
      ['Directory replication from a device'],
      ['Mail bound by an application'],
      [],
    ]);
  });

  it('reads the rows of an API response', async () => {
    const rows = readFileSync(DEFENDER, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    const schema = [{ Name: 'Timestamp', Type: 'DateTime' }];
    for (const [name, page] of [
      ['api.json', JSON.stringify({ Schema: schema, Results: rows }, null, 2)],
      ['graph.json', JSON.stringify({ schema, results: rows })],
    ] as const) {
      const parsed = await parseText(name, page);
      assert.equal(parsed.format, 'm365-defender-hunting', name);
      assert.equal(parsed.events.length, 4, name);
      assert.deepEqual(parsed.rejections, [], name);
    }
  });

  it('reads tables without ActionType', async () => {
    const email = {
      Timestamp: '2024-03-01T10:00:07Z',
      NetworkMessageId: 'c2f1d3e4-0000-4000-8000-000000000001',
      InternetMessageId: '<invoice@partner.example>',
      SenderFromAddress: 'billing@partner.example',
      RecipientEmailAddress: 'finance@contoso.com',
      DeliveryAction: 'Delivered',
      ReportId: 'r-108',
    };
    const parsed = await parseText('email.json', JSON.stringify(email));
    assert.equal(parsed.format, 'm365-defender-hunting');
    assert.equal(parsed.events[0]?.core.action, 'Delivered');
    assert.equal(parsed.events[0]?.core.actor, 'billing@partner.example');
  });

  it('falls back to the row time for an unreadable CreationTime', async () => {
    const lines = readFileSync(DEFENDER, 'utf8').trim().split('\n');
    const row = JSON.parse(lines[2] ?? '{}') as { RawEventData: Record<string, unknown> };
    row.RawEventData.CreationTime = 'not a time';
    const parsed = await parseText('hunting.json', JSON.stringify(row));
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events[0]?.fields.Operation, 'MailItemsAccessed');
    assert.equal(parsed.events[0]?.time, Date.parse('2021-08-02T13:32:07Z'));
  });

  it('keeps records whose results array is a field', async () => {
    const okta = readFileSync(fixturePath('identity', 'panther-okta-systemlog.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 3)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const withResults = okta.map((event, index) => ({
      ...event,
      results: index === 0 ? [] : [{ step: 'mfa' }],
    }));
    const lines = withResults.map((event) => JSON.stringify(event)).join('\n');
    const parsed = await parseText('okta.json', lines);
    assert.equal(parsed.format, 'okta-system-log');
    assert.equal(parsed.events.length, 3);
    const single = await parseText('one.json', JSON.stringify(withResults[1], null, 2));
    assert.equal(single.format, 'okta-system-log');
    assert.equal(single.events.length, 1);
  });

  it('rejects a row without its Timestamp', async () => {
    const lines = readFileSync(DEFENDER, 'utf8').trim().split('\n');
    const broken = lines[3]?.replace('"Timestamp":', '"Time":') ?? '';
    const parsed = await parseText('hunting.json', [lines[0], broken, lines[1]].join('\n'));
    assert.equal(parsed.format, 'm365-defender-hunting');
    assert.equal(parsed.events.length, 2);
    assert.deepEqual(rejectionCodes(parsed.rejections), { unexpected_shape: 1 });
    assert.equal(parsed.rejections[0]?.origin.record, 2);
  });
});

describe('m365 corpus', () => {
  const cases: [string[], string, number][] = [
    [['m365', 'panther-analysis', 'panther-microsoft365-audit.ndjson'], 'm365-management-api', 19],
    [['m365', 'otrf-goldensaml', 'OfficeActivityEvents.json'], 'm365-office-activity', 1],
    [['m365', 'otrf-goldensaml', 'Microsoft365DefenderEvents.json'], 'm365-defender-hunting', 9],
  ];
  for (const [parts, format, count] of cases) {
    it(`parses every record of ${parts.at(-1)}`, async (t) => {
      const path = sharedPath(t, 'corpus', ...parts);
      if (!path) return;
      const parsed = await parsePath(path);
      assert.equal(parsed.format, format);
      assert.equal(parsed.events.length, count);
      assert.deepEqual(parsed.rejections, []);
    });
  }

  it('reads the scenario Management Activity API blobs', async (t) => {
    const root = sharedPath(t, 'scenarios');
    if (!root) return;
    const files: [string, number][] = [
      ['an1350-m365-partner-mailbox-delegation/logs/ual-audit-azureactivedirectory.json', 42],
      ['an1350-m365-partner-mailbox-delegation/logs/ual-audit-exchange.json', 65],
      ['an1349-m365-app-consent-app-only/logs/ual-audit-general.json', 95],
    ];
    for (const [file, count] of files) {
      const parsed = await parsePath(join(root, file));
      assert.equal(parsed.format, 'm365-management-api', file);
      assert.equal(parsed.events.length, count, file);
      assert.deepEqual(parsed.rejections, [], file);
    }
  });

  it('names the partner tenant of a partner relationship', async (t) => {
    const root = sharedPath(t, 'scenarios');
    if (!root) return;
    const file = 'an1350-m365-partner-mailbox-delegation/logs/ual-audit-azureactivedirectory.json';
    const parsed = await parsePath(join(root, file));
    const partner = parsed.events.find((event) => event.core.action === 'Add partner to company.');
    assert.equal(partner?.core.actor, 'admin@contoso.onmicrosoft.com');
    assert.equal(partner?.core.targetTenant, '8d3c2e51-7a44-4b0e-9c6f-1f0a5d2b9e77');
  });
});
