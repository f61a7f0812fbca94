import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearBounds } from '../../src/rules/regex-relax.js';

/**
 * The looser expression must match wherever the original does and the tighter one only where
 * it does. Random expressions with lookaround, backreferences and large counts are compared on
 * random subjects, seeded so that a failure can be replayed.
 */

const ATOMS = [
  'a',
  'b',
  'ab',
  '.',
  '\\w',
  '\\s',
  '[ab]',
  '[^a]',
  '(a|b)',
  '(?:ba)',
  '(?=a)',
  '(?!b)',
  '(?<=a)',
  '(?<!b)',
  '(?=(a|b)a)',
  '\\1',
  '(?<n>b)\\k<n>',
  '[{]',
  '\\{',
];

const QUANTIFIERS = [
  '',
  '',
  '*',
  '+',
  '?',
  '{2}',
  '{1,3}',
  '{0,20}',
  '{17}',
  '{3,}',
  '{18,}',
  '{2,40}?',
];

function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

describe('linearBounds', () => {
  it('rewrites counts, lookaround and backreferences', () => {
    assert.deepEqual(linearBounds('-k\\s\\w{1,64}'), {
      loose: '-k\\s\\w{1,}',
      tight: '-k\\s\\w{1,16}',
    });
    assert.deepEqual(linearBounds('.{150}'), { loose: '.{16,}', tight: undefined });
    assert.deepEqual(linearBounds('(a)\\1(?=b)'), {
      loose: '(a)(?:[\\s\\S]*)(?:)',
      tight: undefined,
    });
    assert.deepEqual(linearBounds('[{]{2}x{3,}'), { loose: '[{]{2}x{3,}', tight: '[{]{2}x{3,}' });
  });

  it('brackets the original on random expressions', () => {
    const random = generator(4242);
    const subjects = Array.from({ length: 80 }, () =>
      Array.from({ length: Math.floor(random() * 14) }, () =>
        pick(random, ['a', 'b', ' ', 'c', '{']),
      ).join(''),
    );
    // Long runs reach the counts above the linear-time engine's limit of 16.
    for (const length of [16, 17, 18, 21, 25]) {
      subjects.push('a'.repeat(length), `${'b'.repeat(length)}a`, `{${'ab'.repeat(length >> 1)}`);
    }
    let compared = 0;
    for (let round = 0; round < 1500; round++) {
      const pattern = Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => `${pick(random, ATOMS)}${pick(random, QUANTIFIERS)}`,
      ).join('');
      let original: RegExp;
      try {
        original = new RegExp(pattern);
      } catch {
        continue;
      }
      const bounds = linearBounds(pattern);
      const loose = new RegExp(bounds.loose);
      const tight = bounds.tight === undefined ? undefined : new RegExp(bounds.tight);
      for (const subject of subjects) {
        const matched = original.test(subject);
        compared++;
        if (matched)
          assert.ok(loose.test(subject), `/${bounds.loose}/ misses ${subject} of /${pattern}/`);
        if (tight?.test(subject))
          assert.ok(matched, `/${bounds.tight}/ adds ${subject} to /${pattern}/`);
      }
    }
    assert.ok(compared > 50_000, `only ${compared} comparisons`);
  });
});
