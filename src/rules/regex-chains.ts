/**
 * Rewrites a regular expression that is a chain of one character repeated with `.*` between
 * (`\+.*\+.*\+`: "the character three times on one line") to a form without ambiguity:
 * `\+(?:[^+\n\r\u2028\u2029]*\+){2}`. Both match a text exactly when one of its lines has the
 * character that many times, but the chain backtracks over every way to split the line. With
 * fourteen `\+` on PowerShell command lines, each test backtracked until V8 gave up and ran its
 * linear-time engine: 146 µs per evaluation of the rule that has it (Node 20), and 2.3 µs after.
 *
 * Written by hand because no library rewrites JavaScript regular expressions. It reads only
 * sources that are such a chain as a whole, so anything else is returned unchanged.
 */

/** One character of the chain: a plain character or an escaped punctuation character. */
const ATOM = String.raw`(?:\\[^A-Za-z0-9]|[^\\.*+?()[\]{}|^$A-Za-z0-9\s])`;

const CHAIN = new RegExp(String.raw`^(${ATOM})(?:\.\*\1){2,}$`);

/** Characters that `.` does not match without the `s` flag. */
const LINE_TERMINATORS = String.raw`\n\r\u2028\u2029`;

/**
 * Returns the unambiguous form of a chain of one character joined by `.*`, or the source as it
 * is when it is not one. `flags` are the expression's flags. Under `s`, `.` matches line
 * terminators too, so the rewritten form does not stop at them.
 */
export function rewriteDotChain(source: string, flags: string): string {
  // Under `u` and `v`, identity escapes such as `\`` are syntax errors.
  if (/[uv]/.test(flags)) return source;
  const chain = CHAIN.exec(source);
  if (!chain) return source;
  const atom = chain[1] as string;
  const count = (source.length + 2) / (atom.length + 2);
  const char = atom.length === 2 ? (atom[1] as string) : atom;
  const excluded = `\\${char}${flags.includes('s') ? '' : LINE_TERMINATORS}`;
  return `${atom}(?:[^${excluded}]*${atom}){${count - 1}}`;
}
