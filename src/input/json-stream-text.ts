/**
 * Checks of the text between and around records that the JSON stream scanner (`json-stream.ts`)
 * makes: character classes, whether a `{` frames a whole record, and the rejection of text.
 */

import { type JsonRecord, SNIPPET_LENGTH } from './json-records.js';

/**
 * Characters after a `{` in stray text that are searched for the quote of a first key, or the
 * `}` of an empty object. The indentation of a pretty-printed record's first key is far shorter.
 */
export const OBJECT_LOOKAHEAD = 120;

/**
 * Tells whether a character between top-level values starts text that is not a record: only
 * `{` and `[` start one there. The scanner's `step` handles commas and closing brackets.
 */
export function isTextAtTop(code: number): boolean {
  return code !== 0x7b && code !== 0x5b && code !== 0x2c && code !== 0x7d && code !== 0x5d;
}

/** Tells whether a JSON value can start with the character: `{ [ " -`, a digit, t, f or n. */
export function startsJsonValue(code: number): boolean {
  if (code === 0x7b || code === 0x5b || code === 0x22 || code === 0x2d) return true;
  if (code >= 0x30 && code <= 0x39) return true;
  return code === 0x74 || code === 0x66 || code === 0x6e;
}

/**
 * Tells whether the scalar at `index`, a string or a literal, starts a line of text. It does when
 * it is no JSON, as a string that a line break cuts is not. It does too when something other
 * than a comma, a `]` or the line's end follows it, as in `2024-05-01 export started`. Only
 * `OBJECT_LOOKAHEAD` characters are looked at, and a longer scalar is taken as JSON. Undefined
 * when the text ends first and `ended` is false.
 */
export function startsTextLine(text: string, index: number, ended: boolean): boolean | undefined {
  const limit = index + OBJECT_LOOKAHEAD;
  const end = Math.min(text.length, limit);
  // Past the lookahead, or at the end of the input, the scalar is taken as JSON.
  const unknown = end < limit && !ended ? undefined : false;

  let at = index;
  if (text.charCodeAt(index) === 0x22) {
    for (at = index + 1; at < end; at += text.charCodeAt(at) === 0x5c ? 2 : 1) {
      const code = text.charCodeAt(at);
      if (code === 0x0a) return true;
      if (code === 0x22) break;
    }
    if (at >= end) return unknown;
    at++;
    // A string with a control character, such as a tab, is no JSON either.
    if (!isJson(text.slice(index, at))) return true;
  } else {
    while (at < end && !isTokenEnd(text.charCodeAt(at))) at++;
    if (at >= end) return unknown;
    if (!isJson(text.slice(index, at))) return true;
  }

  while (at < end && (isSpaceOrTab(text.charCodeAt(at)) || text.charCodeAt(at) === 0x0d)) at++;
  if (at >= end) return unknown;
  const code = text.charCodeAt(at);
  return code !== 0x2c && code !== 0x5d && code !== 0x0a;
}

export function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at >= 0 && at < to; at = text.indexOf('\n', at + 1)) {
    count++;
  }
  return count;
}

export function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Tells whether the `{` at `from` opens an object that closes before `to`. The object is checked
 * as the scanner checks a unit. It has no line break inside a string, no closing bracket of the
 * wrong kind, and no `{` where JSON allows no value.
 */
export function framesRecord(text: string, from: number, to: number): boolean {
  const kinds: number[] = [];
  let previous = 0x5b;
  let inString = false;
  let escaped = false;
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === 0x0a) return false;
      if (escaped) escaped = false;
      else if (code === 0x5c) escaped = true;
      else if (code === 0x22) {
        inString = false;
        previous = 0x22;
      }
      continue;
    }
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;

    const open = kinds.length > 0 ? kinds[kinds.length - 1] : 0x5b;
    if (code === 0x7b) {
      const allowed =
        previous === 0x3a || previous === 0x5b || (previous === 0x2c && open === 0x5b);
      if (!allowed) return false;
    }
    previous = code;
    if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) kinds.push(code);
    else if (code === 0x7d || code === 0x5d) {
      if (kinds.pop() !== (code === 0x7d ? 0x7b : 0x5b)) return false;
      if (kinds.length === 0) return true;
    }
  }
  return false;
}

/**
 * Tells whether a character can follow the `]` of a record array in JSON, other than whitespace:
 * a comma, a key, a bracket or a next document's `{`.
 */
export function continuesAfterArray(code: number): boolean {
  return code === 0x2c || code === 0x22 || code === 0x7b || code === 0x7d || code === 0x5d;
}

/** Tells whether a character ends a literal token: whitespace, a comma, a quote or a bracket. */
export function isTokenEnd(code: number): boolean {
  const space = code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
  if (space || code === 0x2c || code === 0x22) return true;
  return code === 0x7b || code === 0x7d || code === 0x5b || code === 0x5d;
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the rejection of text between records: one line of it, or the part of a line before a
 * record. The text is the snippet.
 *
 * A line that is one JSON scalar (`null`, `42`, `"done"`, `true`) is valid JSON but no record,
 * because every JSON format reads objects. It is rejected as `unexpected_shape`, the code that
 * the formats give a scalar in an array or an NDJSON line. It is not skipped, because skipping is
 * for records that a format recognizes as containing no event. A scalar where a record should be
 * can be all that is left of one (`jq` writes `null` for a path that has no record), so the user
 * should see where it is.
 */
export function rejectStrayText(text: string, record: number, line: number): JsonRecord {
  const snippet = text.slice(0, SNIPPET_LENGTH);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const error = { code: 'invalid_json', message: 'text between records is not JSON' };
    return { error, snippet, record, line };
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const message = `a JSON ${kind} between records is not a record, since records are objects`;
  return { error: { code: 'unexpected_shape', message }, snippet, record, line };
}

/** Tells whether a character is a comma or a space other than a line break. */
function isCommaOrSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x2c;
}

/**
 * Returns the first character after `index` on its line other than a comma or a space, or -1.
 * Only `OBJECT_LOOKAHEAD` characters are looked at. The scanner looks at them before it handles
 * a bracket that starts a line, so the result does not depend on where the chunks of input end.
 */
export function nextOnLine(text: string, index: number): number {
  const end = Math.min(text.length, index + 1 + OBJECT_LOOKAHEAD);
  for (let at = index + 1; at < end; at++) {
    const code = text.charCodeAt(at);
    if (!isCommaOrSpace(code)) return code;
  }
  return -1;
}

/**
 * Returns the closing bracket at `index` with the commas and spaces after it on its line, as in
 * `},`, looking at the characters that `nextOnLine` looks at.
 */
export function closingText(text: string, index: number): string {
  const end = Math.min(text.length, index + 1 + OBJECT_LOOKAHEAD);
  let at = index + 1;
  while (at < end && isCommaOrSpace(text.charCodeAt(at))) at++;
  return text.slice(index, at).trim();
}
