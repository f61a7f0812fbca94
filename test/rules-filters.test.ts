import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRules, matchTitles, sysmonEvent } from './helpers/engine.js';

const RULE = `
title: Rar compression
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: rar_compression
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\rar.exe'
  condition: selection
`;

function filterText(rules: string, logsource = '{product: windows, category: process_creation}') {
  return `
title: Filter administrator accounts
logsource: ${logsource}
filter:
  rules: ${rules}
  selection:
    User|startswith: 'adm_'
  condition: not selection
`;
}

const events = [
  sysmonEvent(1, { Image: 'C:\\rar.exe', User: 'adm_anna' }),
  sysmonEvent(1, { Image: 'C:\\rar.exe', User: 'bob' }),
];

describe('Sigma filters', () => {
  it('applies to a rule by id', () => {
    const set = loadRules({
      'rule.yml': RULE,
      'filter.yml': filterText('[6f3e2987-db24-4c78-a860-b4f4095a7095]'),
    });
    assert.equal(set.filters.length, 1);
    assert.deepEqual(matchTitles(set, events), [[], ['Rar compression']]);
  });

  it('applies to a rule by name', () => {
    const set = loadRules({ 'rule.yml': RULE, 'filter.yml': filterText('rar_compression') });
    assert.deepEqual(matchTitles(set, events), [[], ['Rar compression']]);
  });

  it('any applies by log source', () => {
    const set = loadRules({ 'rule.yml': RULE, 'filter.yml': filterText('any') });
    assert.deepEqual(matchTitles(set, events), [[], ['Rar compression']]);
  });

  it('skips another log source with a warning', () => {
    const set = loadRules({
      'rule.yml': RULE,
      'filter.yml': filterText('[rar_compression]', '{product: windows, category: file_event}'),
    });
    const warning = set.problems.find((problem) => problem.code === 'filter.logsource_mismatch');
    assert.equal(warning?.severity, 'warning');
    assert.deepEqual(matchTitles(set, events), [['Rar compression'], ['Rar compression']]);
  });

  it('warns about an unknown rule', () => {
    const set = loadRules({ 'rule.yml': RULE, 'filter.yml': filterText('[no_such_rule]') });
    const warning = set.problems.find((problem) => problem.code === 'filter.unknown_rule');
    assert.match(warning?.message ?? '', /no_such_rule/);
    assert.equal(warning?.location?.file, 'filter.yml');
  });

  it('rejects a filter without rules', () => {
    const text = filterText('[x]').replace('  rules: [x]\n', '');
    const set = loadRules({ 'filter.yml': text });
    assert.equal(set.filters.length, 0);
    assert.equal(set.rejected[0]?.errors[0]?.code, 'filter.missing_rules');
  });

  it('rejects a filter with an unknown modifier', () => {
    const text = filterText('any').replace('User|startswith', 'User|startswithh');
    const set = loadRules({ 'filter.yml': text });
    assert.equal(set.filters.length, 0);
    const error = set.rejected[0]?.errors[0];
    assert.equal(error?.code, 'rule.unknown_modifier');
    assert.equal(error?.location?.line, 7);
  });

  it('keeps them out of the rule condition', () => {
    const rule = RULE.replace('condition: selection', 'condition: 1 of them');
    const set = loadRules({ 'rule.yml': rule, 'filter.yml': filterText('any') });
    assert.deepEqual(matchTitles(set, events), [[], ['Rar compression']]);
  });
});
