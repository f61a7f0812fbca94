import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { type Document, isScalar } from 'yaml';
import type { Location, Problem } from '../model/problem.js';
import { locate, locateKey, locationAt, parseYaml, type YamlSource } from './yaml-doc.js';
import { documentValue } from './yaml-value.js';

/**
 * YAML documents as plain values that can still name the line of any of their parts. Rule
 * folders hold thousands of files, and building the position-keeping tree of `yaml` took
 * 1.8 s for the 3,780 public SigmaHQ rules where a plain parse with js-yaml took 0.33 s
 * (Node.js 20, one core). So a file that the plain parser reads without trouble, with one
 * document and no anchors, tags or directives, is read that way, and its tree is built only
 * when a problem has to be located. Any other file is read with `yaml` from the start, which
 * reports every syntax error with its position.
 */

/** One YAML document: its value and the positions of its parts. */
export interface YamlDocumentView {
  file: string;
  /** Position of the document among those of its file, empty ones included. */
  index: number;
  value: unknown;
  /** The parser that read the value: the plain one, or the position-keeping tree of `yaml`. */
  readonly parse: 'plain' | 'tree';
  /** Returns the location of the document's first content character. */
  start(): Location;
  /** Location and source line of the value (or, with `onKey`, the key) at a path. */
  locate(path: readonly (string | number)[], onKey?: boolean): LocatedText;
}

export interface LocatedText {
  location: Location;
  snippet: string;
}

export interface YamlDocuments {
  /** The documents with content, in file order. */
  documents: YamlDocumentView[];
  /** All documents, empty ones included, when the file has syntax errors. */
  count: number;
  /** Start locations of the empty documents (`---` with nothing after it). */
  empty: Location[];
  /** Documents left out of `documents` for their syntax errors, which `problems` reports. */
  broken: number;
  problems: Problem[];
}

/**
 * Values that the plain parse gave for texts before, such as a cache kept between runs
 * (rules/parsed-rule-cache.ts). `get` must return a value that nothing else holds.
 */
export interface PlainValueCache {
  get(text: string): { value: unknown } | undefined;
  set(text: string, value: unknown): void;
}

/**
 * Reads the documents of one YAML text, with the fast plain parse when that is safe and
 * `plain` is not false. A text found in `cache` is not parsed again.
 */
export function readYamlDocuments(
  file: string,
  text: string,
  plain = true,
  cache?: PlainValueCache,
): YamlDocuments {
  const value = plain ? cachedPlainValue(text, cache) : undefined;
  if (value !== undefined) {
    const documents = [new PlainDocument(file, text, value.value)];
    return { documents, count: 1, empty: [], broken: 0, problems: [] };
  }

  const { source, problems } = parseYaml(file, text);
  const documents: YamlDocumentView[] = [];
  const empty: Location[] = [];
  let broken = 0;
  source.documents.forEach((document, index) => {
    // A syntax error stays in its document, so the other documents of the file still load.
    if (document.errors.length > 0) {
      broken++;
      return;
    }
    // `---` with nothing after it is parsed as a null scalar or as no contents at all.
    const contents = document.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) {
      empty.push(locationAt(source, document.range[0]));
      return;
    }
    const converted = documentValue(source, document);
    if ('problem' in converted) problems.push(converted.problem);
    else documents.push(new TreeDocument(source, document, index, converted.value));
  });
  return { documents, count: source.documents.length, empty, broken, problems };
}

/** An anchor or a tag, which the plain parse would resolve differently or without limits. */
const NODE_PROPERTY = /(^|[\s[{,])[&!]\S/m;

/** A directive line, which can switch the YAML version and with it the value types. */
const DIRECTIVE = /^%/m;

const DOCUMENT_MARKER = /^(---|\.\.\.)(?=\s|$)/gm;

/** Tags, anchors, directives and more than one document are left to `yaml`. */
function needsTree(text: string): boolean {
  if (NODE_PROPERTY.test(text) || DIRECTIVE.test(text)) return true;
  const markers: string[] = text.match(DOCUMENT_MARKER) ?? [];
  return markers.length > 1 || markers.includes('...');
}

function cachedPlainValue(
  text: string,
  cache: PlainValueCache | undefined,
): { value: unknown } | undefined {
  if (cache === undefined) return plainValue(text);
  const known = cache.get(text);
  if (known !== undefined) return known;
  const parsed = plainValue(text);
  if (parsed !== undefined) cache.set(text, parsed.value);
  return parsed;
}

function plainValue(text: string): { value: unknown } | undefined {
  if (text.charCodeAt(0) === 0xfeff || needsTree(text)) return undefined;

  let warned = false;
  let values: unknown[];
  try {
    values = loadAll(text, null, {
      schema: CORE_SCHEMA,
      onWarning: () => {
        warned = true;
      },
    });
  } catch {
    return undefined;
  }
  if (warned || values.length !== 1) return undefined;
  const value = values[0];
  return value === null || value === undefined ? undefined : { value };
}

class TreeDocument implements YamlDocumentView {
  readonly parse = 'tree';
  readonly file: string;

  constructor(
    private readonly source: YamlSource,
    private readonly document: Document.Parsed,
    readonly index: number,
    readonly value: unknown,
  ) {
    this.file = source.file;
  }

  start(): Location {
    return locationAt(this.source, this.document.contents?.range?.[0] ?? 0);
  }

  locate(path: readonly (string | number)[], onKey = false): LocatedText {
    return onKey
      ? locateKey(this.source, this.document, path)
      : locate(this.source, this.document, path);
  }
}

class PlainDocument implements YamlDocumentView {
  readonly parse = 'plain';
  readonly index = 0;
  private tree: TreeDocument | undefined;

  constructor(
    readonly file: string,
    private readonly text: string,
    readonly value: unknown,
  ) {}

  start(): Location {
    const offset = contentStart(this.text);
    const lineStart = this.text.lastIndexOf('\n', offset - 1) + 1;
    let line = 1;
    for (
      let at = this.text.indexOf('\n');
      at >= 0 && at < offset;
      at = this.text.indexOf('\n', at + 1)
    ) {
      line++;
    }
    return { file: this.file, line, column: offset - lineStart + 1 };
  }

  locate(path: readonly (string | number)[], onKey = false): LocatedText {
    if (!this.tree) {
      const { source } = parseYaml(this.file, this.text);
      const document = source.documents.find((item) => item.contents !== null);
      if (!document) return { location: this.start(), snippet: '' };
      const index = source.documents.indexOf(document);
      this.tree = new TreeDocument(source, document, index, this.value);
    }
    return this.tree.locate(path, onKey);
  }
}

/**
 * Offset of the first character of the document's content: past blank lines, comments,
 * directives and the `---` marker, as `yaml` places the range of a document's top node.
 */
function contentStart(text: string): number {
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    const line = text.slice(offset, end < 0 ? text.length : end);
    const trimmed = line.trimStart();
    const marker = /^---(\s|$)/.test(line) ? line.slice(3).trimStart() : undefined;

    if (trimmed === '' || trimmed.startsWith('#') || line.startsWith('%')) {
      // Not content: the next line may start it.
    } else if (marker !== undefined) {
      if (marker !== '' && !marker.startsWith('#')) return offset + line.length - marker.length;
    } else {
      return offset + line.length - trimmed.length;
    }
    if (end < 0) break;
    offset = end + 1;
  }
  return 0;
}
