import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePath, parseText } from '../helpers/parse-identity.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

/** Entra ID sources: Azure Monitor diagnostic records, Graph pages and Log Analytics rows. */

const PANTHER = fixturePath('identity', 'panther-azure-signin-audit.ndjson');
const OTRF = fixturePath('identity', 'otrf-aad-audit-events.json');

function fixtureLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('entra-diagnostic', () => {
  it('reads sign-in and audit records', async () => {
    const parsed = await parsePath(PANTHER);
    assert.equal(parsed.format, 'entra-diagnostic');
    assert.equal(parsed.events.length, 8);
    assert.deepEqual(parsed.rejections, []);
    const services = parsed.events.map((event) => event.logsource.service);
    assert.deepEqual(services, [
      'signinlogs',
      'signinlogs',
      'auditlogs',
      'signinlogs',
      'auditlogs',
      'auditlogs',
      'auditlogs',
      'auditlogs',
    ]);
  });

  it('names a user sign-in by UPN with its home tenant', async () => {
    const [, , , legacy] = (await parsePath(PANTHER)).events;
    assert.equal(legacy?.core.actor, 'eve@lexcorp.com');
    assert.equal(legacy?.core.tenant, '4328f0a8-06da-4457-b0d0-2c8e115e52cc');
    assert.equal(legacy?.core.app, '975c4feb-8c6b-4ed8-82e2-f0952ecc64d4');
    assert.equal(legacy?.core.srcIp, '12.12.12.12');
    assert.equal(legacy?.core.outcome, 'success');
    assert.equal(legacy?.time, Date.parse('2023-07-21T05:03:52.160Z'));
  });

  it('reads lower-case keys and names a service principal by app id', async () => {
    const [, servicePrincipal] = (await parsePath(PANTHER)).events;
    assert.equal(servicePrincipal?.fields.operationName, 'Sign-in activity');
    assert.equal(servicePrincipal?.fields.operationname, undefined);
    assert.equal(servicePrincipal?.core.actor, 'cfceb902-8fab-4f8c-88ba-374d3c975c3a');
    assert.equal(servicePrincipal?.core.outcome, 'failure');
  });

  it('makes audit lists readable as fields', async () => {
    const events = (await parsePath(PANTHER)).events;
    const invite = events[2];
    assert.equal(invite?.core.actor, 'denethor@lotr.com');
    assert.equal(invite?.fields['additionalDetails.invitedUserEmailAddress'], 'john@justice.org');
    const credentials = events[6];
    assert.equal(credentials?.fields['modifiedProperties.KeyType.newValue'], 'Password');
    assert.equal(credentials?.core.target, 'Production API Service');
    assert.equal(typeof credentials?.fields.TargetResources, 'string');
  });
});

describe('entra-graph', () => {
  it('reads a page newest first and numbers its elements', async () => {
    // Graph objects carry their own time; Panther's partial records do not all have one.
    const sorted = fixtureLines(PANTHER).filter(
      (record) =>
        String(record.category).endsWith('SignInLogs') &&
        (record.properties as Record<string, unknown>).createdDateTime !== undefined,
    );
    const page = {
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#auditLogs/signIns',
      value: sorted.map((record) => record.properties).reverse(),
    };
    const parsed = await parseText('signins.json', JSON.stringify(page, null, 2));
    assert.equal(parsed.format, 'entra-graph');
    assert.equal(parsed.events.length, sorted.length);
    assert.deepEqual(parsed.rejections, []);
    const first = parsed.events[0];
    assert.equal(first?.origin.record, 1);
    assert.equal(first?.logsource.service, 'signinlogs');
    assert.equal(first?.fields.category, 'SignInLogs');
    assert.equal(first?.fields.resultType, '0');
    const properties = first?.fields.properties as Record<string, unknown> | undefined;
    assert.equal(typeof properties?.userPrincipalName, 'string');
  });

  it('reads directory audits', async () => {
    const audits = fixtureLines(PANTHER)
      .map((record) => record.properties as Record<string, unknown>)
      .filter((properties) => properties.activityDisplayName !== undefined);
    const parsed = await parseText('directoryAudits.json', JSON.stringify({ value: audits }));
    assert.equal(parsed.format, 'entra-graph');
    assert.equal(parsed.events.length, audits.length);
    assert.ok(parsed.events.every((event) => event.logsource.service === 'auditlogs'));
    assert.equal(parsed.events[0]?.fields.operationName, 'Invite external user');
  });
});

describe('entra-log-analytics', () => {
  it('reads AuditLogs rows with JSON string columns', async () => {
    const parsed = await parsePath(OTRF);
    assert.equal(parsed.format, 'entra-log-analytics');
    assert.equal(parsed.events.length, 4);
    assert.ok(parsed.events.every((event) => event.logsource.service === 'auditlogs'));
    const grant = parsed.events[3];
    assert.equal(grant?.core.actor, 'pgustavo@simulandlabs.com');
    assert.equal(grant?.core.action, 'Add delegated permission grant');
    assert.deepEqual(grant?.fields.grantedPermissions, ['Mail.ReadWrite']);
    assert.equal(typeof grant?.fields.TargetResources, 'string');
    const properties = grant?.fields.properties as Record<string, unknown>;
    assert.ok(Array.isArray(properties.targetResources));
  });
});

describe('entra-log-analytics sign-ins', () => {
  it('reads SigninLogs rows into the diagnostic shape', async () => {
    // The legacy-auth sign-in, written as a Log Analytics SigninLogs row: PascalCase columns,
    // nested values as JSON strings.
    const record = fixtureLines(PANTHER)[3] as Record<string, unknown>;
    const properties = record.properties as Record<string, unknown>;
    const row: Record<string, unknown> = {
      TimeGenerated: record.time,
      Type: 'SigninLogs',
      OperationName: 'Sign-in activity',
      ResultType: '0',
      CorrelationId: record.correlationid,
      IPAddress: properties.ipAddress,
    };
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'ipAddress' || key === 'id') continue;
      const column = key.charAt(0).toUpperCase() + key.slice(1);
      row[column] = value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
    }
    const parsed = await parseText('signinlogs.json', JSON.stringify(row));
    assert.equal(parsed.format, 'entra-log-analytics');
    const signIn = parsed.events[0];
    assert.equal(signIn?.logsource.service, 'signinlogs');
    assert.equal(signIn?.core.actor, 'eve@lexcorp.com');
    assert.equal(signIn?.core.tenant, '4328f0a8-06da-4457-b0d0-2c8e115e52cc');
    assert.equal(signIn?.core.srcIp, '12.12.12.12');
    assert.equal(signIn?.core.outcome, 'success');
    assert.equal(signIn?.fields.category, 'SignInLogs');
    const converted = signIn?.fields.properties as Record<string, unknown> | undefined;
    assert.deepEqual(converted?.status, {
      additionalDetails: 'MFA requirement satisfied by claim in the token',
      errorCode: 0,
    });
    assert.equal(converted?.crossTenantAccessType, 'none');
  });
});

describe('entra corpus', () => {
  const cases: [string[], string, number][] = [
    [['entra-id', 'elastic-integrations', 'test-auditlogs-raw.log'], 'entra-diagnostic', 3],
    [['entra-id', 'elastic-integrations', 'test-signinlogs-raw.first2.log'], 'entra-diagnostic', 2],
    [['entra-id', 'otrf-goldensaml', 'AADAuditEvents.json'], 'entra-log-analytics', 4],
    [['entra-id', 'panther-analysis', 'panther-azure-signin-audit.ndjson'], 'entra-diagnostic', 47],
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

  it('reads the scenario exports of both shapes', async (t) => {
    const root = sharedPath(t, 'scenarios');
    if (!root) return;
    const files: [string, string, number][] = [
      ['an1347-entra-gdap-role-elevation/logs/signinlogs.json', 'entra-diagnostic', 51],
      ['an1347-entra-gdap-role-elevation/logs/auditlogs.json', 'entra-diagnostic', 43],
      ['an1347-graph-b2b-tenant-only/logs/signins.json', 'entra-graph', 41],
      ['an1347-graph-b2b-tenant-only/logs/directoryAudits.json', 'entra-graph', 43],
    ];
    for (const [file, format, count] of files) {
      const parsed = await parsePath(join(root, file));
      assert.equal(parsed.format, format, file);
      assert.equal(parsed.events.length, count, file);
      assert.deepEqual(parsed.rejections, [], file);
    }
  });
});
