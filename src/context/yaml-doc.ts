import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { Location, Problem } from '../model/problem.js';

/**
 * YAML parsing that keeps positions, so that every problem in a context or rule file can name
 * its line and column and show the offending text.
 */

export interface YamlSource {
  file: string;
  text: string;
  lineCounter: LineCounter;
  documents: Document.Parsed[];
}

export function parseYaml(file: string, text: string): { source: YamlSource; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const source: YamlSource = { file, text, lineCounter, documents: list as Document.Parsed[] };
  const problems: Problem[] = [];

  for (const document of source.documents) {
    for (const error of document.errors) {
      problems.push({
        code: `yaml.${error.code.toLowerCase()}`,
        severity: 'error',
        message: error.message.split('\n')[0] ?? error.message,
        location: locationAt(source, error.pos[0]),
        snippet: lineText(source, error.pos[0]),
      });
    }
    for (const warning of document.warnings) {
      problems.push({
        code: `yaml.${warning.code.toLowerCase()}`,
        severity: 'warning',
        message: warning.message.split('\n')[0] ?? warning.message,
        location: locationAt(source, warning.pos[0]),
      });
    }
  }
  return { source, problems };
}

export function locationAt(source: YamlSource, offset: number): Location {
  const position = source.lineCounter.linePos(offset);
  return { file: source.file, line: position.line, column: position.col };
}

/** The whole source line that contains `offset`, without its line break. */
export function lineText(source: YamlSource, offset: number): string {
  const start = source.text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const end = source.text.indexOf('\n', offset);
  return source.text
    .slice(start, end < 0 ? undefined : end)
    .replace(/\r$/, '')
    .trim();
}

/**
 * Finds the node at a key path in a document, or the deepest node on the way when the path
 * does not exist (a missing key is reported at its parent).
 */
export function nodeAt(document: Document.Parsed, path: readonly (string | number)[]): Node | null {
  let node: unknown = document.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (!pair) return node as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) return node as Node;
      node = item;
    } else {
      return (node as Node) ?? null;
    }
  }
  return (node as Node) ?? null;
}

/** Location and source line of the node at a path, for a problem about that value. */
export function locate(
  source: YamlSource,
  document: Document.Parsed,
  path: readonly (string | number)[],
): { location: Location; snippet: string } {
  const node = nodeAt(document, path);
  const offset = node?.range?.[0] ?? 0;
  return { location: locationAt(source, offset), snippet: lineText(source, offset) };
}

/** The key node of the pair at `path` (for problems about a key rather than its value). */
export function locateKey(
  source: YamlSource,
  document: Document.Parsed,
  path: readonly (string | number)[],
): { location: Location; snippet: string } {
  const parent = nodeAt(document, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === String(last),
    );
    const keyNode = pair?.key as Node | undefined;
    if (keyNode?.range) {
      return {
        location: locationAt(source, keyNode.range[0]),
        snippet: lineText(source, keyNode.range[0]),
      };
    }
  }
  return locate(source, document, path);
}
