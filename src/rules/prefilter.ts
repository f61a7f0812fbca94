/**
 * Prefilters: cheap necessary conditions tested before a costly search. A text that fails one
 * cannot match, so the search is skipped. They never decide a match: whatever passes still runs
 * the full test, so a prefilter can only save time, never change a result.
 *
 * - Required factors of a literal list: a few short strings such that every literal contains
 *   at least one. A text that contains none of them contains no literal. Mimikatz command
 *   keywords reduce to `::`, `kiwi` and `mimi`; PowerShell script names to `.ps1`.
 * - The required literal of a regular expression: a run of plain characters that every match
 *   contains, such as the backtick of `\w+`(?:\w+|-|.)`[\w+|\s]`.
 */

export interface FactorLimits {
  /** Factors tested at most; a list that needs more gets no prefilter. */
  maxFactors: number;
  /** Shortest factor, in UTF-16 code units. */
  minLength: number;
  /** Maximum length of a factor, in UTF-16 code units. */
  maxLength: number;
}

export const DEFAULT_FACTOR_LIMITS: FactorLimits = { maxFactors: 4, minLength: 2, maxLength: 6 };

/**
 * Chooses factors greedily: each round takes the substring that the most literals not yet
 * covered contain, the longer on a tie, and then the first in code unit order. Returns
 * undefined when the literals need more than `maxFactors` factors or one literal is shorter
 * than `minLength`.
 */
export function requiredFactors(
  literals: readonly string[],
  limits: FactorLimits = DEFAULT_FACTOR_LIMITS,
): string[] | undefined {
  if (limits !== DEFAULT_FACTOR_LIMITS) return chooseFactors(literals, limits);
  // A rule compiles once per log source mapping, and public rules repeat lists.
  const key = JSON.stringify(literals);
  if (factorCache.has(key)) return factorCache.get(key);
  const factors = chooseFactors(literals, limits);
  factorCache.set(key, factors);
  return factors;
}

const factorCache = new Map<string, string[] | undefined>();

function chooseFactors(literals: readonly string[], limits: FactorLimits): string[] | undefined {
  if (literals.some((literal) => literal.length < limits.minLength)) return undefined;
  let uncovered = [...new Set(literals)];
  const factors: string[] = [];

  while (uncovered.length > 0) {
    const [best, count] = findCommonFactor(uncovered, limits);
    // No later factor covers more literals than this one, so the rest cannot fit in the limit.
    if (count * (limits.maxFactors - factors.length) < uncovered.length) return undefined;
    factors.push(best);
    uncovered = uncovered.filter((literal) => !literal.includes(best));
  }
  return factors;
}

/**
 * Finds the substring that the most literals contain, by the tie rules of `requiredFactors`,
 * and returns it with how many contain it.
 *
 * A literal that contains a substring contains its prefixes, so no substring is in more
 * literals than its prefix of `minLength` characters. The largest count is therefore found
 * among the substrings of that length, and a longer substring reaches it only when the
 * substring one character shorter at its start does. So each longer length counts only the
 * substrings that extend one with the largest count, and the search stops at the first length
 * with none. For the 586 lists met in a scan of the OTRF events with the SigmaHQ Windows rules,
 * choosing factors took 36 ms, against 71 ms counting every substring of every length (Node 20).
 */
function findCommonFactor(literals: readonly string[], limits: FactorLimits): [string, number] {
  if (limits.minLength > limits.maxLength) return ['', 0];
  let length = limits.minLength;
  let counts = countSubstrings(literals, length, undefined);
  let bestCount = 0;
  for (const count of counts.values()) bestCount = Math.max(bestCount, count);
  let best = firstWithCount(counts, bestCount);

  while (length < limits.maxLength) {
    const extended = new Set(
      [...counts].filter(([, count]) => count === bestCount).map(([factor]) => factor),
    );
    length++;
    counts = countSubstrings(literals, length, extended);
    const longer = firstWithCount(counts, bestCount);
    if (longer === undefined) break;
    best = longer;
  }
  return [best ?? '', bestCount];
}

/**
 * Counts the literals that contain each substring of `length` characters, each literal once.
 * With `prefixes`, only the substrings that start with one of them are counted.
 */
function countSubstrings(
  literals: readonly string[],
  length: number,
  prefixes: ReadonlySet<string> | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  const countedBy = new Map<string, number>();
  literals.forEach((literal, index) => {
    for (let start = 0; start + length <= literal.length; start++) {
      if (prefixes !== undefined && !prefixes.has(literal.slice(start, start + length - 1))) {
        continue;
      }
      const factor = literal.slice(start, start + length);
      if (countedBy.get(factor) === index) continue;
      countedBy.set(factor, index);
      counts.set(factor, (counts.get(factor) ?? 0) + 1);
    }
  });
  return counts;
}

/** Returns the first substring in code unit order with `count`, or undefined. */
function firstWithCount(counts: ReadonlyMap<string, number>, count: number): string | undefined {
  let first: string | undefined;
  for (const [factor, found] of counts) {
    if (found === count && (first === undefined || factor < first)) first = factor;
  }
  return first;
}

/** Returns a test that passes the texts containing at least one of the factors. */
export function containsAnyFactor(factors: readonly string[]): (text: string) => boolean {
  const [first, second] = factors;
  if (factors.length === 1 && first !== undefined) return (text) => text.includes(first);
  if (factors.length === 2 && first !== undefined && second !== undefined) {
    return (text) => text.includes(first) || text.includes(second);
  }
  return (text) => {
    for (const factor of factors) if (text.includes(factor)) return true;
    return false;
  };
}

const QUANTIFIER_BOUNDS = /^\{\d+(?:,\d*)?\}/;

/**
 * Finds the longest run of plain characters that every match of a JavaScript regular expression
 * contains. It reads only the top level of the pattern: groups, classes, escapes such as `\w`
 * and anchors end a run, and a quantified character leaves it. Returns undefined when there is
 * none, when the top level has an alternation, or under the `i` flag (`includes` does not fold
 * case) and the `u` and `v` flags (whose escape syntax it does not read). With `foldedCase`, a
 * class of the two cases of a letter reads as the letter in lower case, so that the literal of
 * a case-folded expression can be found in lower-cased text.
 */
export function requiredLiteral(
  source: string,
  flags: string,
  foldedCase = false,
): string | undefined {
  if (/[iuv]/.test(flags)) return undefined;
  const runs: string[] = [];
  let run = '';
  const endRun = () => {
    if (run.length > 0) runs.push(run);
    run = '';
  };

  for (let at = 0; at < source.length; at++) {
    const char = source[at] as string;
    if (char === '|') return undefined;

    if (char === '\\') {
      const next = source[at + 1];
      if (next !== undefined && !/[A-Za-z0-9]/.test(next)) {
        run += next;
        at++;
      } else {
        endRun();
        at = escapeEnd(source, at);
      }
      continue;
    }

    if (char === '*' || char === '+' || char === '?' || char === '{') {
      // The quantifier makes the character before it optional or repeated, so it leaves the run.
      run = dropLastCharacter(run);
      endRun();
      if (char === '{') {
        const bounds = QUANTIFIER_BOUNDS.exec(source.slice(at));
        if (bounds) at += bounds[0].length - 1;
      }
      continue;
    }

    const letter = foldedCase && char === '[' ? caseClassLetter(source, at) : undefined;
    if (letter !== undefined) {
      run += letter;
      at += CASE_CLASS_LENGTH - 1;
      continue;
    }

    if (char === '(' || char === '[') {
      endRun();
      at = closingIndex(source, at);
      continue;
    }

    if (char === '.' || char === '^' || char === '$' || char === ')' || char === ']') {
      endRun();
      continue;
    }
    run += char;
  }
  endRun();

  let best: string | undefined;
  for (const candidate of runs) if (candidate.length > (best?.length ?? 0)) best = candidate;
  return best;
}

/** Length of a class such as `[\u0045\u0065]`, as `foldCase` (regex-fold.ts) writes letters. */
const CASE_CLASS_LENGTH = 14;

const CASE_CLASS = /^\[\\u00([0-9a-f]{2})\\u00([0-9a-f]{2})\]/i;

/**
 * Returns the lower-case letter of a class at `at` that contains just the two cases of one ASCII
 * letter, such as `[\u0045\u0065]` for `e`, or undefined.
 */
function caseClassLetter(source: string, at: number): string | undefined {
  const match = CASE_CLASS.exec(source.slice(at, at + CASE_CLASS_LENGTH));
  if (!match) return undefined;
  const upper = Number.parseInt(match[1] as string, 16);
  const lower = Number.parseInt(match[2] as string, 16);
  const isLetter = upper >= 0x41 && upper <= 0x5a && lower === upper + 0x20;
  return isLetter ? String.fromCharCode(lower) : undefined;
}

/**
 * Index of the last character of the escape that starts at `at` with a letter or digit: the
 * hexadecimal digits of `\x41` and `\u0041`, the letter of `\cA`, the digits of a back
 * reference, the name of `\k<name>`.
 */
function escapeEnd(source: string, at: number): number {
  const kind = source[at + 1] ?? '';
  let end = at + 1;
  const skipWhile = (pattern: RegExp, max: number) => {
    for (let count = 0; count < max && pattern.test(source[end + 1] ?? ''); count++) end++;
  };
  if (kind === 'x') skipWhile(/[0-9A-Fa-f]/, 2);
  else if (kind === 'u') skipWhile(/[0-9A-Fa-f]/, 4);
  else if (kind === 'c') skipWhile(/[A-Za-z]/, 1);
  else if (/[0-9]/.test(kind)) skipWhile(/[0-9]/, Number.POSITIVE_INFINITY);
  else if (kind === 'k' && source[end + 1] === '<') skipWhile(/[^>]/, Number.POSITIVE_INFINITY);
  if (kind === 'k' && source[end + 1] === '>') end++;
  return end;
}

/** Drops the last code point, a surrogate pair counting as one. */
function dropLastCharacter(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  const pair = last >= 0xdc00 && last <= 0xdfff && text.length >= 2;
  return text.slice(0, pair ? -2 : -1);
}

/**
 * Finds the index of the `)` or `]` that closes the group or class opened at `open`, skipping
 * escapes, nested groups and classes. Returns the pattern's end when it does not close.
 */
function closingIndex(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let at = open; at < source.length; at++) {
    const char = source[at];
    if (char === '\\') {
      at++;
    } else if (inClass) {
      if (char === ']') {
        inClass = false;
        if (depth === 0) return at;
      }
    } else if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      depth++;
    } else if (char === ')') {
      depth--;
      if (depth === 0) return at;
    }
  }
  return source.length;
}
