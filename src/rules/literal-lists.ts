import type { EvalContext } from './fields.js';
import { containsAnyFactor, requiredFactors } from './prefilter.js';
import type { Matcher } from './search.js';
import { simdTextTest } from './simd-scan.js';
import { escapeRegex, type MatchMode } from './values.js';

/**
 * Tests of one field (or of every value, for keywords) against a list of literal strings, such
 * as fifty executable names or twenty Mimikatz commands. A long list is searched as one
 * alternation, behind two cheap prefilters that skip most texts without running it: a text
 * shorter than the shortest literal, and a text that contains none of the list's required
 * factors (prefilter.ts).
 */

/** Lists of at least this many literals are searched as one alternation; see below. */
const ALTERNATION_MIN = 3;

export function literalListTest(
  read: (context: EvalContext) => readonly string[],
  literals: readonly string[],
  mode: MatchMode,
): Matcher {
  const list = [...new Set(literals)];
  if (list.length >= ALTERNATION_MIN) {
    // V8 compiles an alternation of literals to machine code that tests all of them in one
    // pass over the text: on 229 literals and 6 KB script blocks it measured 12 times faster
    // than one `includes` per literal (Node 20). Literals have no quantifiers, so it cannot
    // backtrack beyond one literal's length per position. Like the factors, the expression is
    // built when the test first runs, because most lists never run. Escaping the literals took
    // 27 ms in a CPU profile of a scan's start with the SigmaHQ Windows rules (Node 20).
    const minLength = shortest(list);
    let regex: RegExp | undefined;
    let hasFactor: ((text: string) => boolean) | undefined;
    return (context) => {
      regex ??= anchoredAlternation(list, mode);
      hasFactor ??= factorTest(list);
      for (const text of read(context)) {
        if (text.length >= minLength && hasFactor(text) && regex.test(text)) return true;
      }
      return false;
    };
  }
  if (mode === 'contains') {
    return (context) => {
      for (const text of read(context))
        for (const literal of list) if (text.includes(literal)) return true;
      return false;
    };
  }
  if (mode === 'startswith') {
    return (context) => {
      for (const text of read(context))
        for (const literal of list) if (text.startsWith(literal)) return true;
      return false;
    };
  }
  return (context) => {
    for (const text of read(context))
      for (const literal of list) if (text.endsWith(literal)) return true;
    return false;
  };
}

/** Source of an expression that matches any of the literals. */
function literalAlternation(literals: readonly string[]): string {
  return literals.map(escapeRegex).join('|');
}

/** Returns an expression that finds any of the literals where `mode` looks for them. */
function anchoredAlternation(literals: readonly string[], mode: MatchMode): RegExp {
  const alternation = literalAlternation(literals);
  if (mode === 'contains') return new RegExp(alternation);
  if (mode === 'startswith') return new RegExp(`^(?:${alternation})`);
  return new RegExp(`(?:${alternation})$`);
}

/**
 * Builds the factor prefilter of a list. It runs when a rule first runs rather than when it
 * compiles, since rules compile once per log source mapping and most lists never run.
 */
function factorTest(list: readonly string[]): (text: string) => boolean {
  const factors = requiredFactors(list);
  return factors ? containsAnyFactor(factors) : passAll;
}

function passAll(): boolean {
  return true;
}

/**
 * Returns the length of the shortest literal. It loops, since a context list can have more
 * literals than a spread call takes arguments.
 */
function shortest(literals: readonly string[]): number {
  let length = Number.POSITIVE_INFINITY;
  for (const literal of literals) length = Math.min(length, literal.length);
  return length;
}

/**
 * Keyword literals as one case-insensitive expression over the values as written. Keywords
 * read every value of the record, and lower-casing them all first cost more than the search:
 * on Windows events of about 2,000 characters the `i` flag took 0.6 of the time (Node 20). It
 * folds case as lower-casing does for ASCII literals, except for the Kelvin sign and the
 * dotted capital I in the text, so other literals keep the lower-cased path.
 *
 * The required factors are tested with the same flag, so they fold case exactly as the full
 * expression does: a value it matches always contains one of them.
 */
export function keywordLiteralTest(
  literals: readonly string[],
  mode: MatchMode,
  caseInsensitive: boolean,
): Matcher | undefined {
  if (mode !== 'contains' || !literals.every((literal) => /^[\x00-\x7f]*$/.test(literal))) {
    return undefined;
  }
  const list = [...new Set(literals)];
  const flags = caseInsensitive ? 'i' : '';
  const minLength = shortest(list);
  let tests: KeywordTests | undefined;
  return (context) => {
    tests ??= keywordTests(list, new RegExp(literalAlternation(list), flags), flags, minLength);
    return context.anyKeyword(tests.value, tests.text);
  };
}

interface KeywordTests {
  /** Test of one value. */
  value: (text: string) => boolean;
  /** Test of a record's JSON text (see `EvalContext.anyKeyword`). */
  text: ((text: string) => boolean) | undefined;
}

/**
 * Builds the value test, and the record text test when the searched strings are written as
 * they are in JSON. A value that passes contains one of the factors (or of the literals, when
 * there are no factors), so the text that contains the value contains it too.
 */
function keywordTests(
  list: readonly string[],
  regex: RegExp,
  flags: string,
  minLength: number,
): KeywordTests {
  const factors = requiredFactors(list);
  const prefilter = factors ? new RegExp(literalAlternation(factors), flags) : regex;
  const value = factors
    ? (text: string) => text.length >= minLength && prefilter.test(text) && regex.test(text)
    : (text: string) => text.length >= minLength && regex.test(text);
  const searched = factors ?? list;
  if (!searched.every(writtenAsIs)) return { value, text: undefined };
  const caseInsensitive = flags === 'i';
  const textSearch = new RegExp(textAlternation(searched, caseInsensitive));
  // The SIMD search proposes where the expression may match: any of the strings or an escape.
  const strings = searched.map((text) => ({ text, foldCase: caseInsensitive }));
  const simd = simdTextTest([...strings, { text: '\\u', foldCase: false }], textSearch);
  return { value, text: simd ?? ((text) => textSearch.test(text)) };
}

/**
 * Builds the source of an expression that finds any of `searched` in JSON text, or a `\u`
 * escape, which can spell any character of a value. JSON gives every such escape four hex
 * digits, so a path such as `c:\\users` is no escape. Among 238,652 OTRF Windows records, 7,350
 * passed the Mimikatz keywords' test with a bare `\u` and 3,390 with the hex digits. Case folds
 * by character classes, because the `i` flag would take the `\U` of every `C:\\Users` for an
 * escape. For ASCII letters the two fold alike.
 */
function textAlternation(searched: readonly string[], caseInsensitive: boolean): string {
  const fold = (source: string) =>
    source.replace(/[a-z]/gi, (letter) => `[${letter.toLowerCase()}${letter.toUpperCase()}]`);
  const alternatives = searched.map((item) => {
    const source = escapeRegex(item);
    return caseInsensitive ? fold(source) : source;
  });
  return [...alternatives, '\\\\u[0-9a-fA-F]{4}'].join('|');
}

/** Characters that JSON escapes, or may escape (`\/`), in a string. */
const JSON_ESCAPED = /["\\/\x00-\x1f]/;

/**
 * Characters of a number's value as text. JSON may write `1e3` where the value reads `1000`,
 * and a number too large for a double reads `Infinity`.
 */
const NUMBER_CHARACTERS = /^[0-9+\-.einfty]*$/i;

/**
 * Tells whether every value containing `search` has it in its JSON text too, unless the text
 * spells a character with `\u`. JSON writes no other escape for its characters. No number's
 * text can differ from its value's by containing it.
 */
function writtenAsIs(search: string): boolean {
  return !JSON_ESCAPED.test(search) && !NUMBER_CHARACTERS.test(search);
}
