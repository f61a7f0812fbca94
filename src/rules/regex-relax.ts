/**
 * Builds, for a regular expression that V8's linear-time engine cannot run, two that it can: a
 * looser one that matches every text the original matches, and where possible a tighter one
 * that matches only texts the original matches. A scan tests them in its own thread and runs the
 * original under the time budget (regex-guard.ts) only when the looser one matches and the
 * tighter one does not, so most evaluations never pay for the helper thread.
 *
 * The looser expression:
 * - A lookahead or lookbehind `(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)` becomes the empty group.
 * - A backreference `\1`, `\k<name>` becomes `(?:[\s\S]*)`.
 * - A repetition count above `MAX_COUNT` becomes an open count: `{0,64}` → `{0,}`, `.{150}` →
 *   `.{16,}`.
 *
 * The tighter expression lowers the maximum of such counts instead (`{0,64}` → `{0,16}`). Since
 * `RegExp.test` tests whether any substring matches, a pattern that allows fewer texts can only
 * match where the original does.
 *
 * Written by hand because no library rewrites JavaScript regular expressions; the input has
 * already compiled, so the scanner only needs to tell classes, escapes and groups apart.
 */

/** Largest repetition count that V8's linear-time engine accepts (measured on Node 20). */
const MAX_COUNT = 16;

/** Index just past the class that starts at `start` (`[`). */
function classEnd(source: string, start: number): number {
  let at = start + 1;
  if (source[at] === '^') at++;
  while (at < source.length && source[at] !== ']') at += source[at] === '\\' ? 2 : 1;
  return at + 1;
}

/** Index just past the group that starts at `start` (`(`). */
function groupEnd(source: string, start: number): number {
  let depth = 0;
  let at = start;
  while (at < source.length) {
    const char = source[at];
    if (char === '\\') at += 2;
    else if (char === '[') at = classEnd(source, at);
    else {
      if (char === '(') depth++;
      if (char === ')' && --depth === 0) return at + 1;
      at++;
    }
  }
  return source.length;
}

function parseCount(quantifier: string): { min: number; max: number } {
  const [, low, comma, high] = /^\{(\d+)(,?)(\d*)\}$/.exec(quantifier) as RegExpExecArray;
  const min = Number(low);
  if (!comma) return { min, max: min };
  return { min, max: high === '' ? Number.POSITIVE_INFINITY : Number(high) };
}

/** A count the linear-time engine takes that allows at least what `quantifier` allows. */
function looseCount(quantifier: string): string {
  const { min, max } = parseCount(quantifier);
  if (min <= MAX_COUNT && max <= MAX_COUNT) return quantifier;
  return `{${Math.min(min, MAX_COUNT)},}`;
}

/** A count the linear-time engine takes that allows only what `quantifier` allows, if any. */
function tightCount(quantifier: string): string | undefined {
  const { min, max } = parseCount(quantifier);
  if (max <= MAX_COUNT) return quantifier;
  if (min > MAX_COUNT) return undefined;
  return max === Number.POSITIVE_INFINITY ? quantifier : `{${min},${MAX_COUNT}}`;
}

export interface LinearBounds {
  /** Matches every text the expression matches. */
  loose: string;
  /**
   * Matches only texts the expression matches: the counts lowered to what the linear-time
   * engine takes. Absent when the expression has lookaround or backreferences, or a count
   * whose minimum is above the limit.
   */
  tight: string | undefined;
}

/** Returns the looser and the tighter expression around `source`. */
export function linearBounds(source: string): LinearBounds {
  let loose = '';
  let tight: string | undefined = '';
  let at = 0;
  while (at < source.length) {
    const char = source[at] as string;
    let looseText: string;
    let tightText: string | undefined;
    if (char === '\\') {
      const reference = /^\\(?:[1-9]\d*|k<[^>]*>)/.exec(source.slice(at));
      const length = reference ? reference[0].length : 2;
      looseText = reference ? '(?:[\\s\\S]*)' : source.slice(at, at + length);
      tightText = reference ? undefined : looseText;
      at += length;
    } else if (char === '[') {
      const end = classEnd(source, at);
      looseText = source.slice(at, end);
      tightText = looseText;
      at = end;
    } else if (char === '(' && /^\(\?<?[=!]/.test(source.slice(at))) {
      looseText = '(?:)';
      tightText = undefined;
      at = groupEnd(source, at);
    } else {
      const count = char === '{' ? /^\{\d+(?:,\d*)?\}/.exec(source.slice(at)) : null;
      const text = count ? count[0] : char;
      looseText = count ? looseCount(text) : text;
      tightText = count ? tightCount(text) : text;
      at += text.length;
    }
    loose += looseText;
    tight = tight === undefined || tightText === undefined ? undefined : tight + tightText;
  }
  return { loose, tight };
}
