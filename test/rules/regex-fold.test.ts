import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caseVariants, foldCase } from '../../src/rules/regex-fold.js';

/**
 * The folded expression must match exactly what the original matches with the `i` flag. Random
 * expressions from a table of atoms are compared on random subjects, seeded so that a failure
 * can be replayed.
 */

const ATOMS = [
  'a',
  'Z',
  'q',
  '0',
  '-',
  '\\.',
  '\\\\',
  '\\x41',
  '\\x7a',
  '\\u00e9',
  '\\u00C9',
  'é',
  'ß',
  'ÿ',
  'Ÿ',
  'K',
  'ſ',
  'İ',
  'ı',
  'σ',
  'Σ',
  'ς',
  '\\w',
  '\\d',
  '\\s',
  '\\bk',
  '\\B',
  '.',
  '[a-f]',
  '[^a-f]',
  '[A-Z0-9]',
  '[\\x41-\\x46]',
  '[À-ÿ]',
  '[^À-Þ]',
  '[é-ë]',
  '[Z-a]',
  '[\\]a]',
  '[\\\\b]',
  '[-k]',
  '[k-]',
  '[\\w-]',
  '(?:ab|CD)',
  '(?<word>xY)',
  '(?=b)',
  '(?!C)',
  '(?<=a)',
  '\\cJ',
];

const QUANTIFIERS = ['', '', '', '*', '+', '?', '{2}', '{1,3}'];

const SUBJECT_CHARS = 'aAbBcCdDeEfFkKqQzZxXyY0- ._\\éÉßÿŸſİıσΣςK\n\u212a';

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

describe('foldCase', () => {
  it('rewrites letters and classes into case classes', () => {
    assert.equal(foldCase('ab'), '[\\u0041\\u0061][\\u0042\\u0062]');
    assert.equal(foldCase('\\d+\\.'), '\\d+\\.');
    assert.equal(foldCase('(?<name>x){2,3}'), '(?<name>[\\u0058\\u0078]){2,3}');
    assert.equal(foldCase('[a-c]'), '[\\u0061-\\u0063\\u0041-\\u0043]');
  });

  it('matches as the i flag does on random expressions', () => {
    const random = generator(20261204);
    const subjects = Array.from({ length: 60 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
        pick(random, [...SUBJECT_CHARS]),
      ).join(''),
    );
    let compared = 0;
    for (let round = 0; round < 1500; round++) {
      const length = 1 + Math.floor(random() * 4);
      const pattern = Array.from(
        { length },
        () => `${pick(random, ATOMS)}${pick(random, QUANTIFIERS)}`,
      ).join('');
      let original: RegExp;
      try {
        original = new RegExp(pattern, 'i');
      } catch {
        continue;
      }
      const folded = new RegExp(foldCase(pattern));
      for (const subject of subjects) {
        compared++;
        assert.equal(
          folded.test(subject),
          original.test(subject),
          `/${pattern}/i on ${JSON.stringify(subject)} (folded: /${folded.source}/)`,
        );
      }
    }
    assert.ok(compared > 50_000, `only ${compared} comparisons`);
  });
});

describe('caseVariants', () => {
  it('lists what the i flag matches for ASCII', () => {
    for (let code = 0; code < 0x80; code++) {
      const escaped = `\\u${code.toString(16).padStart(4, '0')}`;
      const regex = new RegExp(`^${escaped}$`, 'i');
      const expected: number[] = [];
      for (let other = 0; other <= 0xffff; other++) {
        if (regex.test(String.fromCharCode(other))) expected.push(other);
      }
      assert.deepEqual(caseVariants(code), expected, escaped);
    }
  });

  it('lists what the i flag matches beyond ASCII', () => {
    for (const code of [0xe9, 0xc9, 0x17f, 0x212a, 0x3a3, 0x3c2, 0x1e9e]) {
      const regex = new RegExp(`^\\u${code.toString(16).padStart(4, '0')}$`, 'i');
      const expected: number[] = [];
      for (let other = 0; other <= 0xffff; other++) {
        if (regex.test(String.fromCharCode(other))) expected.push(other);
      }
      assert.deepEqual(caseVariants(code), expected, code.toString(16));
    }
  });
});
