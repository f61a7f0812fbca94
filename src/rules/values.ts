/**
 * Sigma string values and their matching. A value is parsed into tokens (literal text, `*`, `?`,
 * and character classes made by `windash`), following the Sigma escape rules: a backslash
 * before `*`, `?` or another backslash makes that character literal; any other backslash is
 * itself literal, so `C:\Windows\` needs no escaping.
 *
 * Matching compiles each value to the cheapest test that is exact: equality, prefix, suffix or
 * substring on the (lower-cased) field, and a regular expression only for inner wildcards.
 */

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'any' }
  | { kind: 'one' }
  | { kind: 'class'; chars: readonly string[] };

/** The characters that `parseSigmaString` reads as escapes or wildcards. */
const SPECIAL_CHARACTER = /[\\*?]/;

export function parseSigmaString(value: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  const flush = (): void => {
    if (text.length > 0) tokens.push({ kind: 'text', text });
    text = '';
  };
  // Text between special characters is copied a run at a time, not a character at a time,
  // since the SigmaHQ Windows rules hold 34,660 values.
  let runStart = 0;
  for (let index = value.search(SPECIAL_CHARACTER); index >= 0 && index < value.length; index++) {
    const char = value[index] as string;
    if (char !== '\\' && char !== '*' && char !== '?') continue;
    text += value.slice(runStart, index);
    if (char === '\\') {
      const next = value[index + 1];
      if (next === '*' || next === '?' || next === '\\') {
        text += next;
        index++;
      } else {
        text += char;
      }
    } else {
      flush();
      tokens.push(char === '*' ? { kind: 'any' } : { kind: 'one' });
    }
    runStart = index + 1;
  }
  text += value.slice(runStart);
  flush();
  return tokens;
}

export function literalTokens(text: string): Token[] {
  return text.length === 0 ? [] : [{ kind: 'text', text }];
}

export function hasWildcards(tokens: readonly Token[]): boolean {
  return tokens.some((token) => token.kind !== 'text');
}

export function tokensToText(tokens: readonly Token[]): string {
  return tokens.map((token) => (token.kind === 'text' ? token.text : '')).join('');
}

/** Renders tokens back in Sigma notation, for messages. */
export function tokensToSigma(tokens: readonly Token[]): string {
  return tokens
    .map((token) => {
      if (token.kind === 'text') return token.text.replace(/[*?\\]/g, '\\$&');
      if (token.kind === 'any') return '*';
      if (token.kind === 'one') return '?';
      return `[${token.chars.join('')}]`;
    })
    .join('');
}

export type MatchMode = 'equals' | 'contains' | 'startswith' | 'endswith';

export type StringTest = (value: string) => boolean;

function lowerTokens(tokens: readonly Token[]): Token[] {
  return tokens.map((token) => {
    if (token.kind === 'text') return { kind: 'text', text: token.text.toLowerCase() };
    if (token.kind === 'class') {
      return { kind: 'class', chars: token.chars.map((char) => char.toLowerCase()) };
    }
    return token;
  });
}

/**
 * Compiles a pattern to a test on field strings. When `cased` is false the test expects the
 * field already lower-cased and lower-cases the pattern itself.
 */
export function compileStringTest(
  pattern: readonly Token[],
  mode: MatchMode,
  cased: boolean,
): StringTest {
  let tokens = cased ? [...pattern] : lowerTokens(pattern);
  if (mode === 'contains' || mode === 'endswith') tokens = [{ kind: 'any' }, ...tokens];
  if (mode === 'contains' || mode === 'startswith') tokens = [...tokens, { kind: 'any' }];
  tokens = mergeAny(tokens);

  const anchoredStart = tokens[0]?.kind !== 'any';
  const anchoredEnd = tokens[tokens.length - 1]?.kind !== 'any';
  const inner = tokens.filter((token, index) => {
    if (token.kind !== 'any') return true;
    return index !== 0 && index !== tokens.length - 1;
  });

  if (inner.length === 0) {
    // Only `*` (matches anything, even ''), or an empty value (matches only '').
    return tokens.length === 0 ? (value) => value.length === 0 : () => true;
  }
  const only = inner[0];
  if (inner.length === 1 && only?.kind === 'text') {
    const text = only.text;
    if (anchoredStart && anchoredEnd) return (value) => value === text;
    if (anchoredStart) return (value) => value.startsWith(text);
    if (anchoredEnd) return (value) => value.endsWith(text);
    return (value) => value.includes(text);
  }

  const regex = new RegExp(
    `${anchoredStart ? '^' : ''}${inner.map(tokenSource).join('')}${anchoredEnd ? '$' : ''}`,
    'su',
  );
  return (value) => regex.test(value);
}

function mergeAny(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'any' && out[out.length - 1]?.kind === 'any') continue;
    out.push(token);
  }
  return out;
}

function tokenSource(token: Token): string {
  if (token.kind === 'text') return escapeRegex(token.text);
  if (token.kind === 'any') return '.*';
  if (token.kind === 'one') return '.';
  return `(?:${token.chars.map(escapeRegex).join('|')})`;
}

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Parses a number as logs write it: decimal, or hexadecimal with `0x`. */
export function parseNumeric(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (/^[+-]?0x[0-9a-f]+$/i.test(text)) {
    const negative = text.startsWith('-');
    const digits = text.replace(/^[+-]?0x/i, '');
    const parsed = Number.parseInt(digits, 16);
    return negative ? -parsed : parsed;
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  return undefined;
}
