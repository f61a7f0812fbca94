import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Correlator } from '../../src/engine/correlator.js';
import type { Finding } from '../../src/engine/finding.js';
import type { Event } from '../../src/model/event.js';
import { loadRuleTexts } from '../../src/rules/load.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule, Rule } from '../../src/rules/rule.js';

function detection(name: string): string {
  return `title: ${name}
name: ${name}
logsource:
  product: test
detection:
  selection:
    action: ${name}
  condition: selection
`;
}

function chain(observeWithin: string): string {
  return `title: Session chain
name: session_chain
correlation:
  type: chain
  remember:
    address: "{ip}"
${observeWithin}
  observe:
    - rules: [call]
      links:
        session: ["{session}"]
  steps:
    - name: assume
      rules: [assume]
      provides:
        session: ["{new_session}"]
    - name: privileged
      within: 30m
      rules: [privileged]
      links:
        session: ["{session}"]
    - name: exposure
      within: 60m
      rules: [expose]
      links:
        session: ["{session}"]
      unseen:
        address: "{ip}"
`;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function event(time: number, fields: Record<string, string>): Event {
  return {
    time,
    timeText: String(time),
    format: 'test',
    logsource: { product: 'test' },
    fields,
    core: {},
    extra: fields.action === 'assume' ? { 'trust.party': 'Initech' } : {},
    origin: { file: 'test', record: time / MINUTE, line: 0 },
    summary: fields.action ?? '',
  };
}

/** An earlier session that uses address Y only after its instance closed, then a new one. */
const EVENTS: Event[] = [
  event(0, { action: 'assume', new_session: 'a', ip: 'X' }),
  event(10 * MINUTE, { action: 'call', session: 'a', ip: 'X' }),
  event(45 * MINUTE, { action: 'call', session: 'a', ip: 'Y' }),
  event(DAY, { action: 'assume', new_session: 'b', ip: 'Y' }),
  event(DAY + 5 * MINUTE, { action: 'privileged', session: 'b', ip: 'Y' }),
  event(DAY + 10 * MINUTE, { action: 'expose', session: 'b', ip: 'Y' }),
];

function replay(observeWithin: string): Finding[] {
  const texts = ['assume', 'call', 'privileged', 'expose'].map(detection);
  const set = loadRuleTexts(
    [{ file: 'chain.yml', text: [...texts, chain(observeWithin)].join('---\n') }],
    { placeholders: placeholderLookup({}) },
  );
  assert.deepEqual(
    set.problems.map((problem) => problem.message),
    [],
  );
  const byName = new Map<string, Rule>(set.rules.map((rule) => [rule.meta.name ?? '', rule]));
  const correlator = new Correlator(set.rules, {
    stepOverride: () => undefined,
    inPartyNetworks: () => false,
  });
  const findings: Finding[] = [];
  for (const item of EVENTS) {
    const rule = byName.get(String(item.fields.action)) as DetectionRule;
    correlator.push(item, [rule], findings);
  }
  correlator.flush(findings);
  return findings;
}

describe('chain observe_within', () => {
  it('remembers addresses a closed instance still sees', () => {
    assert.equal(replay('  observe_within: 12h').length, 0);
  });

  it('forgets them without the option', () => {
    const findings = replay('');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.steps[2]?.events[0]?.fields.ip, 'Y');
  });

  it('forgets them after the time runs out', () => {
    assert.equal(replay('  observe_within: 10m').length, 1);
  });
});
