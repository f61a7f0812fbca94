import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../src/model/alert.js';
import { scanFiles } from './helpers/scan-identity.js';

/**
 * The AN1347 (identity provider) and AN1350 (office suite) chains of the shipped pack, on
 * records written in the shape of each source. These cover the paths that the shared scenarios
 * leave out (Okta, service principals, Entra partner records, CSV exports), and the conditions
 * that keep a chain from completing.
 */

const PARTNER_TENANT = '8d3c2e51-7a44-4b0e-9c6f-1f0a5d2b9e77';
const CUSTOMER_TENANT = '3f1b8a52-6c0e-4d19-a7b4-2e9d5c8f0a13';
const PARTY_APP = '4f1c2b3a-9d8e-4c7b-a6f5-e4d3c2b1a098';

const CONTEXT = `
parties:
  - name: Acme IT Services
    kind: msp
    accounts: ['*@acmeitpartner.onmicrosoft.com', '*@acme.example']
    networks: ['198.51.100.0/26']
    tenants: ['${PARTNER_TENANT}']
    apps: ['${PARTY_APP}']
`;

function at(minutes: number): string {
  return new Date(Date.parse('2024-03-12T09:00:00Z') + minutes * 60_000).toISOString();
}

function ndjson(records: unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n');
}

function chainAlerts(alerts: Alert[], analytic: string): Alert[] {
  return alerts.filter((alert) => alert.analytic === analytic);
}

function steps(alert: Alert | undefined): number[] {
  return [...new Set((alert?.evidence ?? []).map((item) => item.step))];
}

// Okta System Log events.

function okta(minutes: number, eventType: string, extra: Record<string, unknown> = {}) {
  return {
    uuid: `uuid-${eventType}-${minutes}`,
    published: at(minutes),
    eventType,
    version: '0',
    severity: 'INFO',
    displayMessage: eventType,
    actor: {
      id: '00u1partner',
      type: 'User',
      alternateId: 'tech@acme.example',
      displayName: 'Tech',
    },
    client: { ipAddress: '203.0.113.9' },
    authenticationContext: { externalSessionId: 'idx-session-1' },
    outcome: { result: 'SUCCESS' },
    target: [],
    ...extra,
  };
}

function privilegeGrant(minutes: number, role: string) {
  return okta(minutes, 'user.account.privilege.grant', {
    // The same identity, named by its Okta id and a login spelt in other case.
    actor: { id: '00u1partner', type: 'User', alternateId: 'Tech@Acme.example' },
    target: [{ id: '00u2', type: 'User', alternateId: 'helper@contoso.example' }],
    debugContext: { debugData: { privilegeGranted: role } },
  });
}

describe('AN1347 on Okta', () => {
  it('follows a federated sign-in to a grant and an API token', async () => {
    const events = [
      okta(0, 'user.authentication.auth_via_IDP'),
      privilegeGrant(10, 'Super administrator, Read only admin'),
      okta(20, 'system.api_token.create', { target: [{ id: 't1', type: 'Token' }] }),
    ];
    const result = await scanFiles({
      files: { 'okta.json': JSON.stringify(events) },
      context: CONTEXT,
    });
    const alerts = chainAlerts(result.alerts, 'AN1347');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, 'tech@acme.example');
    assert.equal(alerts[0]?.party, 'Acme IT Services');
    assert.deepEqual(steps(alerts[0]), [1, 2, 3]);
    assert.ok(alerts[0]?.attack.includes('T1199'));
  });

  it('follows a grant made to the federated identity', async () => {
    const granted = okta(5, 'user.account.privilege.grant', {
      actor: { id: '00u9admin', type: 'User', alternateId: 'admin@contoso.example' },
      target: [{ id: '00u1partner', type: 'User', alternateId: 'tech@acme.example' }],
      debugContext: { debugData: { privilegeGranted: 'Super administrator' } },
    });
    const events = [
      okta(0, 'user.authentication.auth_via_IDP'),
      granted,
      okta(15, 'system.idp.lifecycle.create', {
        target: [{ id: '0oa2', type: 'IdentityProvider' }],
      }),
    ];
    const result = await scanFiles({
      files: { 'okta.json': JSON.stringify(events) },
      context: CONTEXT,
    });
    const alerts = chainAlerts(result.alerts, 'AN1347');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, 'tech@acme.example');
    assert.deepEqual(steps(alerts[0]), [1, 2, 3]);
  });

  it('ignores the grant of a role outside the privileged list', async () => {
    const events = [
      okta(0, 'user.authentication.auth_via_IDP'),
      privilegeGrant(10, 'Read only admin'),
      okta(20, 'system.api_token.create'),
    ];
    const result = await scanFiles({
      files: { 'okta.json': JSON.stringify(events) },
      context: CONTEXT,
    });
    assert.deepEqual(chainAlerts(result.alerts, 'AN1347'), []);
  });

  it('ignores a sign-in that was not federated', async () => {
    const events = [
      okta(0, 'user.session.start'),
      privilegeGrant(10, 'Super administrator'),
      okta(20, 'system.api_token.create'),
    ];
    const result = await scanFiles({
      files: { 'okta.json': JSON.stringify(events) },
      context: CONTEXT,
    });
    assert.deepEqual(chainAlerts(result.alerts, 'AN1347'), []);
  });
});

// Entra ID diagnostic records.

function entraAudit(
  minutes: number,
  activity: string,
  initiatedBy: Record<string, unknown>,
  modified: [string, string][] = [],
) {
  return {
    time: at(minutes),
    resourceId: `/tenants/${CUSTOMER_TENANT}/providers/Microsoft.aadiam`,
    operationName: activity,
    category: 'AuditLogs',
    tenantId: CUSTOMER_TENANT,
    correlationId: `corr-${minutes}`,
    properties: {
      id: `Directory_${minutes}`,
      category: 'ApplicationManagement',
      correlationId: `corr-${minutes}`,
      result: 'success',
      activityDisplayName: activity,
      activityDateTime: at(minutes),
      loggedByService: 'Core Directory',
      initiatedBy,
      targetResources: [
        {
          id: '7d2c9e10-5a4b-4c3d-9e8f-0a1b2c3d4e5f',
          displayName: 'Target',
          type: 'ServicePrincipal',
          modifiedProperties: modified.map(([displayName, value]) => ({
            displayName,
            oldValue: null,
            newValue: JSON.stringify(value),
          })),
        },
      ],
      additionalDetails: [],
    },
  };
}

const SERVICE_PRINCIPAL_ID = '6a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';

function servicePrincipalSignIn(minutes: number) {
  return {
    time: at(minutes),
    resourceId: `/tenants/${CUSTOMER_TENANT}/providers/Microsoft.aadiam`,
    operationName: 'Sign-in activity',
    category: 'ServicePrincipalSignInLogs',
    tenantId: CUSTOMER_TENANT,
    resultType: '0',
    callerIpAddress: '203.0.113.40',
    properties: {
      id: `signin-${minutes}`,
      createdDateTime: at(minutes),
      appId: PARTY_APP,
      servicePrincipalId: SERVICE_PRINCIPAL_ID,
      servicePrincipalName: 'Acme Sync',
      ipAddress: '203.0.113.40',
      status: { errorCode: 0 },
      resourceTenantId: CUSTOMER_TENANT,
    },
  };
}

describe('AN1347 on Entra ID service principals', () => {
  const acting = { app: { appId: null, servicePrincipalId: SERVICE_PRINCIPAL_ID } };
  const records = (grantAt: number) => [
    servicePrincipalSignIn(0),
    entraAudit(grantAt, 'Add app role assignment to service principal', acting, [
      ['AppRole.Value', 'RoleManagement.ReadWrite.Directory'],
    ]),
    entraAudit(grantAt + 5, 'Add service principal credentials', acting),
  ];

  it('links app id to service principal id', async () => {
    const result = await scanFiles({
      files: { 'signin-and-audit.json': ndjson(records(10)) },
      context: CONTEXT,
    });
    const alerts = chainAlerts(result.alerts, 'AN1347');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, PARTY_APP);
    assert.deepEqual(steps(alerts[0]), [1, 2, 3]);
  });

  it('takes the elevation window from the settings', async () => {
    const result = await scanFiles({
      files: { 'signin-and-audit.json': ndjson(records(10)) },
      context: `${CONTEXT}\nsettings:\n  chains:\n    AN1347: {elevation: 5m}\n`,
    });
    assert.deepEqual(chainAlerts(result.alerts, 'AN1347'), []);
  });
});

// Microsoft 365 unified audit log records.

function ual(
  minutes: number,
  operation: string,
  fields: Record<string, unknown>,
): Record<string, unknown> & { CreationTime: string; Operation: string } {
  return {
    CreationTime: at(minutes).replace(/\.\d+Z$/, ''),
    Id: `id-${operation}-${minutes}`,
    Operation: operation,
    OrganizationId: CUSTOMER_TENANT,
    ResultStatus: 'True',
    Workload: 'Exchange',
    ...fields,
  };
}

function delegation(minutes: number, from = '198.51.100.12') {
  return ual(minutes, 'Add-MailboxPermission', {
    RecordType: 1,
    UserId: 'tech.anders@acmeitpartner.onmicrosoft.com',
    ClientIP: `${from}:50123`,
    ExternalAccess: true,
    Parameters: [
      { Name: 'Identity', Value: 'cfo@contoso.com' },
      { Name: 'User', Value: 'tech.anders@acmeitpartner.onmicrosoft.com' },
      { Name: 'AccessRights', Value: 'FullAccess' },
    ],
  });
}

function mailAccess(minutes: number, from: string) {
  return ual(minutes, 'MailItemsAccessed', {
    RecordType: 50,
    ResultStatus: 'Succeeded',
    UserId: 'tech.anders@acmeitpartner.onmicrosoft.com',
    ClientIP: from,
    ClientIPAddress: from,
    MailboxOwnerUPN: 'cfo@contoso.com',
    OperationCount: 40,
  });
}

function entraPartner(minutes: number) {
  return entraAudit(
    minutes,
    'Add partner to company',
    {
      user: {
        id: 'a1',
        userPrincipalName: 'admin@contoso.onmicrosoft.com',
        ipAddress: '192.0.2.10',
      },
    },
    [['PartnerTenantId', PARTNER_TENANT]],
  );
}

function appAdded(minutes: number) {
  return ual(minutes, 'Add service principal.', {
    RecordType: 8,
    Workload: 'AzureActiveDirectory',
    ResultStatus: 'Success',
    UserId: 'admin@contoso.onmicrosoft.com',
    ClientIP: '192.0.2.10',
    ModifiedProperties: [
      { Name: 'AppPrincipalId', NewValue: `["${PARTY_APP}"]`, OldValue: '' },
      { Name: 'DisplayName', NewValue: '["Acme Mail Tools"]', OldValue: '' },
    ],
  });
}

describe('AN1350', () => {
  it('opens on an Entra ID partner record', async () => {
    const result = await scanFiles({
      files: {
        'entra-audit.json': ndjson([entraPartner(0)]),
        'exchange.json': JSON.stringify([delegation(10), mailAccess(20, '198.51.100.12')]),
      },
      context: CONTEXT,
    });
    const alerts = chainAlerts(result.alerts, 'AN1350');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, 'tech.anders@acmeitpartner.onmicrosoft.com');
    assert.deepEqual(steps(alerts[0]), [1, 2, 3]);
  });

  it('opens on the party application added to the tenant', async () => {
    const result = await scanFiles({
      files: {
        'aad.json': JSON.stringify([appAdded(0)]),
        'exchange.json': JSON.stringify([delegation(10), mailAccess(20, '198.51.100.12')]),
      },
      context: CONTEXT,
    });
    assert.equal(chainAlerts(result.alerts, 'AN1350').length, 1);
  });

  it('needs the mail access to come from the party network', async () => {
    const result = await scanFiles({
      files: {
        'entra-audit.json': ndjson([entraPartner(0)]),
        'exchange.json': JSON.stringify([delegation(10), mailAccess(20, '203.0.113.99')]),
      },
      context: CONTEXT,
    });
    assert.deepEqual(chainAlerts(result.alerts, 'AN1350'), []);
  });

  it('reads the delegation and the access from a CSV export', async () => {
    const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
    const rows = [delegation(10), mailAccess(20, '198.51.100.12')].map((record) =>
      [
        quote(String(record.CreationTime)),
        quote(String(record.UserId)),
        quote(record.Operation),
        quote(JSON.stringify(record, null, 2)),
      ].join(','),
    );
    const csv = ['"CreationDate","UserIds","Operations","AuditData"', ...rows].join('\r\n');
    const result = await scanFiles({
      files: { 'entra-audit.json': ndjson([entraPartner(0)]), 'exchange.csv': csv },
      context: CONTEXT,
    });
    const alerts = chainAlerts(result.alerts, 'AN1350');
    assert.equal(alerts.length, 1);
    const cited = alerts[0]?.evidence.filter((item) => item.file.endsWith('exchange.csv'));
    assert.deepEqual(
      cited?.map((item) => [item.step, item.record]),
      [
        [2, 1],
        [3, 2],
      ],
    );
  });
});
