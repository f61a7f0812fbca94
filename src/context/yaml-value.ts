import { Alias, type Document, isAlias, isCollection, isPair, type Node, visit } from 'yaml';
import type { Problem } from '../model/problem.js';
import { lineText, locationAt, type YamlSource } from './yaml-doc.js';

/**
 * Alias expansions allowed while a document becomes a plain value, counted as `yaml` counts
 * them: each use of an anchor times the alias uses nested inside it. An alias bomb
 * (`&b [*a, *a, …]`, `&c [*b, *b, …]`) exceeds it after a few lines.
 */
export const MAX_ALIAS_COUNT = 1000;

/**
 * Converts a parsed document to a plain value. Hostile input can make the conversion fail
 * after a clean parse: an alias bomb, an alias before its anchor, a `!!omap` with a repeated
 * key. Such a failure becomes a problem at the alias that caused it, else at the document's start.
 */
export function documentValue(
  source: YamlSource,
  document: Document.Parsed,
): { value: unknown } | { problem: Problem } {
  try {
    return { value: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { problem: conversionProblem(source, document, error) };
  }
}

function conversionProblem(source: YamlSource, document: Document.Parsed, error: Error): Problem {
  const unresolved = /^Unresolved alias/.test(error.message);
  const excessive = /^Excessive alias count/.test(error.message);
  let node: Node | undefined;
  let code = 'yaml.invalid_value';
  let message = error.message;

  if (excessive) {
    node = excessiveAlias(document);
    code = 'yaml.alias_count';
    const name = node instanceof Alias ? `alias *${node.source}` : 'an alias';
    message = `${name} takes the document past ${MAX_ALIAS_COUNT} alias expansions, as an alias bomb does, so it is not read`;
  } else if (unresolved) {
    node = firstAlias(document, (alias) => alias.resolve(document) === undefined);
    code = 'yaml.unresolved_alias';
    message =
      node instanceof Alias
        ? `alias *${node.source} has no anchor &${node.source} before it`
        : 'an alias has no anchor before it';
  }

  const offset = node?.range?.[0] ?? document.contents?.range?.[0] ?? 0;
  return {
    code,
    severity: 'error',
    message,
    location: locationAt(source, offset),
    snippet: lineText(source, offset),
  };
}

function firstAlias(document: Document.Parsed, test: (alias: Alias) => boolean): Alias | undefined {
  let found: Alias | undefined;
  visit(document, {
    Alias(_key, alias) {
      if (!test(alias)) return undefined;
      found = alias;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Finds the alias at which `yaml` gives up, by repeating its count in document order: each use
 * of an anchored node, times the largest alias count found inside that node.
 */
function excessiveAlias(document: Document.Parsed): Alias | undefined {
  const anchors = new Map<unknown, { count: number; aliasCount: number }>();
  const aliasCount = (node: unknown): number => {
    if (isAlias(node)) {
      const data = anchors.get(node.resolve(document));
      return data ? data.count * data.aliasCount : 0;
    }
    if (isCollection(node)) {
      let max = 0;
      for (const item of node.items) max = Math.max(max, aliasCount(item));
      return max;
    }
    if (isPair(node)) return Math.max(aliasCount(node.key), aliasCount(node.value));
    return 1;
  };

  return firstAlias(document, (alias) => {
    const target = alias.resolve(document);
    if (target === undefined) return false;
    const data = anchors.get(target) ?? { count: 0, aliasCount: 0 };
    anchors.set(target, data);
    data.count += 1;
    if (data.aliasCount === 0) data.aliasCount = aliasCount(target);
    return data.count * data.aliasCount > MAX_ALIAS_COUNT;
  });
}
