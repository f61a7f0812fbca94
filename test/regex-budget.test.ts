import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addSpending, RegexGuard } from '../src/rules/regex-guard.js';
import { parseAlerts, runCliAsync } from './helpers/cli.js';

/**
 * Regular expressions that backtrack catastrophically must not stall a scan: those V8 can run
 * in linear time switch to that engine (case-insensitive ones after their letters are folded
 * into classes), and the rest run under a time budget that counts and reports each overrun.
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-regex-budget-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Process creation events whose command lines are crafted for the pattern, one not. */
function writeEvents(name: string, crafted: string, harmless: string, count = 120): string {
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Hostname: 'WS1',
      '@timestamp': `2024-01-01T00:${String(Math.floor(index / 60)).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}Z`,
      CommandLine: index === 5 ? harmless : crafted,
    }),
  );
  const path = join(dir, `${name}.ndjson`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function writeRule(name: string, field: string, pattern: string): string {
  const path = join(dir, `${name}.yml`);
  writeFileSync(
    path,
    `title: Regex ${name}
id: 0a1b2c3d-4e5f-4a6b-8c7d-${String(name.length).padStart(4, '0')}0e0f1a2b3c
logsource: {product: windows, category: process_creation}
detection:
  sel: {${JSON.stringify(field)}: ${JSON.stringify(pattern)}}
  condition: sel
`,
  );
  return path;
}

/** Scans event files with one rule, with `options` (`--workers 2`) before the paths. */
async function scan(rule: string, events: string | readonly string[], options: string[] = []) {
  const started = Date.now();
  const result = await runCliAsync([
    'scan',
    '--no-default-rules',
    '--rules',
    rule,
    '--output',
    'ndjson',
    '--db',
    ':memory:',
    '--no-progress',
    ...options,
    ...(typeof events === 'string' ? [events] : events),
  ]);
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

const CRAFTED = `${'a'.repeat(48)}!`;

// Each case: a pattern that backtracks catastrophically on CRAFTED and matches the harmless
// value of the sixth event; `guarded` says whether the crafted value reaches the time budget,
// which it does unless the looser linear-time expression already rejects it.
const CASES: {
  name: string;
  field: string;
  pattern: string;
  harmless: string;
  guarded: boolean;
}[] = [
  {
    name: 'inline-i',
    field: 'CommandLine|re',
    pattern: '(?i)(a+)+$',
    harmless: 'AAA',
    guarded: false,
  },
  {
    name: 'modifier-i',
    field: 'CommandLine|re|i',
    pattern: '(a+)+$',
    harmless: 'AaA',
    guarded: false,
  },
  {
    name: 'backreference',
    field: 'CommandLine|re',
    pattern: '(a+)+\\1$',
    harmless: 'aaaa',
    guarded: true,
  },
  {
    name: 'lookahead',
    field: 'CommandLine|re',
    pattern: '^(?=(a+)+$)a',
    harmless: 'aaa',
    guarded: true,
  },
  {
    name: 'lookbehind',
    field: 'CommandLine|re',
    pattern: '(a+)+$(?<=a)',
    harmless: 'aa',
    // The looser expression `(a+)+$` already fails on the crafted value.
    guarded: false,
  },
  {
    name: 'large-count',
    field: 'CommandLine|re',
    pattern: '^(a{1,20})+$',
    harmless: 'aaaa',
    guarded: false,
  },
];

describe('regular expression time', () => {
  for (const testCase of CASES) {
    it(`bounds ${testCase.name}`, async () => {
      const rule = writeRule(testCase.name, testCase.field, testCase.pattern);
      const events = writeEvents(testCase.name, CRAFTED, testCase.harmless);
      const result = await scan(rule, events);
      assert.equal(result.status, 0, result.stderr);
      const records = parseAlerts(result.stdout).map(
        (alert) => (alert.evidence as { record: number }[])[0]?.record,
      );
      assert.deepEqual(records, [6]);
      // Without the guard each crafted event runs for minutes; 120 of them would take hours.
      assert.ok(result.seconds < 60, `scan took ${result.seconds} s`);
      const reported = /regular expression evaluations ran over the time budget/.test(
        result.stderr,
      );
      assert.equal(reported, testCase.guarded, result.stderr);
    });
  }

  it('bounds a public rule pattern on an obfuscated script block', async () => {
    // The expression of SigmaHQ's "Invoke-Obfuscation Via Use Clip" family of rules.
    const rule = writeRule(
      'public',
      'CommandLine|re',
      '(?i)&&set.*(\\{\\d\\}){2,}\\\\"\\s+?-f.*&&.*cmd.*/c',
    );
    const crafted = `&&set${'{0}{1}\\" -f&&cmd'.repeat(400)}`;
    const events = writeEvents('public', crafted, '&&SET x={0}{1}\\" -f &&CMD /c', 20);
    const result = await scan(rule, events);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.seconds < 60, `scan took ${result.seconds} s`);
    assert.ok(parseAlerts(result.stdout).length >= 1);
  });
});

describe('RegexGuard', () => {
  it('returns results within the budget', () => {
    const guard = new RegexGuard({ budgetMs: 2000, disableAfter: 3 });
    const test = guard.compile('(a)\\1', '', 'rule-a');
    assert.equal(test('xaay'), true);
    assert.equal(test('xay'), false);
    assert.equal(guard.timeouts.total, 0);
    guard.close();
  });

  it('sums time spent per rule', () => {
    const guard = new RegexGuard({ budgetMs: 2000, disableAfter: 3 });
    const slow = guard.compile('^(a+)+\\1$', '', 'rule-slow');
    const fast = guard.compile('(b)\\1', '', 'rule-fast');
    const started = performance.now();
    for (let round = 0; round < 3; round++) assert.equal(slow(`${'a'.repeat(18)}b`), false);
    const elapsed = performance.now() - started;
    assert.equal(fast('bb'), true);

    const spent = guard.timeouts.spent.get('rule-slow');
    assert.equal(spent?.evaluations, 3);
    const ms = spent?.ms ?? 0;
    assert.ok(ms > 0, `${ms} ms`);
    assert.ok(ms <= elapsed, `${ms} of ${elapsed} ms`);
    assert.equal(guard.timeouts.spent.get('rule-fast')?.evaluations, 1);
    assert.equal(guard.timeouts.total, 0);
    guard.close();
  });

  it('adds the spending of threads', () => {
    const total = new Map([['rule-a', { ms: 2, evaluations: 1 }]]);
    addSpending(total, [
      ['rule-a', { ms: 3, evaluations: 2 }],
      ['rule-b', { ms: 1, evaluations: 1 }],
    ]);

    assert.deepEqual(total.get('rule-a'), { ms: 5, evaluations: 3 });
    assert.deepEqual(total.get('rule-b'), { ms: 1, evaluations: 1 });
  });

  it('counts overruns per rule and stops after the limit', () => {
    const guard = new RegexGuard({ budgetMs: 50, disableAfter: 2 });
    const slow = guard.compile('(a+)+\\1$', '', 'rule-slow');
    const fast = guard.compile('(b)\\1', '', 'rule-fast');
    const started = Date.now();
    for (let round = 0; round < 5; round++) assert.equal(slow(`${'a'.repeat(40)}!`), false);
    assert.ok(Date.now() - started < 20_000);
    assert.equal(guard.timeouts.byRule.get('rule-slow'), 2);
    assert.equal(fast('bb'), true, 'a new helper thread takes over after a timeout');
    guard.close();
  });

  it('stops a rule after the limit shared with another guard', () => {
    const counts = new Int32Array(new SharedArrayBuffer(8));
    const slots = new Map([
      ['rule-slow', 1],
      ['rule-other', 0],
    ]);
    const first = new RegexGuard({ budgetMs: 50, disableAfter: 3, shared: { counts, slots } });
    const second = new RegexGuard({ budgetMs: 50, disableAfter: 3, shared: { counts, slots } });
    const slowFirst = first.compile('(a+)+\\1$', '', 'rule-slow');
    const slowSecond = second.compile('(a+)+\\1$', '', 'rule-slow');

    for (let round = 0; round < 2; round++) assert.equal(slowFirst(`${'a'.repeat(40)}!`), false);
    for (let round = 0; round < 3; round++) assert.equal(slowSecond(`${'a'.repeat(40)}!`), false);

    assert.equal(counts[1], 3);
    assert.equal(counts[0], 0);
    assert.equal(first.timeouts.byRule.get('rule-slow'), 2);
    assert.equal(second.timeouts.byRule.get('rule-slow'), 1);
    first.close();
    second.close();
  });
});

describe('regular expression timeouts with workers', () => {
  it('stops a rule after the limit across threads', async () => {
    const rule = writeRule('shared-limit', 'CommandLine|re', '(a+)+\\1$');
    const files = ['first', 'second'].map((name) =>
      writeEvents(`workers-${name}`, CRAFTED, 'aaaa', 30),
    );
    const result = await scan(rule, files, ['--workers', '2']);

    assert.equal(result.status, 0, result.stderr);
    const counted =
      /(\d+) regular expression evaluations ran over the time budget, then stopped/.exec(
        result.stderr,
      );
    assert.ok(counted, result.stderr);
    // Each thread may start one more evaluation while the other's last one runs over.
    assert.ok(Number(counted[1]) >= 10, counted[0]);
    assert.ok(Number(counted[1]) <= 11, counted[0]);
    const logged = [...result.stderr.matchAll(/rule_timeouts=(\d+)/g)].map((match) =>
      Number(match[1]),
    );
    assert.equal(Math.max(...logged), Number(counted[1]), 'warnings give the count of all threads');
  });
});
