import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuleTexts } from '../src/rules/load.js';
import type { CorrelationRule, DetectionRule } from '../src/rules/rule.js';

function load(text: string, placeholders: Record<string, string[]> = {}) {
  return loadRuleTexts([{ file: 'rule.yml', text }], {
    placeholders: { values: (name: string) => placeholders[name], unresolved: 'reject' },
  });
}

describe('rule loading', () => {
  it('reports every problem of a rule set at once, with code and line', () => {
    const set = load(`title: Bad modifier
logsource: {product: windows, service: security}
detection:
  sel:
    Image|endswidth: x.exe
  condition: sel
---
title: Undefined search
logsource: {product: windows}
detection:
  sel: {EventID: 1}
  condition: sel and filter
---
title: Syntax
logsource: {product: windows}
detection:
  sel: {EventID: 1}
  condition: sel and (
---
title: Good
logsource: {product: windows}
detection:
  sel: {EventID: 1}
  condition: sel
`);
    assert.deepEqual(
      set.rules.map((rule) => rule.meta.title),
      ['Good'],
    );
    assert.deepEqual(
      set.problems.map((problem) => [problem.code, problem.location?.line]),
      [
        ['rule.unknown_modifier', 5],
        ['rule.undefined_search', 12],
        ['rule.condition_syntax', 18],
      ],
    );
    assert.match(set.problems[0]?.message ?? '', /unknown modifier "endswidth"/);
    assert.equal(set.problems[0]?.snippet, 'Image|endswidth: x.exe');
    assert.match(set.problems[2]?.message ?? '', /column 10 of "sel and \("/);
  });

  it('rejects a condition nested too deep, and loads the rule beside it', () => {
    const deep = (depth: number) => `${'('.repeat(depth)}sel${')'.repeat(depth)}`;
    const rule = (title: string, condition: string) =>
      `title: ${title}\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: ${condition}\n`;
    const set = load(
      [
        rule('Parentheses', deep(4000)),
        rule('Negations', `${'not '.repeat(12000)}sel`),
        rule('Deep but allowed', deep(64)),
        rule('Good', 'not (sel)'),
      ].join('---\n'),
    );
    assert.deepEqual(
      set.rules.map((loaded) => loaded.meta.title),
      ['Deep but allowed', 'Good'],
    );
    assert.deepEqual(
      set.problems.map((problem) => [problem.code, problem.location?.line]),
      [
        ['rule.condition_too_deep', 5],
        ['rule.condition_too_deep', 11],
      ],
    );
    assert.match(set.problems[0]?.message ?? '', /more than 64 levels/);
  });

  it('names the regex budget for backreferences', () => {
    const rule = (pattern: string) =>
      `title: Nested\nlogsource: {product: linux}\ndetection:\n  sel: {message|re: '${pattern}'}\n  condition: sel\n`;
    const linear = load(rule('^(a+)+$')).problems[0]?.message ?? '';
    const budgeted = load(rule('^(a+)+\\1$')).problems[0]?.message ?? '';

    assert.match(linear, /switch to V8's linear-time engine/);
    assert.match(budgeted, /runs under settings\.limits\.regex_budget_ms per evaluation/);
  });

  it('checks values of a rule that fails elsewhere', () => {
    const set = load(`title: Several faults
level: severe
logsource: {product: windows, service: security}
detection:
  selection:
    EventID|nosuchmod: 4624
    TargetUserName|re: '(unclosed'
    IpAddress|cidr: 10.0.0.0/99
  condition: selection and (
`);
    assert.equal(set.rules.length, 0);
    assert.deepEqual(
      set.problems.map((problem) => [problem.code, problem.location?.line]),
      [
        ['rule.invalid_level', 2],
        ['rule.unknown_modifier', 6],
        ['rule.unsupported_regex', 7],
        ['rule.invalid_value', 8],
        ['rule.condition_syntax', 9],
      ],
    );
  });

  it('loads the other documents of a file with a YAML error', () => {
    const set = load(`title: Good
logsource: {product: windows}
detection:
  sel: {EventID: 1}
  condition: sel
---
title: Broken
detection: [unclosed
`);
    assert.deepEqual(
      set.rules.map((rule) => rule.meta.title),
      ['Good'],
    );
    assert.equal(set.documents, 2);
    assert.equal(set.problems[0]?.code, 'yaml.bad_indent');
    assert.equal(set.problems[0]?.location?.line, 9);
  });

  it('keeps unknown top-level keys and warns about unused searches', () => {
    const set = load(`title: Extra keys
id: 11111111-2222-3333-4444-555555555555
regression_tests_path: x/info.yml
logsource: {product: windows}
detection:
  sel: {EventID: 1}
  unused: {EventID: 2}
  condition: sel
`);
    assert.equal(set.rules.length, 1);
    assert.deepEqual(set.rules[0]?.meta.extra, { regression_tests_path: 'x/info.yml' });
    assert.deepEqual(
      set.problems.map((problem) => [problem.severity, problem.code]),
      [['warning', 'rule.unused_search']],
    );
  });

  it('names unsupported Sigma 1.x features', () => {
    const set = load(`title: Aggregation
logsource: {product: windows}
detection:
  sel: {EventID: 4625}
  timeframe: 5m
  condition: sel | count() by IpAddress > 10
`);
    assert.deepEqual(
      set.problems.map((problem) => problem.code),
      ['rule.unsupported_timeframe', 'rule.unsupported_aggregation'],
    );
  });

  it('reports an undefined placeholder and PCRE-only syntax', () => {
    const set = load(`title: Placeholder
logsource: {product: windows}
detection:
  sel: {Image|expand: '%tools%'}
  condition: sel
---
title: Atomic group
logsource: {product: windows}
detection:
  sel: {CommandLine|re: '(?>a+)b'}
  condition: sel
`);
    assert.deepEqual(
      set.problems.map((problem) => problem.code),
      ['rule.placeholder_undefined', 'rule.unsupported_regex'],
    );
    assert.match(set.problems[1]?.message ?? '', /atomic groups/);
  });

  it('resolves correlations by name and stops referenced rules from alerting', () => {
    const set = load(`title: Failed
name: failed
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
---
title: Many failed
correlation:
  type: event_count
  rules: [failed]
  group-by: [IpAddress]
  timespan: 10m
  condition: {gte: 5}
`);
    assert.deepEqual(set.problems, []);
    const [detection, correlation] = set.rules as [DetectionRule, CorrelationRule];
    assert.equal(detection.emits, false);
    assert.equal(correlation.emits, true);
    assert.equal(correlation.timespanMs, 600_000);
  });

  it('validates correlation and chain sections', () => {
    const set = load(`title: Broken correlation
correlation:
  type: event_count
  rules: [nothing_here]
  timespan: soon
  condition: {more_than: 3}
  colour: red
---
title: Broken chain
correlation:
  type: chain
  steps:
    - name: one
      rules: [a]
      provides: {logon: ['{TargetLogonId|nope}']}
    - name: two
      rules: [b]
      links: {session: ['{SubjectLogonId}']}
`);
    assert.deepEqual(
      set.problems.map((problem) => problem.code),
      [
        'correlation.unknown_rule',
        'correlation.invalid_timespan',
        'correlation.unknown_condition',
        'correlation.unknown_key',
        'correlation.unknown_rule',
        'correlation.invalid_template',
        'correlation.invalid_within',
        'correlation.unknown_rule',
        'correlation.unknown_key_space',
      ],
    );
    assert.equal(set.rules.length, 0);
  });

  it('rejects a duplicate rule id and keeps the first', () => {
    const rule = `title: T
id: dup
logsource: {product: windows}
detection: {sel: {EventID: 1}, condition: sel}
`;
    const set = load(`${rule}---\n${rule}`);
    assert.equal(set.rules.length, 1);
    assert.deepEqual(
      set.problems.map((problem) => problem.code),
      ['rules.duplicate_id'],
    );
  });
});

describe('catastrophic backtracking', () => {
  it('is warned about for overlapping alternatives and nested groups', () => {
    const set = load(`title: Exponential command line patterns
id: 5b0c7e52-8f1d-4a8e-9d3c-2e6f1a7b9c01
logsource: {category: process_creation, product: windows}
detection:
  sel_optional:
    CommandLine|re: '^(a|a?){20,}b$'
  sel_nested:
    CommandLine|re: '^(([a-z])+.)+[A-Z]([a-z])+$'
  sel_linear:
    CommandLine|re: '^(?:\\S+\\s+){2,}\\S+$'
  condition: 1 of sel_*
`);
    assert.deepEqual(
      set.problems.map((problem) => [problem.code, problem.location?.line]),
      [
        ['rule.regex_backtracking', 6],
        ['rule.regex_backtracking', 8],
      ],
    );
    assert.equal(
      set.problems[0]?.message,
      'CommandLine|re: the repetition "(a|a?){20,}" in "^(a|a?){20,}b$" can match the same ' +
        'text in more than one way, so it can backtrack catastrophically; it runs under ' +
        'settings.limits.regex_budget_ms per evaluation, an evaluation over it counts as no ' +
        'match, and after settings.limits.regex_timeouts of them the rule stops running',
    );
    assert.equal(
      set.problems[1]?.message,
      'CommandLine|re: the repetition "(([a-z])+.)+" in "^(([a-z])+.)+[A-Z]([a-z])+$" can ' +
        'match the same text in more than one way, so it can backtrack catastrophically; such ' +
        "matches switch to V8's linear-time engine, which keeps the scan going but slows the rule",
    );
  });

  it('is warned about for multiplied counts and written-out loops', () => {
    const set = load(`title: Counted and written-out patterns
id: 1c7e9a42-5d3b-4f6e-8a2c-0b9d4e6f1a37
logsource: {category: process_creation, product: windows}
detection:
  sel_nested:
    CommandLine|re: '(a{1,10}){1,10}b'
  sel_optional:
    CommandLine|re: '(?:x?){15}x{15}'
  sel_chain:
    CommandLine|re: '.*a.*a.*a.*a.*a.*x'
  sel_few:
    CommandLine|re: '.*\\\\cmd\\.exe.*/c.*'
  sel_short:
    CommandLine|re: '[a-z]{3,10}\\.exe'
  condition: 1 of sel_*
`);
    assert.deepEqual(
      set.problems.map((problem) => [
        problem.code,
        problem.location?.line,
        problem.location?.column,
      ]),
      [
        ['rule.regex_backtracking', 6, 21],
        ['rule.regex_backtracking', 8, 21],
        ['rule.regex_backtracking', 10, 21],
      ],
    );
    // The first clause names the part at fault; the rest names the bound, as above.
    const parts = set.problems.map((problem) => problem.message.split('; ')[0]);
    assert.deepEqual(parts, [
      'CommandLine|re: the repetition "(a{1,10}){1,10}" in "(a{1,10}){1,10}b" can match the ' +
        'same text in more than one way, so it can backtrack catastrophically',
      'CommandLine|re: the repetitions "(?:x?){15}x{15}" in "(?:x?){15}x{15}" can match the ' +
        'same text in more than one way, so they can backtrack catastrophically',
      'CommandLine|re: the repetitions ".*a.*a.*a.*a.*a.*" in ".*a.*a.*a.*a.*a.*x" can match ' +
        'the same text in more than one way, so they can backtrack catastrophically',
    ]);
  });

  it('follows the i modifier and inline flag', () => {
    const rule = (key: string, pattern: string) =>
      'title: Case\nlogsource: {product: windows}\n' +
      `detection:\n  sel: {'${key}': '${pattern}'}\n  condition: sel\n`;

    assert.deepEqual(load(rule('CommandLine|re', '(?:x|X)+$')).problems, []);
    assert.equal(
      load(rule('CommandLine|re|i', '(?:x|X)+$')).problems[0]?.code,
      'rule.regex_backtracking',
    );
    assert.match(
      load(rule('CommandLine|re', '(?i)(?:x|X)+$')).problems[0]?.message ?? '',
      /the repetition "\(\?:x\|X\)\+" in "\(\?i\)\(\?:x\|X\)\+\$"/,
    );
  });

  it('is warned about when the rule loads and cannot stall a scan', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCli, parseAlerts } = await import('./helpers/cli.js');
    const rule = `title: Evil regex
id: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|re: '^(a+)+$'}
  condition: sel
`;
    const set = load(rule);
    assert.deepEqual(
      set.problems.map((problem) => problem.code),
      ['rule.regex_backtracking'],
    );
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-regex-'));
    writeFileSync(join(dir, 'rule.yml'), rule);
    const lines = Array.from({ length: 200 }, (_, index) =>
      JSON.stringify({
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Hostname: 'WS1',
        '@timestamp': `2024-01-01T00:00:${String(index % 60).padStart(2, '0')}Z`,
        CommandLine: `${'a'.repeat(60)}${index === 7 ? '' : 'b'}`,
      }),
    );
    writeFileSync(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`);
    const started = Date.now();
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      join(dir, 'rule.yml'),
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      join(dir, 'events.ndjson'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      parseAlerts(result.stdout).map(
        (alert) => (alert.evidence as { record: number }[])[0]?.record,
      ),
      [8],
    );
    assert.ok(Date.now() - started < 30_000, 'a backtracking rule finishes');
  });
});
