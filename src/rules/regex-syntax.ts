import {
  type CharSet,
  charSet,
  classEscape,
  complement,
  dotSet,
  MAX_CODE_POINT,
  MAX_UNIT,
  union,
  withCaseVariants,
} from './regex-charset.js';

/**
 * Parses a regular expression into a syntax tree for the backtracking analysis
 * (regex-ambiguity.ts). It reads JavaScript syntax with the Annex B extensions that V8 accepts
 * outside Unicode mode, plus the PCRE spellings that translateRegex (regex.ts) rewrites: `\A`,
 * `\Z`, `\z`, `(?P<name>…)` and `(?P=name)`. The input must already compile, so the parser
 * never reports an error: text it does not recognise reads as literal characters.
 *
 * Written by hand because no regular expression parser is among the dependencies.
 */

/**
 * A node of the syntax tree. `start` and `end` of characters, backreferences and repetitions
 * span their text in the source, a repetition's with its quantifier.
 */
export type RegexNode =
  /** One character from the set. */
  | { kind: 'char'; set: CharSet; start: number; end: number }
  /** `^`, `$`, `\b`, `\B`: matches no character and can fail. `$`, `\Z`, `\z` hold at the end. */
  | { kind: 'assertion'; holdsAtEnd: boolean }
  | { kind: 'lookaround'; body: RegexNode; behind: boolean }
  /** `\1`, `\k<name>`: the text a group captured, of any length. */
  | { kind: 'backreference'; start: number; end: number }
  | { kind: 'sequence'; items: RegexNode[] }
  | { kind: 'alternation'; alternatives: RegexNode[] }
  | { kind: 'group'; body: RegexNode }
  /** `max` is Infinity for `*`, `+` and `{n,}`. */
  | { kind: 'repeat'; body: RegexNode; min: number; max: number; start: number; end: number };

export interface RegexFlags {
  ignoreCase: boolean;
  dotAll: boolean;
  unicode: boolean;
}

interface Parser {
  source: string;
  at: number;
  flags: RegexFlags;
  max: number;
  groupCount: number;
  named: boolean;
}

/** Parses `source`, which must compile as a regular expression with `flags`. */
export function parseRegex(source: string, flags: RegexFlags): RegexNode {
  const parser: Parser = {
    source,
    at: 0,
    flags,
    max: flags.unicode ? MAX_CODE_POINT : MAX_UNIT,
    groupCount: countGroups(source),
    named: /\(\?P?<(?![=!])/.test(source),
  };
  return parseAlternation(parser);
}

/** Returns the deepest nesting of groups, which the recursive parser needs to stay shallow. */
export function nestingDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  visitParentheses(source, (char) => {
    if (char === '(') deepest = Math.max(deepest, ++depth);
    else depth--;
  });
  return deepest;
}

/** Counts capturing groups, which decide whether `\2` is a backreference or an octal escape. */
function countGroups(source: string): number {
  let count = 0;
  visitParentheses(source, (char, at) => {
    if (char !== '(') return;
    if (source[at + 1] !== '?' || /^\(\?P?<(?![=!])/.test(source.slice(at))) count++;
  });
  return count;
}

/** Calls `visit` for each parenthesis of the pattern outside escapes and character classes. */
function visitParentheses(source: string, visit: (char: '(' | ')', at: number) => void): void {
  let inClass = false;
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === '\\') at++;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(' || char === ')') visit(char, at);
  }
}

function parseAlternation(parser: Parser): RegexNode {
  const alternatives = [parseSequence(parser)];
  while (parser.source[parser.at] === '|') {
    parser.at++;
    alternatives.push(parseSequence(parser));
  }
  return alternatives.length === 1
    ? (alternatives[0] as RegexNode)
    : { kind: 'alternation', alternatives };
}

function parseSequence(parser: Parser): RegexNode {
  const items: RegexNode[] = [];
  const { source } = parser;
  while (parser.at < source.length && source[parser.at] !== '|' && source[parser.at] !== ')') {
    const start = parser.at;
    const atom = parseAtom(parser);
    items.push(parseQuantifier(parser, atom, start));
  }
  return items.length === 1 ? (items[0] as RegexNode) : { kind: 'sequence', items };
}

function parseQuantifier(parser: Parser, atom: RegexNode, start: number): RegexNode {
  const { source } = parser;
  let min: number;
  let max: number;
  const char = source[parser.at];
  const count = char === '{' ? /^\{(\d+)(?:(,)(\d*))?\}/.exec(source.slice(parser.at)) : null;
  if (char === '*' || char === '+' || char === '?') {
    min = char === '+' ? 1 : 0;
    max = char === '?' ? 1 : Number.POSITIVE_INFINITY;
    parser.at++;
  } else if (count) {
    min = Number(count[1]);
    max = min;
    if (count[2]) max = count[3] ? Number(count[3]) : Number.POSITIVE_INFINITY;
    parser.at += count[0].length;
  } else {
    return atom;
  }
  // A lazy quantifier tries the same ways in another order, so it backtracks as much.
  if (source[parser.at] === '?') parser.at++;
  return { kind: 'repeat', body: atom, min, max, start, end: parser.at };
}

function parseAtom(parser: Parser): RegexNode {
  const { source, flags } = parser;
  const start = parser.at;
  const char = source[parser.at] as string;
  if (char === '(') return parseGroup(parser);
  if (char === '[') return chars(parser, parseClass(parser), start);
  if (char === '\\') return parseEscape(parser);
  parser.at++;
  if (char === '^' || char === '$') return { kind: 'assertion', holdsAtEnd: char === '$' };
  if (char === '.') return chars(parser, dotSet(flags.dotAll, parser.max), start);
  const code = flags.unicode
    ? (source.codePointAt(parser.at - 1) as number)
    : source.charCodeAt(parser.at - 1);
  if (code > MAX_UNIT) parser.at++;
  return chars(parser, charSet([[code, code]]), start);
}

/** Returns the node of a character read from `start` up to the parser's position. */
function chars(parser: Parser, set: CharSet, start: number): RegexNode {
  const caseSet = parser.flags.ignoreCase ? withCaseVariants(set) : set;
  return { kind: 'char', set: caseSet, start, end: parser.at };
}

function parseGroup(parser: Parser): RegexNode {
  const start = parser.at;
  const rest = parser.source.slice(parser.at);
  const opening = /^\((?:\?(?:<?[=!]|:|P?<[^>]*>|P=[^)]*\)))?/.exec(rest)?.[0] ?? '(';
  parser.at += opening.length;
  if (opening.startsWith('(?P=')) return { kind: 'backreference', start, end: parser.at };
  const body = parseAlternation(parser);
  if (parser.source[parser.at] === ')') parser.at++;
  if (/^\(\?<?[=!]/.test(opening)) {
    return { kind: 'lookaround', body, behind: opening[2] === '<' };
  }
  return { kind: 'group', body };
}

/** Reads an escape outside a class: an assertion, a backreference or a character set. */
function parseEscape(parser: Parser): RegexNode {
  const { source } = parser;
  const start = parser.at;
  const letter = source[parser.at + 1] ?? '\\';
  if (/[bBAZz]/.test(letter)) {
    parser.at += 2;
    return { kind: 'assertion', holdsAtEnd: letter === 'Z' || letter === 'z' };
  }
  const digits = /^\\([1-9]\d*)/.exec(source.slice(parser.at));
  if (digits && Number(digits[1]) <= parser.groupCount) {
    parser.at += digits[0].length;
    return { kind: 'backreference', start, end: parser.at };
  }
  const name = /^\\k<[^>]*>/.exec(source.slice(parser.at));
  if (name && parser.named) {
    parser.at += name[0].length;
    return { kind: 'backreference', start, end: parser.at };
  }
  return chars(parser, readEscapedSet(parser, false), start);
}

/** Reads an escape that stands for characters; inside a class, `\b` is the backspace. */
function readEscapedSet(parser: Parser, inClass: boolean): CharSet {
  const { source, max } = parser;
  const rest = source.slice(parser.at);
  const letter = rest[1] ?? '\\';
  const single = (code: number, length: number): CharSet => {
    parser.at += length;
    return [code, code];
  };
  const set = classEscape(letter, max);
  if (set) {
    parser.at += 2;
    return set;
  }
  if (/^\\[pP]\{/.test(rest) && parser.flags.unicode) {
    // Unicode property classes: any character, since this reader keeps no property tables.
    parser.at += rest.indexOf('}') + 1;
    return [0, max];
  }
  const hex = /^\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]+)\})/.exec(rest);
  if (hex) return single(Number.parseInt(hex[1] ?? hex[2] ?? hex[3] ?? '0', 16), hex[0].length);
  const control = /^\\c([a-zA-Z])/.exec(rest);
  if (control) return single((control[1] as string).charCodeAt(0) % 32, 3);
  // Annex B: `\0`-`\377` outside Unicode mode are octal escapes when they are no backreference.
  const octal = /^\\(0[0-7]{0,2}|[1-3][0-7]{0,2}|[4-7][0-7]?)/.exec(rest);
  if (octal) return single(Number.parseInt(octal[1] as string, 8), octal[0].length);
  const controls: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
  if (inClass && letter === 'b') return single(8, 2);
  if (letter in controls) return single(controls[letter] as number, 2);
  return single(letter.charCodeAt(0), 2);
}

/** Reads a class from `[` to its closing `]`. */
function parseClass(parser: Parser): CharSet {
  const { source, max } = parser;
  parser.at++;
  const negated = source[parser.at] === '^';
  if (negated) parser.at++;
  const members: CharSet[] = [];

  const readMember = (): CharSet => {
    if (source[parser.at] === '\\') return readEscapedSet(parser, true);
    const code = source.charCodeAt(parser.at);
    parser.at++;
    return [code, code];
  };
  while (parser.at < source.length && source[parser.at] !== ']') {
    const low = readMember();
    const isRange = source[parser.at] === '-' && source[parser.at + 1] !== ']';
    if (!isRange || parser.at + 1 >= source.length) {
      members.push(low);
      continue;
    }
    parser.at++;
    const high = readMember();
    // `[a-\d]` outside Unicode mode is `a`, `-` and `\d`, not a range.
    if (low.length === 2 && high.length === 2 && low[0] === low[1] && high[0] === high[1]) {
      members.push(charSet([[low[0] as number, high[0] as number]]));
    } else {
      members.push(low, [0x2d, 0x2d], high);
    }
  }
  parser.at = Math.min(parser.at + 1, source.length);
  const set = union(members);
  if (!negated) return set;
  // Under the `i` flag, `[^a]` matches neither `a` nor `A`, so variants are added before the
  // complement is taken.
  return complement(parser.flags.ignoreCase ? withCaseVariants(set) : set, max);
}
