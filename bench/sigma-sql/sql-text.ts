/**
 * SQL text for the DuckDB translation of Sigma rules: quoting, and Sigma string patterns
 * (tokens of literal text, `*`, `?` and `windash` character classes) as DuckDB predicates.
 * Written here because the translation targets the benchmark's own query shape, and no Sigma
 * backend package for DuckDB exists on npm.
 */
import type { Token } from '../../src/rules/values.js';

/** A rule feature that the translation does not express in SQL; the rule is skipped. */
export class UntranslatableError extends Error {}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(text: string): string {
  if (text.includes('\u0000')) {
    throw new UntranslatableError('a value contains a NUL character');
  }
  return `'${text.replace(/'/g, "''")}'`;
}

export type MatchMode = 'equals' | 'contains' | 'startswith' | 'endswith';

/** Lower-cases the literal parts of a pattern, as the engine does for case-insensitive tests. */
export function lowerTokens(tokens: readonly Token[]): Token[] {
  return tokens.map((token) => {
    if (token.kind === 'text') return { kind: 'text', text: token.text.toLowerCase() };
    if (token.kind === 'class') {
      return { kind: 'class', chars: token.chars.map((char) => char.toLowerCase()) };
    }
    return token;
  });
}

/** Adds the `*` that the mode implies at either end of a pattern, and merges runs of `*`. */
function anchoredTokens(tokens: readonly Token[], mode: MatchMode): Token[] {
  const withEnds: Token[] = [
    ...(mode === 'contains' || mode === 'endswith' ? [{ kind: 'any' } as const] : []),
    ...tokens,
    ...(mode === 'contains' || mode === 'startswith' ? [{ kind: 'any' } as const] : []),
  ];
  const merged: Token[] = [];
  for (const token of withEnds) {
    if (token.kind === 'any' && merged[merged.length - 1]?.kind === 'any') continue;
    merged.push(token);
  }
  return merged;
}

/**
 * Builds a predicate that `column` matches the pattern: `=`, `starts_with`, `ends_with` or
 * `contains` for one literal, LIKE for `*` and `?`, and an RE2 full match for character
 * classes. The caller lower-cases the pattern when the column contains lower-cased values.
 */
export function patternPredicate(
  column: string,
  tokens: readonly Token[],
  mode: MatchMode,
): string {
  const full = anchoredTokens(tokens, mode);
  if (full.length === 0) return `${column} = ''`;
  if (full.every((token) => token.kind === 'any')) return `${column} IS NOT NULL`;

  const startAnchored = full[0]?.kind !== 'any';
  const endAnchored = full[full.length - 1]?.kind !== 'any';
  const inner = full.slice(startAnchored ? 0 : 1, endAnchored ? full.length : -1);
  const only = inner[0];
  if (inner.length === 1 && only?.kind === 'text') {
    const literal = quoteString(only.text);
    if (startAnchored && endAnchored) return `${column} = ${literal}`;
    if (startAnchored) return `starts_with(${column}, ${literal})`;
    if (endAnchored) return `ends_with(${column}, ${literal})`;
    return `contains(${column}, ${literal})`;
  }

  if (full.every((token) => token.kind !== 'class')) {
    return `${column} LIKE ${quoteString(full.map(likeSource).join(''))} ESCAPE '\\'`;
  }
  const source = full.map(regexSource).join('');
  return `regexp_full_match(${column}, ${quoteString(`(?s)${source}`)})`;
}

function likeSource(token: Token): string {
  if (token.kind === 'any') return '%';
  if (token.kind === 'one') return '_';
  if (token.kind === 'text') return token.text.replace(/[\\%_]/g, '\\$&');
  throw new Error('a character class has no LIKE form');
}

function regexSource(token: Token): string {
  if (token.kind === 'any') return '.*';
  if (token.kind === 'one') return '.';
  if (token.kind === 'text') return escapeRe2(token.text);
  return `(?:${token.chars.map(escapeRe2).join('|')})`;
}

/** Escapes the RE2 metacharacters of a literal. */
export function escapeRe2(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
