/**
 * The event side of the word keys of the rule index (see index-keys.ts): finds, in a field's
 * value, the words, word starts and word ends that rules are indexed under.
 *
 * Words are looked up by a hash rather than by their text. The detector scans a value once and
 * hashes each run of word characters as it goes, so an event's command line makes no lower-cased
 * copy and no string per word. Two words with one hash share a bucket. That only shows a rule an
 * event it cannot match, and the rule's own test decides.
 *
 * A word is a run of `[a-z0-9]` in `text.toLowerCase()`, where ASCII capitals fold. Of all other
 * characters only two lower-case to word characters: the Kelvin sign to `k`, and the capital I
 * with dot to `i` followed by a combining dot, which ends the word.
 */

const HASH_START = 0x811c9dc5;
const HASH_PRIME = 0x01000193;
/** Hashes are cut to 30 bits, which V8 keeps as small integers, the fastest `Map` keys. */
const HASH_MASK = 0x3fffffff;

/** Length of the word starts and word ends that `^` and `$` keys name. */
export const AFFIX_LENGTH = 4;

/** Hashes a word of `[a-z0-9]` as the scans hash the same word in a value. */
export function wordHash(word: string): number {
  let hash = HASH_START;
  for (let at = 0; at < word.length; at++) hash = Math.imul(hash ^ word.charCodeAt(at), HASH_PRIME);
  return hash & HASH_MASK;
}

/**
 * Tables of one field's keys, by hash: whole words, and the first and last `AFFIX_LENGTH`
 * characters of words.
 */
export interface WordTables<T> {
  words: Map<number, T>;
  starts: Map<number, T> | undefined;
  ends: Map<number, T> | undefined;
}

/** Expressions that find the entries of `WordTables` in long texts (see `wordSearches`). */
export interface WordSearches {
  words: RegExp | undefined;
  starts: RegExp | undefined;
  ends: RegExp | undefined;
}

/**
 * Calls `visit` with the entry of each word of `text` whose hash is in `table`, a word as often
 * as it occurs.
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

/** Code that `visitWordParts` gives the capital I with dot. */
const DOTTED_I = -1;

/**
 * Calls `visit` as `visitWords` does for whole words, and also with the entry of each word start
 * in `tables.starts` and each word end in `tables.ends`. A word shorter than `AFFIX_LENGTH` has
 * neither. The start's hash is the word's running hash after `AFFIX_LENGTH` characters; the end
 * is hashed again when the word ends. A separate function, so that fields whose keys are all
 * whole words keep the shorter loop.
 */
export function visitWordParts<T>(text: string, tables: WordTables<T>, visit: (entry: T) => void) {
  const { words, starts, ends } = tables;
  let hash = HASH_START;
  let length = 0;
  for (let at = 0; at <= text.length; at++) {
    let code = at < text.length ? text.charCodeAt(at) : 0;
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    else if (code === 0x212a) code = 0x6b;
    else if (code === 0x130) code = DOTTED_I;
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === DOTTED_I) {
      if (length === 0) hash = HASH_START;
      hash = Math.imul(hash ^ (code === DOTTED_I ? 0x69 : code), HASH_PRIME);
      length++;
      if (length === AFFIX_LENGTH && starts !== undefined) {
        const entry = starts.get(hash & HASH_MASK);
        if (entry !== undefined) visit(entry);
      }
      // The dotted capital I lower-cases to `i` and a combining dot, which ends the word.
      if (code !== DOTTED_I) continue;
    }
    if (length === 0) continue;

    const entry = words.get(hash & HASH_MASK);
    if (entry !== undefined) visit(entry);

    if (ends !== undefined && length >= AFFIX_LENGTH) {
      const end = code === DOTTED_I ? at + 1 : at;
      const last = ends.get(foldedHash(text, end - AFFIX_LENGTH, end));
      if (last !== undefined) visit(last);
    }
    length = 0;
  }
}

/** Hashes `text.slice(from, to)`, all word characters, folded as the scans fold them. */
function foldedHash(text: string, from: number, to: number): number {
  let hash = HASH_START;
  for (let at = from; at < to; at++) {
    let code = text.charCodeAt(at);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    else if (code === 0x212a) code = 0x6b;
    else if (code === 0x130) code = 0x69;
    hash = Math.imul(hash ^ code, HASH_PRIME);
  }
  return hash & HASH_MASK;
}

/** Characters outside ASCII that lower-case to word characters. */
const FOLDS_TO_WORD = /[\u0130\u212a]/;

/**
 * Builds the expressions that find the given words, word starts and word ends in a text, for
 * `searchWords`. Longer words come first, so that at each place the longest of them that starts
 * there is found. Starts and ends all have `AFFIX_LENGTH` characters, so their matches cannot
 * overlap one another.
 */
export function wordSearches(
  words: Iterable<string>,
  starts: Iterable<string>,
  ends: Iterable<string>,
): WordSearches {
  const alternation = (items: Iterable<string>) => {
    const sorted = [...new Set(items)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    return sorted.length > 0 ? sorted.join('|') : undefined;
  };
  const expression = (source: string | undefined, before: string, after: string) =>
    source === undefined ? undefined : new RegExp(`${before}(?:${source})${after}`, 'gi');
  return {
    words: expression(alternation(words), '', ''),
    starts: expression(alternation(starts), '(?<![a-z0-9])', ''),
    ends: expression(alternation(ends), '', '(?![a-z0-9])'),
  };
}

function isWordCode(code: number): boolean {
  const lower = code | 0x20;
  return (code >= 0x30 && code <= 0x39) || (lower >= 0x61 && lower <= 0x7a);
}

/**
 * Calls `visit` as `visitWordParts` does, with `searches` from `wordSearches` over the entries
 * of `tables`, in another order. V8 runs the expressions in compiled code. With seven words to
 * find in PowerShell's 5 KB `ContextInfo` values it took about a tenth of the time of
 * `visitWords` (Node 20). A match of `searches.words` is a word when no word character touches
 * it. A match that a word character follows cannot hide a whole word, because the longest word
 * starting at a place is found first.
 */
export function searchWords<T>(
  text: string,
  searches: WordSearches,
  tables: WordTables<T>,
  visit: (entry: T) => void,
): void {
  // `i` does not fold these two to ASCII as lower-casing does.
  if (FOLDS_TO_WORD.test(text)) {
    visitWordParts(text, tables, visit);
    return;
  }

  if (searches.words !== undefined) {
    const search = searches.words;
    search.lastIndex = 0;
    for (let match = search.exec(text); match !== null; match = search.exec(text)) {
      const word = match[0];
      const start = match.index;
      const touched =
        isWordCode(text.charCodeAt(start - 1)) || isWordCode(text.charCodeAt(start + word.length));
      if (touched) continue;
      const entry = tables.words.get(wordHash(word.toLowerCase()));
      if (entry !== undefined) visit(entry);
    }
  }

  if (searches.starts !== undefined && tables.starts !== undefined) {
    visitMatches(text, searches.starts, tables.starts, visit);
  }
  if (searches.ends !== undefined && tables.ends !== undefined) {
    visitMatches(text, searches.ends, tables.ends, visit);
  }
}

/** Calls `visit` with the entry of each match of `search`, which tests its own bounds. */
function visitMatches<T>(
  text: string,
  search: RegExp,
  table: Map<number, T>,
  visit: (entry: T) => void,
): void {
  search.lastIndex = 0;
  for (let match = search.exec(text); match !== null; match = search.exec(text)) {
    const entry = table.get(wordHash(match[0].toLowerCase()));
    if (entry !== undefined) visit(entry);
  }
}
