import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wordsOf } from '../../src/rules/index-keys.js';
import {
  AFFIX_LENGTH,
  searchWords,
  visitWordParts,
  visitWords,
  type WordTables,
  wordHash,
  wordSearches,
} from '../../src/rules/word-scan.js';

/**
 * The event side of the word keys: the scans must find, by hash, every word, word start and
 * word end of the words that `wordsOf` finds in the lower-cased text, or a rule would miss events
 * it matches.
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
  const tables = { words: table, starts: undefined, ends: undefined };
  searchWords(text, wordSearches(words, [], []), tables, (word) => found.push(word));
  return found;
}

/** Keys of a test: each is reported as `~word`, `^start` or `$end`. */
interface Keys {
  words: readonly string[];
  starts: readonly string[];
  ends: readonly string[];
}

function keyTables(keys: Keys): WordTables<string> {
  const table = (items: readonly string[], kind: string) =>
    new Map(items.map((item) => [wordHash(item), `${kind}${item}`]));
  return {
    words: table(keys.words, '~'),
    starts: table(keys.starts, '^'),
    ends: table(keys.ends, '$'),
  };
}

/** Returns the keys of `keys` that the words of the lower-cased text contain, sorted. */
function expectedParts(text: string, keys: Keys): string[] {
  const found: string[] = [];
  for (const word of wordsOf(text.toLowerCase())) {
    if (keys.words.includes(word)) found.push(`~${word}`);
    if (word.length < AFFIX_LENGTH) continue;
    const start = word.slice(0, AFFIX_LENGTH);
    const end = word.slice(-AFFIX_LENGTH);
    if (keys.starts.includes(start)) found.push(`^${start}`);
    if (keys.ends.includes(end)) found.push(`$${end}`);
  }
  return found.sort();
}

function visitedParts(text: string, keys: Keys): string[] {
  const found: string[] = [];
  visitWordParts(text, keyTables(keys), (key) => found.push(key));
  return found.sort();
}

function searchedParts(text: string, keys: Keys): string[] {
  const found: string[] = [];
  const searches = wordSearches(keys.words, keys.starts, keys.ends);
  searchWords(text, searches, keyTables(keys), (key) => found.push(key));
  return found.sort();
}

/** Returns a random text over `alphabet`, with a character of `rare` now and then. */
function randomText(next: () => number, alphabet: string, rare: string, most: number): string {
  let text = '';
  const length = Math.floor(next() * most);
  for (let at = 0; at < length; at++) {
    const from = next() < 0.01 ? rare : alphabet;
    text += from[Math.floor(next() * from.length)] as string;
  }
  return text;
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

describe('word scans of the rule index', () => {
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

  it('finds word starts and ends', () => {
    const keys = { words: ['get'], starts: ['adpr', 'noni'], ends: ['heck', 'in32'] };
    const text = 'Get-ADPrincipalGroupMembership -NonI; Check-VM WIN32_Group get';
    const expected = ['$heck', '$in32', '^adpr', '^noni', '~get', '~get'];
    assert.deepEqual(visitedParts(text, keys), expected);
    assert.deepEqual(searchedParts(`${text} ${'x'.repeat(300)}`, keys), expected);
    // A word of exactly four characters is its own start and end.
    assert.deepEqual(visitedParts('noni', { words: [], starts: ['noni'], ends: ['noni'] }), [
      '$noni',
      '^noni',
    ]);
    // Shorter words have neither.
    assert.deepEqual(visitedParts('non', { words: [], starts: ['non'], ends: ['non'] }), []);
  });

  it('folds Kelvin and dotted I in affixes', () => {
    const keys = { words: [], starts: ['kerb', 'mimi'], ends: ['beri', 'katz'] };
    assert.deepEqual(visitedParts('\u212AERBERI', keys), ['$beri', '^kerb']);
    assert.deepEqual(visitedParts('MIMI\u0130 MIMIKATZ', keys), ['$katz', '^mimi', '^mimi']);
  });

  it('matches affixes on random texts', () => {
    const next = random(13);
    const keys = {
      words: ['ge', 'getx', 'noni', 'k'],
      starts: ['getx', 'noni', 'kiki', 'ii1i'],
      ends: ['etxg', 'noni', 'kiki', 'i1ii'],
    };
    const alphabet = 'getxnoikGETXNOIK1 -_.\u00e9';
    for (let round = 0; round < 3000; round++) {
      const text = randomText(next, alphabet, '\u0130\u212A', 80);
      const expected = expectedParts(text, keys);
      assert.deepEqual(visitedParts(text, keys), expected, JSON.stringify(text));
      assert.deepEqual(searchedParts(text, keys), expected, JSON.stringify(text));
    }
  });
});
