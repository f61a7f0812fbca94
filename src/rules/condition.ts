/**
 * Parser for Sigma detection conditions: `and`, `or`, `not`, parentheses, `1 of pattern`,
 * `all of pattern`, `N of pattern` and `them`. Precedence, highest first: `not`, `and`, `or`.
 * Errors carry the column of the offending token in the condition text.
 */

export type ConditionNode =
  | { kind: 'and'; items: ConditionNode[] }
  | { kind: 'or'; items: ConditionNode[] }
  | { kind: 'not'; item: ConditionNode }
  | { kind: 'ref'; name: string; column: number }
  | { kind: 'of'; count: number | 'all'; pattern: string; column: number };

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
    readonly code = 'rule.condition_syntax',
  ) {
    super(message);
  }
}

interface Token {
  kind: 'word' | 'open' | 'close' | 'pipe' | 'end';
  text: string;
  column: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);

/**
 * Deepest nesting of parentheses and `not` that a condition may have. The parser and the
 * compiler recurse once per level, so a condition of thousands of `(` would exhaust the stack.
 * Public SigmaHQ conditions nest at most four levels.
 */
export const MAX_CONDITION_DEPTH = 64;

const IDENTIFIER = /[A-Za-z0-9_.*-]+/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', text: char, column: index + 1 });
      index++;
      continue;
    }
    if (char === '|') {
      // Everything after a pipe is a Sigma 1.x aggregation, reported as such by the parser.
      tokens.push({ kind: 'pipe', text: char, column: index + 1 });
      break;
    }
    IDENTIFIER.lastIndex = index;
    const match = IDENTIFIER.exec(text);
    if (!match) throw new ConditionSyntaxError(`unexpected character "${char}"`, index + 1);
    tokens.push({ kind: 'word', text: match[0], column: index + 1 });
    index += match[0].length;
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 });
  return tokens;
}

export function parseCondition(text: string): ConditionNode {
  const tokens = tokenize(text);
  let position = 0;
  let depth = 0;
  const peek = (): Token => tokens[position] as Token;
  const next = (): Token => tokens[position++] as Token;
  const isWord = (word: string): boolean => {
    const token = peek();
    return token.kind === 'word' && token.text.toLowerCase() === word;
  };

  const parseOr = (): ConditionNode => {
    const items = [parseAnd()];
    while (isWord('or')) {
      next();
      items.push(parseAnd());
    }
    return items.length === 1 ? (items[0] as ConditionNode) : { kind: 'or', items };
  };

  const parseAnd = (): ConditionNode => {
    const items = [parseNot()];
    while (isWord('and')) {
      next();
      items.push(parseNot());
    }
    return items.length === 1 ? (items[0] as ConditionNode) : { kind: 'and', items };
  };

  const parseNot = (): ConditionNode => {
    if (isWord('not')) {
      const token = next();
      enter(token);
      const item = parseNot();
      depth--;
      return { kind: 'not', item };
    }
    return parsePrimary();
  };

  const enter = (token: Token): void => {
    depth++;
    if (depth > MAX_CONDITION_DEPTH) {
      throw new ConditionSyntaxError(
        `condition nests more than ${MAX_CONDITION_DEPTH} levels of parentheses and "not"`,
        token.column,
        'rule.condition_too_deep',
      );
    }
  };

  const parsePrimary = (): ConditionNode => {
    const token = next();
    if (token.kind === 'open') {
      enter(token);
      const inner = parseOr();
      depth--;
      const close = next();
      if (close.kind !== 'close')
        throw new ConditionSyntaxError('missing closing parenthesis', close.column);
      return inner;
    }
    if (token.kind === 'pipe') {
      throw new ConditionSyntaxError(
        'aggregation expressions after "|" are not part of Sigma v2; use a correlation rule',
        token.column,
        'rule.unsupported_aggregation',
      );
    }
    if (token.kind !== 'word') {
      throw new ConditionSyntaxError(
        token.kind === 'end'
          ? 'condition ends where a search identifier was expected'
          : `unexpected "${token.text}"`,
        token.column,
      );
    }

    const lower = token.text.toLowerCase();
    const quantified = lower === 'all' || lower === 'any' || /^\d+$/.test(lower);
    if (quantified && isWord('of')) {
      next();
      const target = next();
      if (target.kind !== 'word') {
        throw new ConditionSyntaxError(
          'expected a search identifier pattern or "them" after "of"',
          target.column,
        );
      }
      const count = lower === 'all' ? 'all' : lower === 'any' ? 1 : Number(lower);
      return { kind: 'of', count, pattern: target.text, column: token.column };
    }
    if (lower === 'near') {
      throw new ConditionSyntaxError(
        '"near" is not part of Sigma v2; use a temporal correlation rule',
        token.column,
        'rule.unsupported_near',
      );
    }
    if (KEYWORDS.has(lower))
      throw new ConditionSyntaxError(`unexpected "${token.text}"`, token.column);
    return { kind: 'ref', name: token.text, column: token.column };
  };

  const root = parseOr();
  const rest = peek();
  if (rest.kind === 'pipe') {
    throw new ConditionSyntaxError(
      'aggregation expressions after "|" are not part of Sigma v2; use a correlation rule',
      rest.column,
      'rule.unsupported_aggregation',
    );
  }
  if (rest.kind !== 'end') throw new ConditionSyntaxError(`unexpected "${rest.text}"`, rest.column);
  return root;
}

/** The identifiers a pattern of `1 of` / `all of` selects; `them` excludes names starting with `_`. */
export function expandPattern(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((name) => !name.startsWith('_'));
  if (!pattern.includes('*')) return names.filter((name) => name === pattern);
  let regex = patternExpressions.get(pattern);
  if (!regex) {
    regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
        .join('.*')}$`,
    );
    patternExpressions.set(pattern, regex);
  }
  const expression = regex;
  return names.filter((name) => expression.test(name));
}

/**
 * Expressions of the patterns seen, since a rule's pattern is expanded several times as it is
 * checked and compiled, and rules share patterns such as `selection_*`.
 */
const patternExpressions = new Map<string, RegExp>();

/** Every identifier the condition refers to, directly or through patterns. */
export function referencedNames(node: ConditionNode, names: readonly string[]): Set<string> {
  const used = new Set<string>();
  const visit = (current: ConditionNode): void => {
    if (current.kind === 'ref') used.add(current.name);
    else if (current.kind === 'of')
      for (const name of expandPattern(current.pattern, names)) used.add(name);
    else if (current.kind === 'not') visit(current.item);
    else for (const item of current.items) visit(item);
  };
  visit(node);
  return used;
}
