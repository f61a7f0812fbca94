import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  searchWords,
  visitWords,
  wordHash,
  wordSearch,
  wordsOf,
} from '../../src/rules/index-keys.js';

/**
 * The event side of `~` index keys: `visitWords` must find, by hash, every word that `wordsOf`
 * finds in the lower-cased text, or a rule would miss events it matches.
 */

/** Returns the words of `text` that `visitWords` reports, with a table of each of `words`. */
function visited(text: string, words: readonly string[]): string[] {
  const table = new Map(words.map((word) => [wordHash(word), word]));
  const found: string[] = [];
  visitWords(text, table, (word) => found.push(word));
  return found;
}

/** Returns the words of `text` that `searchWords` reports, with the same table. */
function searched(text: string, words: readonly string[]): string[] {
  const table = new Map(words.map((word) => [wordHash(word), word]));
  const found: string[] = [];
  searchWords(text, wordSearch(words), table, (word) => found.push(word));
  return found;
}

/** A deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), state | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

describe('word hashes of the rule index', () => {
  it('finds command line words in order', () => {
    const text = 'C:\\Windows\\System32\\SC.exe create Svc binPath= "cmd /c whoami"';
    const words = wordsOf(text.toLowerCase());
    assert.deepEqual(visited(text, words), words);
    assert.deepEqual(visited(text, ['sc', 'whoami']), ['sc', 'whoami']);
  });

  it('reports repeated and unknown words', () => {
    assert.deepEqual(visited('a.exe b.exe c.dll', ['exe']), ['exe', 'exe']);
    assert.deepEqual(visited('powershell.exe -nop', ['cmd']), []);
  });

  it('folds Kelvin sign and dotted I', () => {
    // U+212A KELVIN SIGN lower-cases to `k`, and U+0130 to `i` and a combining dot.
    assert.deepEqual(visited('\u212Aerberos', ['kerberos']), ['kerberos']);
    assert.deepEqual(visited('M\u0130M\u0130KATZ', ['mi', 'katz', 'mimikatz']), [
      'mi',
      'mi',
      'katz',
    ]);
    assert.deepEqual(visited('\u0130', ['i']), ['i']);
  });

  it('matches wordsOf on random texts', () => {
    const next = random(7);
    const alphabet = 'aZ09 \\/._-"\u0130\u212A\u00e9\u00c9\u03a3\u2028';
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const length = Math.floor(next() * 40);
      for (let at = 0; at < length; at++) {
        text += alphabet[Math.floor(next() * alphabet.length)] as string;
      }
      const words = wordsOf(text.toLowerCase());
      assert.deepEqual(visited(text, words), words, JSON.stringify(text));
    }
  });

  it('searches as the scan finds', () => {
    const words = ['get', 'getx', 'noni', 'noninteractive', 'k', 'i', 'x1'];
    const text = 'Get-X GETX getxy -NonI -NonInteractive xnoni k\u212A K i x1 x12';
    assert.deepEqual(searched(text, words), visited(text, words));
    assert.deepEqual(searched('-noni -NONINTERACTIVE getx get', words), [
      'noni',
      'noninteractive',
      'getx',
      'get',
    ]);

    const next = random(11);
    // The two characters that `i` does not fold as lower-casing does are rare, as in logs.
    const alphabet = 'getxnoiGETXNOI1 -_.\u00e9';
    const rare = '\u0130\u212A';
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const length = Math.floor(next() * 60);
      for (let at = 0; at < length; at++) {
        const from = next() < 0.005 ? rare : alphabet;
        text += from[Math.floor(next() * from.length)] as string;
      }
      assert.deepEqual(searched(text, words), visited(text, words), JSON.stringify(text));
    }
  });
});
