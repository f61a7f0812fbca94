/**
 * Finds the names a misspelled name was probably meant to be, for "did you mean" hints on rule
 * keys, field names and rule references. Written here because the check needs only a bounded
 * edit distance over short names, which takes fewer lines than an adapter to a library.
 */

/** A name close to the one looked up, and how it differs from it. */
export interface NearName {
  name: string;
  /** True when the two names differ only in the case of their letters. */
  caseOnly: boolean;
}

/**
 * Returns the optimal string alignment distance between `a` and `b` (insertions, deletions,
 * substitutions and swaps of two neighbouring characters count 1 each), or `max + 1` as soon
 * as it is certain to exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] as number) + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Maximum edits between a name and a known one for the name to count as a misspelling. Short
 * names are one edit from many others (`uid`, `gid`, `pid`), so they get fewer.
 */
function allowedEdits(name: string): number {
  if (name.length <= 2) return 0;
  return name.length <= 4 ? 1 : 2;
}

/** `param1` and `param2`, or `a0` and `a1`, are members of one numbered family, not typos. */
function sameFamily(a: string, b: string): boolean {
  const digit = /\d/;
  return digit.test(a) && digit.test(b) && a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#');
}

/**
 * Known names, indexed for finding the ones that a name is probably a misspelling of: those
 * equal to it but for the case of letters and, when there are none, those within a few edits
 * of it (ignoring case).
 */
export class NameIndex {
  readonly names: ReadonlySet<string>;
  private readonly byLowerCase = new Map<string, string[]>();

  constructor(names: Iterable<string>) {
    this.names = new Set(names);
    for (const name of this.names) {
      const lower = name.toLowerCase();
      const list = this.byLowerCase.get(lower);
      if (list) list.push(name);
      else this.byLowerCase.set(lower, [name]);
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /**
   * Returns the known names `name` is probably a misspelling of, closest first, at most
   * `limit`, or nothing when `name` is itself known. With `caseOnly`, only names that differ
   * from it in case are looked for.
   */
  near(name: string, options: { caseOnly?: boolean; limit?: number } = {}): NearName[] {
    const limit = options.limit ?? 3;
    if (this.names.has(name)) return [];
    const lower = name.toLowerCase();
    const sameLetters = this.byLowerCase.get(lower);
    if (sameLetters) {
      return sameLetters.slice(0, limit).map((candidate) => ({ name: candidate, caseOnly: true }));
    }

    const max = allowedEdits(name);
    if (max === 0 || options.caseOnly) return [];
    const scored: { name: string; distance: number }[] = [];
    for (const [candidateLower, candidates] of this.byLowerCase) {
      if (allowedEdits(candidateLower) === 0 || sameFamily(lower, candidateLower)) continue;
      const distance = editDistance(lower, candidateLower, max);
      if (distance > max) continue;
      for (const candidate of candidates) scored.push({ name: candidate, distance });
    }
    scored.sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
    return scored.slice(0, limit).map((entry) => ({ name: entry.name, caseOnly: false }));
  }
}

/** Formats names as `"a"`, `"a" or "b"`, or `"a", "b" or "c"`. */
export function quotedChoices(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** Returns `; did you mean "x"?` for a name close to known ones, or an empty text. */
export function didYouMean(name: string, known: NameIndex): string {
  const near = known.near(name).map((entry) => entry.name);
  return near.length > 0 ? `; did you mean ${quotedChoices(near)}?` : '';
}
