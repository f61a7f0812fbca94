import { caseVariants } from './regex-fold.js';

/**
 * Sets of UTF-16 code units, as sorted, disjoint, non-adjacent ranges `[low0, high0, low1, …]`.
 * The backtracking analysis (regex-ambiguity.ts) uses them to tell whether two parts of an
 * expression can match the same character.
 */
export type CharSet = readonly number[];

/** Highest code unit outside Unicode mode, and the highest code point in it. */
export const MAX_UNIT = 0xffff;
export const MAX_CODE_POINT = 0x10ffff;

/** Widest range outside ASCII whose members gain their case variants under the `i` flag. */
const MAX_RANGE_SCAN = 4096;

/** Returns the set of the given ranges, sorted and merged. */
export function charSet(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = ranges.filter(([low, high]) => low <= high).sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [low, high] of sorted) {
    const last = merged.length - 1;
    if (last > 0 && low <= (merged[last] as number) + 1) {
      merged[last] = Math.max(merged[last] as number, high);
    } else {
      merged.push(low, high);
    }
  }
  return merged;
}

export function union(sets: readonly CharSet[]): CharSet {
  const ranges: [number, number][] = [];
  for (const set of sets) {
    for (let at = 0; at < set.length; at += 2)
      ranges.push([set[at] as number, set[at + 1] as number]);
  }
  return charSet(ranges);
}

/** Returns the code units up to `max` that are not in `set`. */
export function complement(set: CharSet, max: number): CharSet {
  const ranges: [number, number][] = [];
  let next = 0;
  for (let at = 0; at < set.length; at += 2) {
    ranges.push([next, (set[at] as number) - 1]);
    next = (set[at + 1] as number) + 1;
  }
  ranges.push([next, max]);
  return charSet(ranges);
}

/** Returns the members that the two sets have in common. */
export function intersection(left: CharSet, right: CharSet): CharSet {
  const common: number[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const low = Math.max(left[i] as number, right[j] as number);
    const high = Math.min(left[i + 1] as number, right[j + 1] as number);
    if (low <= high) common.push(low, high);
    if ((left[i + 1] as number) < (right[j + 1] as number)) i += 2;
    else j += 2;
  }
  return common;
}

/** Tests whether the two sets have a member in common. */
export function intersects(left: CharSet, right: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if ((left[i + 1] as number) < (right[j] as number)) i += 2;
    else if ((right[j + 1] as number) < (left[i] as number)) j += 2;
    else return true;
  }
  return false;
}

/**
 * Adds the case variants that the `i` flag lets each member match. ASCII letters always gain
 * them; a range outside ASCII wider than `MAX_RANGE_SCAN` gains none, as in regex-fold.ts.
 */
export function withCaseVariants(set: CharSet): CharSet {
  const added: [number, number][] = [];
  for (let at = 0; at < set.length; at += 2) {
    const low = set[at] as number;
    const high = set[at + 1] as number;
    added.push([low, high]);
    added.push([Math.max(low, 0x41) + 0x20, Math.min(high, 0x5a) + 0x20]);
    added.push([Math.max(low, 0x61) - 0x20, Math.min(high, 0x7a) - 0x20]);
    const wideStart = Math.max(low, 0x80);
    if (high < wideStart || high - wideStart >= MAX_RANGE_SCAN) continue;
    for (let code = wideStart; code <= high; code++) {
      for (const variant of caseVariants(code)) added.push([variant, variant]);
    }
  }
  return charSet(added);
}

const DIGITS = charSet([[0x30, 0x39]]);

const WORD = charSet([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);

/** `\s`: ECMAScript's WhiteSpace and LineTerminator characters. */
const SPACE = charSet([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);

const LINE_TERMINATORS = charSet([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);

/** Returns the set of a class escape letter (`d`, `W`, …), or undefined for other letters. */
export function classEscape(letter: string, max: number): CharSet | undefined {
  const base = { d: DIGITS, w: WORD, s: SPACE }[letter.toLowerCase()];
  if (!base) return undefined;
  return letter === letter.toLowerCase() ? base : complement(base, max);
}

/** Returns the set of `.`: every character, or all but line terminators without the `s` flag. */
export function dotSet(dotAll: boolean, max: number): CharSet {
  return dotAll ? [0, max] : complement(LINE_TERMINATORS, max);
}
