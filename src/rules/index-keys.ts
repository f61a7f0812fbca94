import type { MatchMode, Token } from './values.js';

/**
 * Index keys: necessary conditions that the detector's rule index looks up per event. A rule's
 * requirement is a set of (key, value) pairs, and at least one pair is true for every event the
 * rule matches. So an event that meets none of them is never shown the rule. Two kinds of keys:
 *
 * - `=Field`: the lower-cased field equals the value (Sigma equality, `EventID: 4688`);
 * - `~Field`: the lower-cased field contains the value as a whole word, a run of `[a-z0-9]`
 *   bounded by other characters or the ends of the field. A pattern such as
 *   `Image|endswith: '\sc.exe'` requires the word `sc`, since whatever precedes `\` and follows
 *   `.exe` cannot extend it.
 */

/** key → values; at least one pair holds for every match. */
export type Requirement = Map<string, ReadonlySet<string>>;

const WORD = /[a-z0-9]+/g;

/**
 * Words too frequent in Windows paths and command lines to narrow anything down; a pattern uses
 * one only when it has no other.
 */
const COMMON_WORDS = new Set([
  'exe',
  'dll',
  'c',
  'windows',
  'system32',
  'syswow64',
  'program',
  'files',
  'x86',
  'users',
  'appdata',
  'local',
  'roaming',
  'temp',
  'microsoft',
  'programdata',
  'hklm',
  'hkcu',
  'hku',
  'software',
  'currentversion',
]);

/** Returns the words of a lower-cased field value. */
export function wordsOf(text: string): string[] {
  return text.match(WORD) ?? [];
}

/*
 * The event side of `~` keys looks words up by a hash rather than by their text. The detector
 * scans a field's value once and hashes each run of word characters as it goes, so an event's
 * command line makes no lower-cased copy and no string per word. Two words with one hash share
 * a bucket. That only shows a rule an event it cannot match, and the rule's own test decides.
 */

const HASH_START = 0x811c9dc5;
const HASH_PRIME = 0x01000193;
/** Hashes are cut to 30 bits, which V8 keeps as small integers, the fastest `Map` keys. */
const HASH_MASK = 0x3fffffff;

/** Hashes a word of `[a-z0-9]` as `visitWords` hashes the same word in a value. */
export function wordHash(word: string): number {
  let hash = HASH_START;
  for (let at = 0; at < word.length; at++) hash = Math.imul(hash ^ word.charCodeAt(at), HASH_PRIME);
  return hash & HASH_MASK;
}

/**
 * Calls `visit` with the entry of each word of `text` whose hash is in `table`, a word as often
 * as it occurs. The words are those of `text.toLowerCase()`, where ASCII capitals fold. Of all
 * other characters only two lower-case to word characters: the Kelvin sign to `k`, and the
 * capital I with dot to `i` followed by a combining dot, which ends the word.
 */
export function visitWords<T>(text: string, table: Map<number, T>, visit: (entry: T) => void) {
  let hash = HASH_START;
  let inWord = false;
  for (let at = 0; at < text.length; at++) {
    let code = text.charCodeAt(at);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    else if (code === 0x212a) code = 0x6b;
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) {
      if (!inWord) {
        hash = HASH_START;
        inWord = true;
      }
      hash = Math.imul(hash ^ code, HASH_PRIME);
      continue;
    }
    if (code === 0x130) {
      hash = Math.imul((inWord ? hash : HASH_START) ^ 0x69, HASH_PRIME);
      inWord = true;
    }
    if (inWord) {
      const entry = table.get(hash & HASH_MASK);
      if (entry !== undefined) visit(entry);
      inWord = false;
    }
  }
  if (inWord) {
    const entry = table.get(hash & HASH_MASK);
    if (entry !== undefined) visit(entry);
  }
}

/** Characters outside ASCII that lower-case to word characters (see `visitWords`). */
const FOLDS_TO_WORD = /[\u0130\u212a]/;

/**
 * Builds the expression that finds the given words of `[a-z0-9]` in a text, for `searchWords`.
 * Longer words come first, so that at each place the longest of them that starts there is found.
 */
export function wordSearch(words: Iterable<string>): RegExp {
  const sorted = [...new Set(words)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return new RegExp(sorted.join('|'), 'gi');
}

function isWordCode(code: number): boolean {
  const lower = code | 0x20;
  return (code >= 0x30 && code <= 0x39) || (lower >= 0x61 && lower <= 0x7a);
}

/**
 * Calls `visit` as `visitWords` does, with `search` from `wordSearch` over the words of `table`.
 * V8 runs the expression in compiled code. With seven words to find in PowerShell's 5 KB
 * `ContextInfo` values it took about a tenth of the time of `visitWords` (Node 20). A match is
 * a word when no word character touches it. A match that a word character follows cannot hide
 * a whole word, because the longest word starting at a place is found first.
 */
export function searchWords<T>(
  text: string,
  search: RegExp,
  table: Map<number, T>,
  visit: (entry: T) => void,
): void {
  // `i` does not fold these two to ASCII as lower-casing does.
  if (FOLDS_TO_WORD.test(text)) {
    visitWords(text, table, visit);
    return;
  }
  search.lastIndex = 0;
  for (let match = search.exec(text); match !== null; match = search.exec(text)) {
    const word = match[0];
    const start = match.index;
    if (
      isWordCode(text.charCodeAt(start - 1)) ||
      isWordCode(text.charCodeAt(start + word.length))
    ) {
      continue;
    }
    const entry = table.get(wordHash(word.toLowerCase()));
    if (entry !== undefined) visit(entry);
  }
}

function weight(key: string, value: string): number {
  if (key.startsWith('=')) return 1;
  if (COMMON_WORDS.has(value)) return 20;
  if (value.length <= 2) return 8;
  return value.length === 3 ? 3 : 1;
}

/** Estimated cost of a requirement: how often its pairs may hold. */
export function requirementCost(requirement: Requirement): number {
  let cost = 0;
  for (const [key, values] of requirement) for (const value of values) cost += weight(key, value);
  return cost;
}

/** Picks the cheapest of requirements that are all true (an AND); undefined when none is known. */
export function cheapest(
  requirements: readonly (Requirement | undefined)[],
): Requirement | undefined {
  let best: Requirement | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const requirement of requirements) {
    if (!requirement || requirement.size === 0) continue;
    const cost = requirementCost(requirement);
    if (cost < bestCost) {
      best = requirement;
      bestCost = cost;
    }
  }
  return best;
}

/** Unites requirements of which one is true (an OR); undefined unless each is known. */
export function union(requirements: readonly (Requirement | undefined)[]): Requirement | undefined {
  const result = new Map<string, Set<string>>();
  for (const requirement of requirements) {
    if (!requirement || requirement.size === 0) return undefined;
    for (const [key, values] of requirement) {
      const set = result.get(key) ?? new Set<string>();
      for (const value of values) set.add(value);
      result.set(key, set);
    }
  }
  return result.size > 0 ? result : undefined;
}

/**
 * The best whole word that a value in `mode` guarantees in the field, or undefined. Text next to
 * a wildcard, a character class or an unanchored end may continue in the field, so a word
 * touching it is not whole.
 */
export function patternWord(tokens: readonly Token[], mode: MatchMode): string | undefined {
  const openStart = mode === 'contains' || mode === 'endswith';
  const openEnd = mode === 'contains' || mode === 'startswith';
  let best: string | undefined;
  let bestWeight = Number.POSITIVE_INFINITY;
  tokens.forEach((token, index) => {
    if (token.kind !== 'text') return;
    const text = token.text.toLowerCase();
    const startOpen = index > 0 || openStart;
    const endOpen = index < tokens.length - 1 || openEnd;
    for (const match of text.matchAll(WORD)) {
      const at = match.index as number;
      const word = match[0];
      if (at === 0 && startOpen) continue;
      if (at + word.length === text.length && endOpen) continue;
      const cost = weight('~', word);
      if (cost < bestWeight || (cost === bestWeight && word.length > (best?.length ?? 0))) {
        best = word;
        bestWeight = cost;
      }
    }
  });
  return best;
}
