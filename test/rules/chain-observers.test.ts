import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuleTexts } from '../../src/rules/load.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';

const STEP_RULES = ['example_login', 'example_session', 'example_read']
  .map(
    (name) => `
title: ${name}
name: ${name}
logsource:
  product: linux
detection:
  selection:
    action: ${name}
  condition: selection
`,
  )
  .join('---');

function chain(observe: string): string {
  return `${STEP_RULES}---
title: Example chain with an observer
name: example_observed_chain
correlation:
  type: chain
${observe}
  steps:
    - name: login
      rules: [example_login]
      provides:
        login: ["{hostname}/{user}"]
    - name: read
      within: 30m
      rules: [example_read]
      links:
        audit_session: ["{ses}"]
`;
}

function load(text: string) {
  return loadRuleTexts([{ file: 'chain.yml', text }], { placeholders: placeholderLookup({}) });
}

describe('chain observers', () => {
  it('let steps link by observer keys', () => {
    const set = load(
      chain(`  observe:
    - rules: [example_session]
      links:
        login: ["{hostname}/{user}"]
      provides:
        audit_session: ["{session_id}"]`),
    );
    assert.deepEqual(
      set.problems.map((problem) => problem.message),
      [],
    );
    assert.equal(set.rules.length, 4);
  });

  it('reject a link that nothing provides', () => {
    const set = load(chain(''));
    const messages = set.problems.map((problem) => problem.message);
    assert.ok(
      messages.includes('no earlier step or observer provides the key "audit_session"'),
      messages.join('\n'),
    );
  });
});
