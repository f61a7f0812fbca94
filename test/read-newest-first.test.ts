import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanFiles } from './helpers/scan-identity.js';

/**
 * Inputs whose records run newest first (Microsoft Graph pages, for one) keep their earliest
 * events at the end. When such an input is longer than the head that the reader looks at, the
 * merge must open it at once, not when the head's earliest time comes. Otherwise its older
 * events arrive after the other inputs' later ones, and chains miss them.
 */

const RULES = `
title: Party logon
name: newest_first_logon
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4624}
  party: {trust.party|exists: true}
  condition: selection and party
---
title: Share access
name: newest_first_access
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 5140}
  condition: selection
---
title: Newest first example
name: newest_first_chain
correlation:
  type: chain
  steps:
    - name: logon
      rules: [newest_first_logon]
      provides: {logon: ['{TargetLogonId}']}
    - name: access
      within: 30m
      rules: [newest_first_access]
      links: {logon: ['{SubjectLogonId}']}
level: high
`;

const CONTEXT = `
parties:
  - name: Acme
    kind: msp
    networks: ['198.51.100.0/26']
`;

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ Channel: 'Security', Computer: 'APP01', ...fields });
}

/** Party logon at 09:00, then 600 logons of others up to 11:00, written newest first. */
function newestFirstLogons(): string {
  const lines = [
    record({
      EventID: 4624,
      TimeCreated: '2024-03-12T09:00:00Z',
      TargetUserName: 'svc-remote',
      TargetLogonId: '0x10',
      IpAddress: '198.51.100.7',
      Padding: 'x'.repeat(100),
    }),
  ];
  for (let index = 1; index <= 600; index++) {
    const time = new Date(Date.parse('2024-03-12T09:00:00Z') + index * 12_000).toISOString();
    lines.push(
      record({
        EventID: 4624,
        TimeCreated: time,
        TargetUserName: `user${index}`,
        TargetLogonId: `0x${(1000 + index).toString(16)}`,
        IpAddress: '10.0.0.5',
        Padding: 'x'.repeat(100),
      }),
    );
  }
  return lines.reverse().join('\n');
}

describe('newest-first input', () => {
  it('is opened before later inputs', async () => {
    const logons = newestFirstLogons();
    assert.ok(logons.length > 64 * 1024, 'the input must be longer than the head');
    const access = record({
      EventID: 5140,
      TimeCreated: '2024-03-12T09:05:00Z',
      SubjectLogonId: '0x10',
    });
    const result = await scanFiles({
      files: { 'a-access.ndjson': access, 'b-logons.ndjson': logons },
      context: CONTEXT,
      rules: [RULES],
      noDefaultRules: true,
    });
    assert.equal(result.summary.late, 0);
    const chains = result.alerts.filter((alert) => alert.rule.title === 'Newest first example');
    assert.equal(chains.length, 1);
  });
});
