/**
 * Account and host globs of the context file: `*` any run of characters, `?` one character,
 * matched case-insensitively over the whole value. Every other character is literal, the
 * backslash included, so that `CONTOSO\acme-*` reads as written.
 *
 * Values come from logs, so an attacker controls them. The matcher therefore never backtracks
 * further than the last `*`, which bounds a match at O(n·m) steps for a value of n characters
 * and a glob of m.
 */
export interface Glob {
  /** The glob as written in the context file. */
  readonly pattern: string;
  /** Tests whether the whole value matches the glob. */
  test(value: string): boolean;
}

const STAR = 0;
const ANY = 1;

/** One glob element: a `*`, a `?`, or a literal character after case folding. */
type Token = typeof STAR | typeof ANY | string;

/** Compiles a glob of the context file for matching. */
export function compileGlob(pattern: string): Glob {
  const tokens: Token[] = [];
  for (const char of pattern) {
    if (char === '*') {
      // Consecutive stars match what one star matches.
      if (tokens.at(-1) !== STAR) tokens.push(STAR);
    } else if (char === '?') tokens.push(ANY);
    else tokens.push(foldCase(char));
  }
  return { pattern, test: (value) => matchTokens(tokens, Array.from(value, foldCase)) };
}

/**
 * Matches greedily and, on a mismatch, lets the last `*` take one more character. Earlier stars
 * are never revisited, because the last star can absorb whatever they would have matched.
 */
function matchTokens(tokens: readonly Token[], chars: readonly string[]): boolean {
  let token = 0;
  let char = 0;
  let lastStar = -1;
  let starChar = 0;

  while (char < chars.length) {
    const current = tokens[token];
    if (current === ANY || (token < tokens.length && current === chars[char])) {
      token++;
      char++;
    } else if (current === STAR) {
      lastStar = token;
      starChar = char;
      token++;
    } else if (lastStar >= 0) {
      starChar++;
      token = lastStar + 1;
      char = starChar;
    } else {
      return false;
    }
  }

  while (tokens[token] === STAR) token++;
  return token === tokens.length;
}

/**
 * Folds one code point for a case-insensitive comparison, close to the simple case folding of a
 * RegExp with the `iu` flags: `K` (Kelvin sign), `k` and `K` fold alike, and so do `ς`, `σ`
 * and `Σ`. A character whose case mapping takes more than one code point (`ß`, `İ`) folds to its
 * lower case or stays as it is.
 */
function foldCase(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x80) return code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : char;

  const viaUpper = char.toUpperCase().toLowerCase();
  if (isOneCodePoint(viaUpper)) return viaUpper;
  const lower = char.toLowerCase();
  return isOneCodePoint(lower) ? lower : char;
}

function isOneCodePoint(text: string): boolean {
  const code = text.codePointAt(0);
  return code !== undefined && text.length === (code > 0xffff ? 2 : 1);
}
