import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanFiles } from './helpers/scan-identity.js';

/**
 * `inside_networks` on a chain member: the rendered address must lie in the instance party's
 * networks, unless the party lists none. Records are flat Windows events (windows-flat).
 */

const RULES = `
title: Party logon
name: inside_logon
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4624}
  party: {trust.party|exists: true}
  condition: selection and party
---
title: Party access
name: inside_access
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 5140}
  condition: selection
---
title: Inside networks example
name: inside_chain
correlation:
  type: chain
  steps:
    - name: logon
      rules: [inside_logon]
      provides: {logon: ['{TargetLogonId}']}
    - name: access
      within: 10m
      rules: [inside_access]
      links: {logon: ['{SubjectLogonId}']}
      inside_networks: '{SourceAddress}'
level: high
`;

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ Channel: 'Security', Computer: 'APP01', ...fields });
}

function events(accessFrom: string): string {
  return [
    record({
      EventID: 4624,
      TimeCreated: '2024-03-12T09:00:00Z',
      TargetUserName: 'acme-jlee',
      TargetDomainName: 'CONTOSO',
      TargetLogonId: '0x10',
      IpAddress: '198.51.100.7',
    }),
    record({
      EventID: 5140,
      TimeCreated: '2024-03-12T09:05:00Z',
      SubjectUserName: 'acme-jlee',
      SubjectLogonId: '0x10',
      SourceAddress: accessFrom,
    }),
  ].join('\n');
}

const WITH_NETWORKS = `
parties:
  - name: Acme
    kind: msp
    accounts: ['CONTOSO\\acme-*']
    networks: ['198.51.100.0/26']
`;

const WITHOUT_NETWORKS = `
parties:
  - name: Acme
    kind: msp
    accounts: ['CONTOSO\\acme-*']
`;

async function chainAlerts(context: string, accessFrom: string) {
  const result = await scanFiles({
    files: { 'security.ndjson': events(accessFrom) },
    context,
    rules: [RULES],
    noDefaultRules: true,
  });
  return result.alerts.filter((alert) => alert.rule.title === 'Inside networks example');
}

describe('chain inside_networks', () => {
  it('joins a record from the party network', async () => {
    assert.equal((await chainAlerts(WITH_NETWORKS, '198.51.100.20')).length, 1);
  });

  it('reads an IPv4 address written with a port', async () => {
    assert.equal((await chainAlerts(WITH_NETWORKS, '198.51.100.20:50123')).length, 1);
  });

  it('rejects a record from outside the party network', async () => {
    assert.equal((await chainAlerts(WITH_NETWORKS, '203.0.113.9')).length, 0);
  });

  it('rejects a record without an address', async () => {
    assert.equal((await chainAlerts(WITH_NETWORKS, '')).length, 0);
  });

  it('holds for a party that lists no networks', async () => {
    assert.equal((await chainAlerts(WITHOUT_NETWORKS, '203.0.113.9')).length, 1);
  });
});
