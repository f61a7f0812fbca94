import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeholderLookup } from '../src/rules/placeholders.js';
import { loadRules, matchTitles, sysmonEvent } from './helpers/engine.js';

const RULE = `
title: Admin tool
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\tool.exe'
  filter:
    User|expand: '%Administrators%'
  condition: selection and not filter
`;

const events = [
  sysmonEvent(1, { Image: 'C:\\tool.exe', User: 'CORP\\adm-anna' }),
  sysmonEvent(1, { Image: 'C:\\tool.exe', User: 'CORP\\bob' }),
];

describe('expand placeholders', () => {
  it('rejects a rule by default', () => {
    const set = loadRules({ 'rule.yml': RULE });
    assert.equal(set.rules.length, 0);
    assert.equal(set.rejected.length, 1);
    assert.equal(set.rejected[0]?.errors[0]?.code, 'rule.placeholder_undefined');
    assert.match(set.rejected[0]?.errors[0]?.message ?? '', /%Administrators%/);
  });

  it('expands values with wildcards', () => {
    const placeholders = placeholderLookup({ Administrators: ['CORP\\adm-*'] });
    const set = loadRules({ 'rule.yml': RULE }, placeholders);
    assert.equal(set.rules.length, 1);
    assert.deepEqual(matchTitles(set, events, { placeholders }), [[], ['Admin tool']]);
  });

  it('wildcard mode loads with a warning', () => {
    const placeholders = placeholderLookup({}, 'wildcard');
    const set = loadRules({ 'rule.yml': RULE }, placeholders);
    assert.equal(set.rules.length, 1);
    const warning = set.problems.find((problem) => problem.code === 'rule.placeholder_unresolved');
    assert.equal(warning?.severity, 'warning');
    assert.equal(warning?.location?.line, 8);
    // The filter matches every user, so nothing is left.
    assert.deepEqual(matchTitles(set, events, { placeholders }), [[], []]);
  });

  it('empty mode matches nothing in place', () => {
    const placeholders = placeholderLookup({}, 'empty');
    const set = loadRules({ 'rule.yml': RULE }, placeholders);
    assert.deepEqual(matchTitles(set, events, { placeholders }), [['Admin tool'], ['Admin tool']]);
  });

  it('escaped percent stays plain', () => {
    const rule = `
title: Echo
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|expand: 'echo \\%plain%%name%'
  condition: selection
`;
    const placeholders = placeholderLookup({ name: ['x', 'y'] });
    const set = loadRules({ 'rule.yml': rule }, placeholders);
    const results = matchTitles(
      set,
      [
        sysmonEvent(1, { CommandLine: 'echo %plain%x' }),
        sysmonEvent(1, { CommandLine: 'echo %plain%y' }),
        sysmonEvent(1, { CommandLine: 'echo %plain%z' }),
      ],
      { placeholders },
    );
    assert.deepEqual(results, [['Echo'], ['Echo'], []]);
  });

  it('leaves values without expand literal', () => {
    const rule = `
title: Literal
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: '%userdomain%'
  condition: selection
`;
    const set = loadRules({ 'rule.yml': rule });
    const results = matchTitles(set, [sysmonEvent(1, { CommandLine: 'echo %USERDOMAIN%' })]);
    assert.deepEqual(results, [['Literal']]);
  });
});
