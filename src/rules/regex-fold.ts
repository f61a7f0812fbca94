/**
 * Rewrites a case-insensitive JavaScript regular expression (non-Unicode mode) into one that
 * needs no `i` flag: every letter becomes a class of its case variants (`a` → `[aA]`) and every
 * character class gains the variants of its members. V8's linear-time engine cannot run
 * expressions with the `i` flag, so without this rewrite a `(?i)` rule would fall outside the
 * backtracking guard.
 *
 * Written by hand because no library rewrites JavaScript regular expressions this way. Case
 * variants follow the `i` flag of non-Unicode mode (ECMAScript Canonicalize): two characters
 * match when their single-character upper cases are equal, and a character at or above U+0080
 * never matches one below it.
 *
 * NOTE: within a class, a range wider than `MAX_RANGE_SCAN` outside ASCII gains no variants
 * (ASCII letters always do), so `[\u0400-\uffff]` matches only the cases it lists.
 */

const MAX_RANGE_SCAN = 4096;

/** Characters of the same canonical form, by that form; built on first use. */
let groups: Map<number, number[]> | undefined;

/** Characters that `code` matches under the `i` flag, `code` included, in ascending order. */
export function caseVariants(code: number): number[] {
  // No character at or above U+0080 matches one below it, so ASCII needs no table. Building
  // the table took 75 to 90 ms in a fresh process (Node 20), and most folded text is ASCII.
  if (code < 0x80) {
    const upper = String.fromCharCode(code).toUpperCase().charCodeAt(0);
    const lower = String.fromCharCode(code).toLowerCase().charCodeAt(0);
    return upper === lower ? [code] : [upper, lower];
  }
  if (!groups) {
    const all = new Map<number, number[]>();
    for (let other = 0; other <= 0xffff; other++) {
      const form = canonical(other);
      const group = all.get(form);
      if (group) group.push(other);
      else all.set(form, [other]);
    }
    // Most characters have no other case; only the groups of two or more are kept.
    groups = new Map([...all].filter(([, group]) => group.length > 1));
  }
  return groups.get(canonical(code)) ?? [code];
}

function canonical(code: number): number {
  const upper = String.fromCharCode(code).toUpperCase();
  if (upper.length !== 1) return code;
  const result = upper.charCodeAt(0);
  return code >= 0x80 && result < 0x80 ? code : result;
}

function escapeCode(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The class text (without brackets) that matches a character and its case variants. */
function literalClass(code: number, written: string): string {
  const variants = caseVariants(code);
  if (variants.length === 1) return written;
  return `[${variants.map(escapeCode).join('')}]`;
}

interface Cursor {
  source: string;
  at: number;
}

/** Reads one escape after a backslash; returns its text and the character it stands for. */
function readEscape(cursor: Cursor): { text: string; code: number | undefined } {
  const { source } = cursor;
  const start = cursor.at;
  const letter = source[start + 1];
  if (letter === undefined) {
    cursor.at = start + 1;
    return { text: '\\', code: undefined };
  }
  const hex = (length: number) => {
    const digits = source.slice(start + 2, start + 2 + length);
    return /^[0-9a-fA-F]+$/.test(digits) && digits.length === length ? digits : undefined;
  };
  if (letter === 'x' && hex(2)) {
    cursor.at = start + 4;
    return { text: source.slice(start, cursor.at), code: Number.parseInt(hex(2) as string, 16) };
  }
  if (letter === 'u' && hex(4)) {
    cursor.at = start + 6;
    return { text: source.slice(start, cursor.at), code: Number.parseInt(hex(4) as string, 16) };
  }
  if (letter === 'k' && source[start + 2] === '<') {
    const close = source.indexOf('>', start);
    cursor.at = close < 0 ? source.length : close + 1;
    return { text: source.slice(start, cursor.at), code: undefined };
  }
  if (letter === 'c' && /[a-zA-Z]/.test(source[start + 2] ?? '')) {
    cursor.at = start + 3;
    return { text: source.slice(start, cursor.at), code: undefined };
  }
  cursor.at = start + 2;
  const text = source.slice(start, cursor.at);
  // Escaped letters are classes or control escapes (`\d`, `\n`); digits are references.
  if (/[a-zA-Z0-9]/.test(letter)) return { text, code: undefined };
  return { text, code: letter.charCodeAt(0) };
}

/** Case variants that a class range adds, as class text. */
function rangeVariants(low: number, high: number): string {
  const parts: string[] = [];
  const addAscii = (from: number, to: number, shift: number) => {
    const start = Math.max(low, from);
    const end = Math.min(high, to);
    if (start <= end) parts.push(`${escapeCode(start + shift)}-${escapeCode(end + shift)}`);
  };
  addAscii(0x41, 0x5a, 0x20);
  addAscii(0x61, 0x7a, -0x20);

  const wideStart = Math.max(low, 0x80);
  if (high >= wideStart && high - wideStart < MAX_RANGE_SCAN) {
    for (let code = wideStart; code <= high; code++) {
      for (const variant of caseVariants(code)) {
        if (variant < low || variant > high) parts.push(escapeCode(variant));
      }
    }
  }
  return parts.join('');
}

/**
 * Reads a class from `[` to its closing `]` and returns it rebuilt with the case variants
 * added. Members are written as `\uXXXX` escapes, so no added member can form a range with a
 * `-` of the original.
 */
function foldClass(cursor: Cursor): string {
  const { source } = cursor;
  cursor.at++;
  const negated = source[cursor.at] === '^';
  if (negated) cursor.at++;
  const members: string[] = [];

  while (cursor.at < source.length && source[cursor.at] !== ']') {
    let code: number | undefined;
    let written: string;
    if (source[cursor.at] === '\\') {
      const escaped = readEscape(cursor);
      code = escaped.text === '\\b' ? 0x08 : escaped.code;
      written = escaped.text;
    } else {
      code = source.charCodeAt(cursor.at);
      written = source[cursor.at] as string;
      cursor.at++;
    }
    if (code === undefined) {
      // A class escape such as `\d` or `\w`, which the `i` flag does not change.
      members.push(written);
      continue;
    }

    const range = source[cursor.at] === '-' && source[cursor.at + 1] !== ']';
    if (range && cursor.at + 1 < source.length) {
      cursor.at++;
      let high: number | undefined;
      let highText: string;
      if (source[cursor.at] === '\\') {
        const escaped = readEscape(cursor);
        high = escaped.code;
        highText = escaped.text;
      } else {
        high = source.charCodeAt(cursor.at);
        highText = source[cursor.at] as string;
        cursor.at++;
      }
      if (high === undefined) {
        // `[a-\d]` is a literal `a`, `-` and `\d` outside Unicode mode.
        members.push(...caseVariants(code).map(escapeCode), escapeCode(0x2d), highText);
        continue;
      }
      members.push(`${escapeCode(code)}-${escapeCode(high)}`, rangeVariants(code, high));
      continue;
    }
    members.push(...caseVariants(code).map(escapeCode));
  }

  cursor.at = Math.min(cursor.at + 1, source.length);
  return `[${negated ? '^' : ''}${members.join('')}]`;
}

/** Returns the expression rewritten to match as `source` does with the `i` flag, without it. */
export function foldCase(source: string): string {
  const cursor: Cursor = { source, at: 0 };
  let out = '';
  while (cursor.at < source.length) {
    const char = source[cursor.at] as string;
    if (char === '\\') {
      const escaped = readEscape(cursor);
      out += escaped.code === undefined ? escaped.text : literalClass(escaped.code, escaped.text);
      continue;
    }
    if (char === '[') {
      out += foldClass(cursor);
      continue;
    }
    if (char === '(' && source[cursor.at + 1] === '?') {
      // Group syntax: `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` and `(?<name>` keep their letters.
      const named = /^\(\?<(?![=!])[^>]*>/.exec(source.slice(cursor.at));
      const length = named ? named[0].length : source[cursor.at + 2] === '<' ? 4 : 3;
      out += source.slice(cursor.at, cursor.at + length);
      cursor.at += length;
      continue;
    }
    if (char === '{') {
      const quantifier = /^\{\d+(?:,\d*)?\}/.exec(source.slice(cursor.at));
      if (quantifier) {
        out += quantifier[0];
        cursor.at += quantifier[0].length;
        continue;
      }
    }
    const code = source.charCodeAt(cursor.at);
    out += literalClass(code, char);
    cursor.at++;
  }
  return out;
}
