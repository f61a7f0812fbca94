import { escapeRegex } from './values.js';

/**
 * The event side of the substring keys of the rule index (`*Field`, see index-keys.ts): finds
 * which of a field's key substrings a lower-cased value contains, in one pass of a compiled
 * alternation rather than one `includes` per key.
 *
 * Keys may overlap: `certify` and `tify`, or `juicy potato` and `juicy`. The search restarts one
 * character after each match, so a key that starts inside a match is still found. Of the keys
 * that start at one place the alternation finds the longest. Its table entry also contains the
 * entries of the keys that are its prefixes, so a shorter key found there is not lost.
 */

/** The substring keys of one field and their entries, ready for `visitSubstrings`. */
export interface SubstringTable<T> {
  /** Entry of each key, merged with the entries of the keys that are its prefixes. */
  entries: Map<string, T[]>;
  /** Finds any key, the longest first at each place. Its `g` flag lets a search resume. */
  search: RegExp;
  /** Length of the shortest key: a shorter value contains none. */
  shortest: number;
}

/**
 * Builds the table of `keys`, whose entries are lists (a key's variants). Prefix merging looks
 * up every shorter prefix of each key, which suits keys of tens of characters.
 */
export function substringTable<T>(keys: ReadonlyMap<string, readonly T[]>): SubstringTable<T> {
  const entries = new Map<string, T[]>();
  let shortest = Number.POSITIVE_INFINITY;
  for (const [key, items] of keys) {
    const merged = [...items];
    for (let length = 1; length < key.length; length++) {
      const prefix = keys.get(key.slice(0, length));
      if (prefix) merged.push(...prefix);
    }
    entries.set(key, merged);
    shortest = Math.min(shortest, key.length);
  }
  const sorted = [...keys.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return { entries, search: new RegExp(sorted.map(escapeRegex).join('|'), 'g'), shortest };
}

/** Calls `visit` with the entry of each key that starts somewhere in `text`. */
export function visitSubstrings<T>(
  text: string,
  table: SubstringTable<T>,
  visit: (entry: T[]) => void,
): void {
  if (text.length < table.shortest) return;
  const search = table.search;
  search.lastIndex = 0;
  for (let match = search.exec(text); match !== null; match = search.exec(text)) {
    const entry = table.entries.get(match[0]);
    if (entry !== undefined) visit(entry);
    search.lastIndex = match.index + 1;
  }
}
