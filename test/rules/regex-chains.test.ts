import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { translateRegex } from '../../src/rules/regex.js';
import { rewriteDotChain } from '../../src/rules/regex-chains.js';

/** Returns a deterministic pseudo-random generator of integers below a bound. */
function generator(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % bound;
  };
}

describe('rewriteDotChain', () => {
  it('rewrites chains of one punctuation character', () => {
    assert.equal(rewriteDotChain('\\+.*\\+.*\\+', ''), '\\+(?:[^\\+\\n\\r\\u2028\\u2029]*\\+){2}');
    assert.equal(rewriteDotChain('`.*`.*`.*`', ''), '`(?:[^\\`\\n\\r\\u2028\\u2029]*`){3}');
    assert.equal(rewriteDotChain('\\^.*\\^.*\\^', 's'), '\\^(?:[^\\^]*\\^){2}');
  });

  it('leaves other expressions as they are', () => {
    for (const source of [
      '\\+.*\\+',
      'a.*a.*a',
      '\\+.*\\-.*\\+',
      '\\d.*\\d.*\\d',
      '^\\+.*\\+.*\\+',
    ]) {
      assert.equal(rewriteDotChain(source, ''), source);
    }
    assert.equal(rewriteDotChain('\\+.*\\+.*\\+', 'u'), '\\+.*\\+.*\\+');
  });

  it('matches the texts the chain matches', () => {
    const random = generator(7);
    const atoms = ['\\+', '\\{', '\\^', '`', '%'];
    const alphabet = ['+', '{', '^', '`', '%', 'a', ' ', '\n', '\r', '\u2028'];
    let matched = 0;
    for (let round = 0; round < 4000; round++) {
      const atom = atoms[random(atoms.length)] as string;
      const count = 3 + random(4);
      const source = Array.from({ length: count }, () => atom).join('.*');
      const flags = random(2) === 0 ? '' : 's';
      const text = Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]).join(
        '',
      );
      const expected = new RegExp(source, flags).test(text);
      const rewritten = new RegExp(rewriteDotChain(source, flags), flags).test(text);
      assert.equal(rewritten, expected, `${source} /${flags} on ${JSON.stringify(text)}`);
      if (expected) matched++;
    }
    // Both outcomes must be common for the comparison to mean anything.
    assert.ok(matched > 200, `${matched} of 4000 texts matched`);
    assert.ok(matched < 3800, `${matched} of 4000 texts matched`);
  });
});

describe('translateRegex on chains', () => {
  it('runs a long chain in linear time', () => {
    const chain = Array.from({ length: 14 }, () => '\\+').join('.*');
    const translated = translateRegex(chain, { i: false, m: false, s: false });
    assert.ok(typeof translated !== 'string');
    assert.equal(translated.linear, true);
    assert.equal(translated.source, '\\+(?:[^\\+\\n\\r\\u2028\\u2029]*\\+){13}');
  });
});
