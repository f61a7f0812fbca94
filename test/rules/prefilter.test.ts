import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvalContext, fieldAccessor } from '../../src/rules/fields.js';
import { literalListTest } from '../../src/rules/literal-lists.js';
import {
  containsAnyFactor,
  DEFAULT_FACTOR_LIMITS,
  requiredFactors,
  requiredLiteral,
} from '../../src/rules/prefilter.js';
import { translateRegex } from '../../src/rules/regex.js';
import { loadRules, matchTitles, sysmonEvent } from '../helpers/engine.js';

const MIMIKATZ = [
  'dpapi::masterkey',
  'eo.oe.kiwi',
  'event::clear',
  'gentilkiwi.com',
  'kerberos::golden',
  'kiwi legit printer',
  'lsadump::',
  'mimidrv.sys',
  '\\mimilib.dll',
  'misc::skeleton',
  'privilege::debug',
  'sekurlsa::',
];

const SCRIPTS = ['invoke-mimikatz.ps1', 'get-gpppassword.ps1', 'powerup.ps1', 'powerview.ps1'];

/** Asserts the property that makes a prefilter safe: every literal contains some factor. */
function assertCovers(literals: readonly string[], factors: readonly string[]): void {
  for (const literal of literals) {
    assert.ok(
      factors.some((factor) => literal.includes(factor)),
      `${literal} contains none of ${factors.join(', ')}`,
    );
  }
}

/** Returns a small deterministic generator of numbers in [0, 1), so that a failure repeats. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Returns 1 to `sizes.lists` literals of `sizes.shortest` to `sizes.shortest + sizes.lengths - 1`
 * characters of `alphabet`.
 */
function randomLiterals(
  random: () => number,
  sizes: { lists: number; shortest: number; lengths: number },
  alphabet: string,
): string[] {
  return Array.from({ length: 1 + Math.floor(random() * sizes.lists) }, () =>
    Array.from(
      { length: sizes.shortest + Math.floor(random() * sizes.lengths) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join(''),
  );
}

describe('requiredFactors', () => {
  it('reduces Mimikatz keywords to three factors', () => {
    const factors = requiredFactors(MIMIKATZ);
    assert.deepEqual(factors, ['::', 'kiwi', 'mimi']);
    assertCovers(MIMIKATZ, factors ?? []);
  });

  it('reduces script names to their extension', () => {
    assert.deepEqual(requiredFactors(SCRIPTS), ['.ps1']);
  });

  it('gives up beyond the factor limit', () => {
    const names = ['alpha', 'bravo', 'golf', 'delta', 'kilo'];
    assert.equal(requiredFactors(names), undefined);
    const wide = { ...DEFAULT_FACTOR_LIMITS, maxFactors: 5 };
    const factors = requiredFactors(names, wide);
    assert.equal(factors?.length, 5);
    assertCovers(names, factors ?? []);
  });

  it('gives up on a literal shorter than a factor', () => {
    assert.equal(requiredFactors(['a', 'kiwi', 'mimi']), undefined);
  });

  it('covers generated lists whenever it answers', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const literals = randomLiterals(random, { lists: 12, shortest: 2, lengths: 10 }, 'ab:.é');
      const factors = requiredFactors(literals);
      if (factors) assertCovers(literals, factors);
    }
  });
});

/**
 * Returns the greedy choice as `requiredFactors` states it, counting every substring of every
 * length: the most literals, then the longer, then the first in code unit order.
 */
function greedyByCounting(literals: readonly string[]): string[] | undefined {
  const { maxFactors, minLength, maxLength } = DEFAULT_FACTOR_LIMITS;
  if (literals.some((literal) => literal.length < minLength)) return undefined;
  let uncovered = [...new Set(literals)];
  const factors: string[] = [];
  while (uncovered.length > 0) {
    const counts = new Map<string, number>();
    for (const literal of uncovered) {
      const seen = new Set<string>();
      for (let length = minLength; length <= maxLength; length++) {
        for (let start = 0; start + length <= literal.length; start++) {
          seen.add(literal.slice(start, start + length));
        }
      }
      for (const factor of seen) counts.set(factor, (counts.get(factor) ?? 0) + 1);
    }
    const [best, count] = [...counts].sort(
      ([a, countA], [b, countB]) => countB - countA || b.length - a.length || (a < b ? -1 : 1),
    )[0] as [string, number];
    if (count * (maxFactors - factors.length) < uncovered.length) return undefined;
    factors.push(best);
    uncovered = uncovered.filter((literal) => !literal.includes(best));
  }
  return factors;
}

describe('requiredFactors choice', () => {
  it('chooses as counting every substring would', () => {
    const random = seededRandom(11);
    for (let round = 0; round < 500; round++) {
      const alphabet = round % 2 === 0 ? 'ab:.' : 'abcdefgh.\\é';
      const literals = randomLiterals(random, { lists: 16, shortest: 1, lengths: 14 }, alphabet);
      assert.deepEqual(requiredFactors(literals), greedyByCounting(literals), literals.join(' '));
    }
    assert.deepEqual(requiredFactors(MIMIKATZ), greedyByCounting(MIMIKATZ));
    assert.deepEqual(requiredFactors(SCRIPTS), greedyByCounting(SCRIPTS));
  });
});

describe('containsAnyFactor', () => {
  it('passes a text with any factor', () => {
    const test = containsAnyFactor(['::', 'kiwi', 'mimi']);
    assert.equal(test('sekurlsa::logonpasswords'), true);
    assert.equal(test('gentilkiwi'), true);
    assert.equal(test('mimilib'), true);
    assert.equal(test('C:\\Windows\\System32'), false);
  });
});

describe('requiredLiteral', () => {
  it('finds the backtick of a token obfuscation pattern', () => {
    assert.equal(requiredLiteral('\\w+`(?:\\w+|-|.)`[\\w+|\\s]', ''), '`');
  });

  it('takes the longest top-level run', () => {
    assert.equal(requiredLiteral('\\\\temp\\\\[a-z]+\\.exe', ''), '\\temp\\');
    assert.equal(requiredLiteral('^powershell.*-enc', 'm'), 'powershell');
  });

  it('reads case classes as letters when asked', () => {
    const folded = translateRegex('(?i)werfault\\.exe', { i: false, m: false, s: false });
    assert.ok(typeof folded !== 'string');
    assert.equal(requiredLiteral(folded.source, folded.flags, true), 'werfault.exe');
    assert.equal(requiredLiteral(folded.source, folded.flags), '.');
    assert.equal(requiredLiteral('[\\u0045\\u0065]+xyz', '', true), 'xyz');
    assert.equal(requiredLiteral('[\\u0031\\u0051]abc', '', true), 'abc');
  });

  it('leaves out a quantified character', () => {
    assert.equal(requiredLiteral('abcd?e', ''), 'abc');
    assert.equal(requiredLiteral('ab{2,3}cdef', ''), 'cdef');
    assert.equal(requiredLiteral('ab+?', ''), 'a');
    assert.equal(requiredLiteral('x😀?', ''), 'x');
  });

  it('reads escapes as the characters they stand for', () => {
    assert.equal(requiredLiteral('\\x41bcd', ''), 'bcd');
    assert.equal(requiredLiteral('\\cAbc', ''), 'bc');
    assert.equal(requiredLiteral('(a)\\1xyz', ''), 'xyz');
    assert.equal(requiredLiteral('a\\.b', ''), 'a.b');
  });

  it('has none for a top-level alternation', () => {
    assert.equal(requiredLiteral('mimikatz|sekurlsa', ''), undefined);
    assert.equal(requiredLiteral('(?:mimikatz|sekurlsa)', ''), undefined);
  });

  it('has none under flags it cannot follow', () => {
    assert.equal(requiredLiteral('mimikatz', 'i'), undefined);
    assert.equal(requiredLiteral('mimikatz', 'u'), undefined);
  });
});

const set = loadRules({
  'mimikatz.yml': `
title: Mimikatz keywords
logsource:
  product: windows
detection:
  keywords:
${MIMIKATZ.map((value) => `    - '${value}'`).join('\n')}
  condition: keywords
`,
  'scripts.yml': `
title: Script names
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains:
${SCRIPTS.map((value) => `      - '${value}'`).join('\n')}
  condition: selection
`,
  'backtick.yml': `
title: Token obfuscation
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|re: '\\w+\`(?:\\w+|-|.)\`[\\w+|\\s]'
  condition: selection
`,
});

describe('prefiltered rules', () => {
  it('load without problems', () => {
    assert.deepEqual(
      set.problems.filter((problem) => problem.severity === 'error'),
      [],
    );
  });

  it('match keywords in any case', () => {
    const [upper, mixed] = matchTitles(set, [
      sysmonEvent(1, { CommandLine: 'MIMIKATZ "SEKURLSA::LOGONPASSWORDS"' }),
      sysmonEvent(1, { Description: 'GentilKiwi.COM tools' }),
    ]);
    assert.deepEqual(upper, ['Mimikatz keywords']);
    assert.deepEqual(mixed, ['Mimikatz keywords']);
  });

  it('match keywords beside non-ASCII text', () => {
    const [titles] = matchTitles(set, [sysmonEvent(1, { Message: 'Überwachung: lsadump::sam ✓' })]);
    assert.deepEqual(titles, ['Mimikatz keywords']);
  });

  it('match keywords in nested values and numbers', () => {
    const [titles] = matchTitles(set, [
      sysmonEvent(1, { Data: { Inner: ['x', 'load \\mimilib.dll'] }, Count: 12 }),
    ]);
    assert.deepEqual(titles, ['Mimikatz keywords']);
  });

  it('do not match a keyword split across fields', () => {
    const [titles] = matchTitles(set, [sysmonEvent(1, { A: 'sekurlsa', B: '::msv' })]);
    assert.deepEqual(titles, []);
  });

  it('match a literal list in any case', () => {
    const [titles] = matchTitles(set, [
      sysmonEvent(1, { CommandLine: 'powershell -f C:\\T\\PowerView.PS1', Image: 'p.exe' }),
    ]);
    assert.deepEqual(titles, ['Script names']);
  });

  it('match the backtick expression', () => {
    const [hit, miss] = matchTitles(set, [
      sysmonEvent(1, { CommandLine: 'i`e`x (new-object)', Image: 'p.exe' }),
      sysmonEvent(1, { CommandLine: 'iex (new-object)', Image: 'p.exe' }),
    ]);
    assert.deepEqual(hit, ['Token obfuscation']);
    assert.deepEqual(miss, []);
  });
});

describe('literal lists from long context lists', () => {
  it('tests a list of 150,000 literals', () => {
    const text = fieldAccessor('Text');
    const literals = Array.from({ length: 150_000 }, (_, at) => `host-${at}.example`);
    const matcher = literalListTest((context) => context.lowerOf(text), literals, 'contains');
    const context = new EvalContext(1 << 20);
    const test = (value: string) => {
      context.reset({ fields: { Text: value }, extra: {} } as never);
      return matcher(context);
    };

    assert.equal(test('connect to HOST-149999.example:443'), true);
    assert.equal(test('connect to host-150000.example:443'), false);
  });
});
