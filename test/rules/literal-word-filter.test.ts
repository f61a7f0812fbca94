import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { EvalContext, fieldAccessor } from '../../src/rules/fields.js';
import { literalListTest } from '../../src/rules/literal-lists.js';
import type { MatchMode } from '../../src/rules/values.js';

/**
 * The word prefilter of long literal lists: a list of 16 literals or more runs its alternation
 * only on texts with one of the literals' word keys. These tests compare the list test with a
 * literal-by-literal search, so a key that the prefilter missed would show as a lost match.
 */

const TEXT = fieldAccessor('Text');

function test(literals: readonly string[], mode: MatchMode): (text: string) => boolean {
  const lowered = literals.map((literal) => literal.toLowerCase());
  const matcher = literalListTest((context) => context.lowerOf(TEXT), lowered, mode);
  const context = new EvalContext(1 << 20);
  return (text) => {
    context.reset({ fields: { Text: text }, extra: {} } as unknown as Event);
    return matcher(context);
  };
}

function expected(literals: readonly string[], mode: MatchMode, text: string): boolean {
  const lower = text.toLowerCase();
  return literals.some((literal) => {
    const folded = literal.toLowerCase();
    if (mode === 'contains') return lower.includes(folded);
    return mode === 'startswith' ? lower.startsWith(folded) : lower.endsWith(folded);
  });
}

/** Returns a deterministic hexadecimal string of `length` digits for seed `seed`. */
function hex(seed: number, length: number): string {
  let state = seed * 2654435761;
  let out = '';
  for (let at = 0; at < length; at++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += (state >>> 16).toString(16).slice(-1);
  }
  return out;
}

const HASHES = Array.from({ length: 40 }, (_, at) => `MD5=${hex(at + 1, 32).toUpperCase()}`);

function sysmonHashes(md5: string): string {
  return `SHA1=${hex(900, 40)},MD5=${md5},SHA256=${hex(901, 64)},IMPHASH=${hex(902, 32)}`;
}

describe('literal list word prefilter', () => {
  it('finds a listed hash among Sysmon hashes', () => {
    const listed = test(HASHES, 'contains');
    assert.equal(listed(sysmonHashes(hex(17, 32))), true);
    assert.equal(listed(sysmonHashes(hex(17, 32).toUpperCase())), true);
    assert.equal(listed(sysmonHashes(hex(500, 32))), false);
  });

  it('finds a hash that a longer word continues', () => {
    const listed = test(HASHES, 'contains');
    assert.equal(listed(`MD5=${hex(3, 32)}FFFF`), true);
    assert.equal(listed(`xMD5=${hex(3, 32)}`), true);
  });

  it('misses a hash cut short', () => {
    const listed = test(HASHES, 'contains');
    assert.equal(listed(`MD5=${hex(3, 31)}`), false);
  });

  it('agrees with a search of each literal', () => {
    const words = ['invoke', 'mimi', 'katz', 'sharp', 'hound', 'get', 'net', 'x', 'exe', 'dll'];
    const separators = [' ', '-', '\\', '.', '', '=', '"'];
    const pick = (seed: number, items: readonly string[]) =>
      items[(Math.imul(seed, 2654435761) >>> 7) % items.length] as string;
    const phrase = (seed: number, parts: number) =>
      Array.from({ length: parts }, (_, at) =>
        `${pick(seed * 31 + at, words)}${pick(seed * 17 + at, separators)}`,
      ).join('');
    const literals = Array.from({ length: 24 }, (_, at) => phrase(at + 1, 2 + (at % 3)));

    for (const mode of ['contains', 'startswith', 'endswith'] as const) {
      const listed = test(literals, mode);
      for (let seed = 0; seed < 3000; seed++) {
        const inserted = seed % 4 === 0 ? (literals[seed % literals.length] as string) : '';
        const text = `${phrase(seed + 1000, seed % 5)}${inserted}${phrase(seed + 2000, seed % 3)}`;
        assert.equal(listed(text), expected(literals, mode, text), `${mode}: ${text}`);
      }
    }
  });
});
