import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/model/alert.js';
import { scanFiles } from '../helpers/scan-identity.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Chains and chain grouping compare actors as accounts: `THESHIRE\pgustavo` and
 * `THESHIRE.LOCAL\pgustavo` are one actor. The first case reads real OTRF records of one logon,
 * whose 4672 writes the NetBIOS domain and whose 4624 writes the DNS domain.
 */

const COVENANT = readFileSync(
  join(REPO_ROOT, 'test/fixtures/windows/otrf-covenant-copy-smb.pgustavo.ndjson'),
  'utf8',
);

const CONTEXT = `
parties:
  - name: Northwind Managed IT
    kind: msp
    accounts: ['THESHIRE\\pgustavo']
`;

const SESSION_RULES = `
title: Party logon
name: spelling_logon
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4624}
  party: {trust.party|exists: true}
  condition: selection and party
---
title: Party privileges
name: spelling_privileges
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4672}
  party: {trust.party|exists: true}
  condition: selection and party
---
title: Party share access
name: spelling_share
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 5140}
  condition: selection
---
title: Logon then share access
name: spelling_chain
correlation:
  type: chain
  steps:
    - name: logon
      members:
        - rules: [spelling_logon]
          actor: '{TargetDomainName}\\{TargetUserName}'
          provides: {logon: ['{TargetLogonId}']}
        - rules: [spelling_privileges]
          actor: '{SubjectDomainName}\\{SubjectUserName}'
          provides: {logon: ['{SubjectLogonId}']}
    - name: access
      within: 10m
      rules: [spelling_share]
      links: {logon: ['{SubjectLogonId}']}
level: high
`;

function chainAlerts(alerts: Alert[], title: string): Alert[] {
  return alerts.filter((alert) => alert.rule.title === title);
}

describe('chain actor spellings', () => {
  it('opens one instance for one account in two spellings', async () => {
    const result = await scanFiles({
      files: { 'security.ndjson': COVENANT },
      context: CONTEXT,
      rules: [SESSION_RULES],
      noDefaultRules: true,
    });
    const alerts = chainAlerts(result.alerts, 'Logon then share access');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, 'THESHIRE\\pgustavo');
    assert.deepEqual(
      alerts[0]?.evidence.map((item) => `${item.step}#${item.record}`),
      ['1#1', '1#2', '2#4', '2#5'],
    );
  });

  it('groups sessions of one account in two spellings', async () => {
    const record = (fields: Record<string, unknown>) =>
      JSON.stringify({ Channel: 'Security', Computer: 'WORKSTATION6.theshire.local', ...fields });
    const session = (time: string, domain: string, logonId: string) => [
      record({
        EventID: 4624,
        TimeCreated: `2020-09-22T${time}:00Z`,
        TargetUserName: 'pgustavo',
        TargetDomainName: domain,
        TargetLogonId: logonId,
      }),
      record({
        EventID: 5140,
        TimeCreated: `2020-09-22T${time}:30Z`,
        SubjectUserName: 'pgustavo',
        SubjectDomainName: 'THESHIRE',
        SubjectLogonId: logonId,
      }),
    ];
    const events = [
      ...session('18:50', 'THESHIRE', '0x10'),
      ...session('18:55', 'THESHIRE.LOCAL', '0x20'),
    ].join('\n');

    const result = await scanFiles({
      files: { 'security.ndjson': events },
      context: `${CONTEXT}settings:\n  group_chain_sessions: true\n`,
      rules: [SESSION_RULES],
      noDefaultRules: true,
    });
    const alerts = chainAlerts(result.alerts, 'Logon then share access');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, 'THESHIRE\\pgustavo');
    assert.equal(alerts[0]?.grouped.length, 1);
    assert.equal(alerts[0]?.evidence.length, 4);
  });
});
