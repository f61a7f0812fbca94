import {
  type LocatedText,
  type PlainValueCache,
  readYamlDocuments,
  type YamlDocuments,
  type YamlDocumentView,
} from '../context/yaml-view.js';
import type { Location } from '../model/problem.js';

/**
 * Reads the documents of a rule file. The plain parser of `readYamlDocuments` takes only files
 * of one document, so a file of several, such as a chain with its step rules, is read one
 * document at a time. Reading the 7 chain files of the shipped pack (72 KB) with the
 * position-keeping parser of `yaml` took 0.25 s of a scan's start (Node 20, one core).
 *
 * Some files could read differently when split, and they go to `readYamlDocuments` whole. These
 * are files with a `...` marker or a directive, a marker line with content after it, an empty
 * document, or a document that the plain parser does not take.
 */
export function readRuleDocuments(
  file: string,
  text: string,
  cache?: PlainValueCache,
): YamlDocuments {
  const sections = documentSections(text);
  if (!sections) return readYamlDocuments(file, text, true, cache);

  const documents: YamlDocumentView[] = [];
  for (const [index, section] of sections.entries()) {
    const read = readYamlDocuments(file, section.text, true, cache);
    const view = read.documents[0];
    const plain = read.documents.length === 1 && view?.parse === 'plain';
    if (!plain || read.problems.length > 0 || read.empty.length > 0) {
      return readYamlDocuments(file, text);
    }
    documents.push(new SectionDocument(view, index, section.line));
  }
  return { documents, count: documents.length, empty: [], broken: 0, problems: [] };
}

/** The text of one document and the number of lines before it in the file. */
interface Section {
  text: string;
  line: number;
}

/** A line that starts a document, or ends one (`...`), as YAML 1.2 marks them. */
const MARKER = /^(---|\.\.\.)(?=\s|$)/gm;

/** A `---` line with nothing after it but spaces and a comment. */
const BARE_MARKER = /^---[ \t]*(#.*)?\r?$/;

/**
 * Splits a text of two or more documents at its `---` lines. Text before the first marker is a
 * document of its own only when it has content, as `yaml` counts documents. Returns undefined
 * for one document, and for texts that the split might read differently from `yaml`: with a
 * directive or a byte order mark.
 */
function documentSections(text: string): Section[] | undefined {
  const starts: number[] = [];
  for (const match of text.matchAll(MARKER)) {
    const at = match.index as number;
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    if (!BARE_MARKER.test(line)) return undefined;
    starts.push(at);
  }
  if (starts.length === 0 || /^%/m.test(text) || text.charCodeAt(0) === 0xfeff) return undefined;
  if (hasContent(text.slice(0, starts[0]))) starts.unshift(0);
  if (starts.length < 2) return undefined;

  const sections: Section[] = [];
  let line = 0;
  let counted = 0;
  for (const [index, start] of starts.entries()) {
    line += lineBreaks(text, counted, start);
    counted = start;
    sections.push({ text: text.slice(start, starts[index + 1] ?? text.length), line });
  }
  return sections;
}

/** True when some line of the text is neither blank nor a comment. */
function hasContent(text: string): boolean {
  return text.split('\n').some((line) => {
    const trimmed = line.trim();
    return trimmed !== '' && !trimmed.startsWith('#');
  });
}

function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at >= 0 && at < to; at = text.indexOf('\n', at + 1)) {
    count++;
  }
  return count;
}

/** A document read from its section, with its index and locations in the whole file. */
class SectionDocument implements YamlDocumentView {
  readonly parse = 'plain';
  readonly file: string;
  readonly value: unknown;

  constructor(
    private readonly view: YamlDocumentView,
    readonly index: number,
    private readonly linesBefore: number,
  ) {
    this.file = view.file;
    this.value = view.value;
  }

  start(): Location {
    return this.shift(this.view.start());
  }

  locate(path: readonly (string | number)[], onKey = false): LocatedText {
    const found = this.view.locate(path, onKey);
    return { location: this.shift(found.location), snippet: found.snippet };
  }

  private shift(location: Location): Location {
    if (location.line === undefined) return location;
    return { ...location, line: location.line + this.linesBefore };
  }
}
