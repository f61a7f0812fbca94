import { setFlagsFromString } from 'node:v8';
import { rewriteDotChain } from './regex-chains.js';
import { foldCase } from './regex-fold.js';
import { linearBounds } from './regex-relax.js';

/**
 * Sigma `|re` values are PCRE-flavoured; this turns them into JavaScript regular expressions.
 *
 * - A leading inline flag group (`(?i)`, `(?is)`) becomes the expression's flags, since Node 20's
 *   engine rejects inline flags.
 * - `\A`, `\Z` and `\z` become `^` and `$`; `(?P<name>` becomes `(?<name>`.
 * - PCRE-only syntax that has no JavaScript meaning (possessive quantifiers, atomic groups,
 *   inline flags later in the pattern, `\Q…\E`, POSIX classes) is reported by name.
 *
 * Catastrophic backtracking: a chain of one character joined by `.*` is rewritten to a form
 * that does not backtrack over its splits (`regex-chains.ts`). The V8 flag set here switches a
 * regular expression to the linear-time engine once it backtracks excessively, so `(a+)+$`
 * cannot stall a scan. That
 * engine runs no expression with the `i` flag, so case-insensitive expressions are rewritten
 * with letter classes (`regex-fold.ts`). An expression it cannot run at all (backreferences,
 * lookaround, repetition counts above 16) runs under a time budget instead (`regex-guard.ts`).
 */

let linearFallbackEnabled = false;

export function enableLinearRegexFallback(): void {
  if (linearFallbackEnabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  linearFallbackEnabled = true;
}

export interface RegexTranslation {
  source: string;
  flags: string;
  /** Whether V8's linear-time engine can run it; others need a time budget (regex-guard.ts). */
  linear: boolean;
  /**
   * For an expression that is not linear, expressions the linear-time engine can run that match
   * every text it matches (`loose`) and only texts it matches (`tight`); see regex-relax.ts.
   */
  bounds?: { loose: string; tight: string | undefined; flags: string };
}

const UNSUPPORTED: [RegExp, string][] = [
  [/(?<!\\)(?:\\\\)*[*+?}][+]/, 'possessive quantifiers'],
  [/\(\?>/, 'atomic groups'],
  [/(?<!\\)(?:\\\\)*\\Q/, 'quoted sequences (\\Q…\\E)'],
  [/\[\[:[a-z]+:\]\]/, 'POSIX character classes'],
  [/\(\?[imsxU-]+\)/, 'inline flags after the start of the pattern'],
  [/\(\?[imsx-]+:/, 'scoped inline flags'],
  [/(?<!\\)(?:\\\\)*\\[GKR]/, 'PCRE-only escapes (\\G, \\K, \\R)'],
  [/\(\?[|#]/, 'branch reset and comment groups'],
];

/** Translates a Sigma regular expression; returns a message naming the feature when it cannot. */
export function translateRegex(
  value: string,
  flags: { i: boolean; m: boolean; s: boolean },
): RegexTranslation | string {
  let source = value;
  const flagSet = new Set<string>();
  if (flags.i) flagSet.add('i');
  if (flags.m) flagSet.add('m');
  if (flags.s) flagSet.add('s');

  const leading = /^\(\?([imsx]+)\)/.exec(source);
  if (leading) {
    for (const flag of leading[1] as string) {
      if (flag === 'x') return 'the extended (x) flag';
      flagSet.add(flag);
    }
    source = source.slice(leading[0].length);
  }

  for (const [pattern, feature] of UNSUPPORTED) {
    if (pattern.test(source)) return feature;
  }

  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1^')
    .replace(/(?<!\\)((?:\\\\)*)\\[Zz]/g, '$1$');

  try {
    new RegExp(source, [...flagSet].join(''));
  } catch (error) {
    return `an expression JavaScript cannot compile (${(error as Error).message})`;
  }

  // V8's linear-time engine runs no expression with the `i` flag, so letters become classes.
  if (flagSet.has('i') && !BACKREFERENCE.test(source)) {
    source = foldCase(source);
    flagSet.delete('i');
  }

  const flagText = [...flagSet].sort().join('');
  source = rewriteDotChain(source, flagText);
  if (runsInLinearTime(source, flagText)) return { source, flags: flagText, linear: true };

  let { loose, tight } = linearBounds(source);
  const boundFlags = new Set(flagSet);
  if (boundFlags.delete('i')) {
    loose = foldCase(loose);
    tight = tight === undefined ? undefined : foldCase(tight);
  }
  const boundText = [...boundFlags].sort().join('');
  if (!runsInLinearTime(loose, boundText)) return { source, flags: flagText, linear: false };
  if (tight !== undefined && !runsInLinearTime(tight, boundText)) tight = undefined;
  return { source, flags: flagText, linear: false, bounds: { loose, tight, flags: boundText } };
}

const BACKREFERENCE = /(?<!\\)(?:\\\\)*\\(?:[1-9]|k<)/;

let linearCheckEnabled = false;

/** Tests whether V8 can run the expression on its linear-time engine, which never backtracks. */
function runsInLinearTime(source: string, flags: string): boolean {
  if (!linearCheckEnabled) {
    // Makes the `l` flag available, which compiles an expression for the linear-time engine.
    setFlagsFromString('--enable-experimental-regexp-engine');
    linearCheckEnabled = true;
  }
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch {
    return false;
  }
}
