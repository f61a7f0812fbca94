/**
 * Frames JSON input into records without parsing it twice: NDJSON (one value per line), a bare
 * array, values written back to back (as EVTX dumpers write them), and wrapper documents whose
 * records sit in one array (`{"Records": [...]}`, Graph `{"value": [...]}`, Google
 * `{"items": [...]}`, Azure Monitor `{"records": [...]}`).
 *
 * Written by hand because the streaming JSON parsers on npm are 4 to 12 times slower than
 * `JSON.parse` on records of this size: this scanner only finds where each record starts and
 * ends (tracking strings, escapes and nesting) and hands the slice to `JSON.parse`, so memory
 * holds one record at a time however large the document is.
 */

/**
 * Keys of a root object whose array contains the records. `Events` is the array of
 * `aws cloudtrail lookup-events` output.
 */
export const WRAPPER_KEYS: ReadonlySet<string> = new Set([
  'Records',
  'records',
  'value',
  'items',
  'Events',
]);

export interface JsonRecord {
  /** The parsed value, when the record is valid JSON within the limits. */
  value?: unknown;
  /** JSON text of the record, set with the value. */
  text?: string;
  /** Why the record was rejected: `invalid_json`, `record_too_large` or `too_deep`. */
  error?: { code: string; message: string };
  /** The start of the record's text, kept for error messages. */
  snippet?: string;
  /** Record number: line number for NDJSON, 1-based element or value ordinal otherwise. */
  record: number;
  line: number;
}

export interface JsonFramingOptions {
  /** Longest record kept, in UTF-16 code units. */
  maxRecordLength: number;
  /** Deepest nesting of objects and arrays accepted in a record. */
  maxDepth: number;
}

export type JsonLayout = 'ndjson' | 'stream';

const SNIPPET_LENGTH = 120;

/** Maximum length of a root-level string read as an object key. Wrapper keys are short. */
const MAX_KEY_LENGTH = 256;

/**
 * Decides from the first line whether the text is NDJSON: the first line holds one complete
 * JSON object that is not a wrapper document. A first line that is not one, such as the cut
 * first line of a slice taken from the middle of a log, still makes NDJSON when the whole lines
 * after it are such objects (see `laterLinesAreRecords`).
 */
export function detectJsonLayout(head: string): JsonLayout | undefined {
  const start = firstNonSpace(head, 0);
  if (start < 0) return undefined;
  const first = head.charCodeAt(start);
  if (first === 0x5b) return 'stream';
  if (first !== 0x7b) return undefined;

  const newline = head.indexOf('\n', start);
  const line = (newline < 0 ? head.slice(start) : head.slice(start, newline)).trim();
  const value = parseOrUndefined(line);
  if (value !== undefined) return isWrapper(value) ? 'stream' : 'ndjson';
  return newline >= 0 && laterLinesAreRecords(head, newline + 1) ? 'ndjson' : 'stream';
}

/** Whole lines after a damaged first one that are checked before NDJSON is assumed. */
const CHECKED_LINES = 3;

/** Further damaged lines that may come before the checked ones. */
export const MORE_DAMAGED_LINES = 2;

/**
 * Tells whether the text from `from` contains at least one whole line that is one JSON object,
 * and the whole lines after it (up to `CHECKED_LINES` in all, blank ones skipped) are such
 * objects too. Up to `MORE_DAMAGED_LINES` lines that are not may come first. No line of
 * pretty-printed JSON is such an object, and no two lines in a row can be: its lines contain
 * keys, brackets alone, or elements followed by a comma. A last line without its newline may
 * be cut by the head, so it is not checked.
 */
export function laterLinesAreRecords(text: string, from: number): boolean {
  let checked = 0;
  let damaged = 0;
  let at = from;
  while (checked < CHECKED_LINES) {
    const newline = text.indexOf('\n', at);
    if (newline < 0) break;
    const line = text.slice(at, newline).trim();
    at = newline + 1;
    if (line === '') continue;
    const value = parseOrUndefined(line);
    if (isPlainObject(value) && !isWrapper(value)) {
      checked++;
    } else if (checked > 0 || ++damaged > MORE_DAMAGED_LINES) {
      return false;
    }
  }
  return checked > Math.min(damaged, 1);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isWrapper(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const key of WRAPPER_KEYS) {
    const inner = (value as Record<string, unknown>)[key];
    if (Array.isArray(inner) && (inner.length === 0 || isPlainObject(inner[0]))) return true;
  }
  return false;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function firstNonSpace(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09 && code !== 0xfeff) {
      return index;
    }
  }
  return -1;
}

function parseRecord(text: string, record: number, line: number): JsonRecord {
  try {
    return { value: JSON.parse(text), text, record, line };
  } catch (error) {
    return {
      error: { code: 'invalid_json', message: (error as Error).message },
      snippet: text.slice(0, SNIPPET_LENGTH),
      record,
      line,
    };
  }
}

/** Reads NDJSON: every non-blank line is one record, numbered by its line. */
export async function* readNdjson(
  lines: AsyncIterable<{ text: string; line: number; truncated?: boolean }[]>,
  options: JsonFramingOptions,
): AsyncIterable<JsonRecord[]> {
  for await (const batch of lines) {
    const out: JsonRecord[] = [];
    for (const line of batch) {
      const text = line.text;
      if (line.truncated || text.length > options.maxRecordLength) {
        out.push(tooLarge(line.line, line.line, text, options));
        continue;
      }
      if (firstNonSpace(text, 0) < 0) continue;
      if (nestsDeeperThan(text, options.maxDepth)) {
        out.push(tooDeepRecord(line.line, line.line, text, options));
        continue;
      }
      out.push(parseRecord(text, line.line, line.line));
    }
    if (out.length > 0) yield out;
  }
}

/**
 * Tells whether JSON text nests objects and arrays deeper than `maxDepth` levels (`{}` is one
 * level). It counts brackets outside strings in one pass without recursion, so that framing
 * can reject text nested hundreds of thousands of levels deep before `JSON.parse` sees it.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  if (countOpenBrackets(text, maxDepth + 1) <= maxDepth) return false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      index = stringEnd(text, index);
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Counts `{` and `[` anywhere in the text, stopping at `stop`: an upper bound of its depth. */
function countOpenBrackets(text: string, stop: number): number {
  let count = 0;
  for (const bracket of ['{', '[']) {
    let at = text.indexOf(bracket);
    while (at >= 0 && count < stop) {
      count++;
      at = text.indexOf(bracket, at + 1);
    }
  }
  return count;
}

/** Index of the quote that closes the string opened at `open`, or the text's end. */
function stringEnd(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length;
}

function tooLarge(
  record: number,
  line: number,
  text: string,
  options: JsonFramingOptions,
): JsonRecord {
  const message = `record is longer than the limit of ${options.maxRecordLength} characters`;
  return overLimit('record_too_large', message, record, line, text);
}

function tooDeepRecord(
  record: number,
  line: number,
  text: string,
  options: JsonFramingOptions,
): JsonRecord {
  const message = `record nests deeper than the limit of ${options.maxDepth} levels`;
  return overLimit('too_deep', message, record, line, text);
}

/** Builds the rejection of a record over a limit, with the start of its text as the snippet. */
function overLimit(
  code: string,
  message: string,
  record: number,
  line: number,
  text: string,
): JsonRecord {
  return { error: { code, message }, snippet: text.slice(0, SNIPPET_LENGTH), record, line };
}

/**
 * A record, or a root object that may be one, as the damage checks see it. Without the checks,
 * damaged JSON would swallow every record after it: a cut record's brackets never balance, and
 * an unclosed string reads the rest of the file as text.
 *
 * A unit is damaged when a line break falls inside one of its strings, since JSON strings
 * contain none: framing goes on at the next line that starts with `{` in the unit's column. It
 * is also damaged where JSON allows no `{` (after a value, a key or an object's comma), or at a
 * closing bracket of the wrong kind: a new record starts at that `{`, and the bracket is
 * dropped. Valid JSON never meets either check.
 */
interface Unit {
  /** Column of its opening bracket, counted from 0. */
  column: number;
}

enum Mode {
  /** Between top-level values. */
  Top,
  /** Inside a top-level array: its elements are records. */
  Array,
  /** Inside a root object that may still turn out to be a wrapper. */
  Root,
  /** Inside the record array of a wrapper object. */
  Wrapper,
  /** Inside a wrapper object after its record array closed: the rest is skipped. */
  WrapperTail,
}

/**
 * Reads JSON that is not NDJSON: a bare array, a wrapper object, or values back to back.
 * Records are numbered by element within the record arrays, or by value when there is none.
 */
export async function* readJsonStream(
  texts: AsyncIterable<string>,
  options: JsonFramingOptions,
): AsyncIterable<JsonRecord[]> {
  const scanner = new JsonStreamScanner(options);
  for await (const text of texts) {
    const out = scanner.push(text);
    if (out.length > 0) yield out;
  }
  const rest = scanner.finish();
  if (rest.length > 0) yield rest;
}

/** The state machine behind `readJsonStream`; exported for tests. */
export class JsonStreamScanner {
  private buffer = '';
  /** Index in `buffer` of the next character to scan. */
  private index = 0;
  private line = 1;
  private mode: Mode = Mode.Top;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Start of the current record in `buffer`, or -1 between records. */
  private recordStart = -1;
  private recordLine = 0;
  private recordDepth = 0;
  private recordOversize = false;
  private recordTooDeep = false;
  private recordScalar = false;
  /** Where the last string at root depth started and ended, to read object keys. */
  private keyStart = -1;
  private lastKey = '';
  private ordinal = 0;
  /** Whether the current line has a character other than a space before the one scanned. */
  private lineHasContent = false;
  /** The opening bracket of the container at each depth, at the index of that depth. */
  private readonly kinds: number[] = [];
  /** The last character outside strings, or a quote for a string that closed; 0 after a reset. */
  private previous = 0;
  /** Characters dropped from the front of `buffer` so far, to measure columns across chunks. */
  private dropped = 0;
  /** Position, counted as `dropped` counts, where the current line starts. */
  private lineStart = 0;
  /** The open record, or root object, that a damage check looks at (see `Unit`). */
  private unit: Unit | undefined;
  /** The column where the record after a damaged one must start, while it is looked for. */
  private resyncColumn = -1;
  /**
   * True when the first record came from an array (a bare array or a wrapper's record array),
   * false when it stood at the top level. Undefined until a record was framed.
   */
  firstRecordInArray: boolean | undefined;

  constructor(private readonly options: JsonFramingOptions) {}

  push(text: string): JsonRecord[] {
    this.buffer += text;
    const out: JsonRecord[] = [];
    this.scan(out);
    this.compact();
    return out;
  }

  finish(): JsonRecord[] {
    const out: JsonRecord[] = [];
    if (this.resyncColumn >= 0) {
      // The damaged record was reported; nothing after it started a record.
    } else if (this.recordScalar) {
      this.endRecord(this.buffer.length - 1, out);
    } else if (this.recordStart >= 0) {
      const text = this.buffer.slice(this.recordStart);
      this.ordinal++;
      out.push({
        error: { code: 'invalid_json', message: 'input ends inside a JSON value' },
        snippet: text.slice(0, SNIPPET_LENGTH),
        record: this.ordinal,
        line: this.recordLine,
      });
    } else if (this.mode !== Mode.Top) {
      this.ordinal++;
      out.push({
        error: { code: 'invalid_json', message: 'input ends before the JSON document closes' },
        record: this.ordinal,
        line: this.line,
      });
    }
    this.buffer = '';
    this.index = 0;
    return out;
  }

  private scan(out: JsonRecord[]): void {
    const buffer = this.buffer;
    for (let index = this.index; index < buffer.length; index++) {
      const code = buffer.charCodeAt(index);
      if (code === 0x0a) {
        this.line++;
        this.endLine(index, out);
        continue;
      }
      if (this.resyncColumn >= 0) {
        if (!this.resumesAt(code, index)) continue;
        this.resyncColumn = -1;
      }

      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === 0x5c) this.escaped = true;
        else if (code === 0x22) {
          this.inString = false;
          this.previous = 0x22;
          if (this.keyStart >= 0) {
            this.lastKey = buffer.slice(this.keyStart, index);
            this.keyStart = -1;
          }
          if (this.recordStart >= 0 && this.depth === this.recordDepth) this.endRecord(index, out);
        }
        continue;
      }

      if (code === 0x20 || code === 0x0d || code === 0x09) {
        if (this.recordScalar) this.endRecord(index - 1, out);
        continue;
      }
      if (this.recordScalar && (code === 0x2c || code === 0x5d || code === 0x7d)) {
        this.endRecord(index - 1, out);
      }
      this.step(code, index, out);
    }
    this.index = buffer.length;
  }

  /**
   * Handles the line break at `index`: it ends a scalar record, and rejects a unit whose string
   * it falls in.
   */
  private endLine(index: number, out: JsonRecord[]): void {
    this.lineHasContent = false;
    this.lineStart = this.dropped + index + 1;
    if (this.resyncColumn >= 0) return;
    if (this.recordScalar) {
      this.endRecord(index - 1, out);
      return;
    }
    const unit = this.unit;
    if (unit !== undefined && this.inString) {
      this.rejectUnit('a line break inside a string: the record is cut or damaged', out);
      this.resyncColumn = unit.column;
    }
  }

  /**
   * Tells whether the character at `index`, met while looking for the record after a damaged
   * one, starts it: a `{` that begins its line in the damaged record's column.
   */
  private resumesAt(code: number, index: number): boolean {
    if (code === 0x20 || code === 0x0d || code === 0x09) return false;
    const first = !this.lineHasContent;
    this.lineHasContent = true;
    return first && code === 0x7b && this.dropped + index - this.lineStart === this.resyncColumn;
  }

  /**
   * Rejects the open unit as damaged and puts the scanner back at the depth where it started,
   * outside any string, so that the next record is framed from its own first bracket.
   */
  private rejectUnit(message: string, out: JsonRecord[]): void {
    const inRecord = this.recordStart >= 0;
    const start = inRecord ? this.recordStart : this.rootStart;
    const oversize = inRecord ? this.recordOversize : this.rootOversize;
    this.ordinal++;
    out.push({
      error: { code: 'invalid_json', message },
      ...(oversize ? {} : { snippet: this.buffer.slice(start, start + SNIPPET_LENGTH) }),
      record: this.ordinal,
      line: inRecord ? this.recordLine : this.rootLine,
    });
    this.inString = false;
    this.escaped = false;
    this.keyStart = -1;
    this.recordScalar = false;
    this.previous = 0;
    // A record sits in an array (bare or a wrapper's), and framing resumes at its depth.
    if (inRecord) {
      this.depth = this.recordDepth;
    } else {
      this.depth = 0;
      this.mode = Mode.Top;
      this.rootStart = -1;
    }
    this.recordStart = -1;
    this.unit = undefined;
  }

  /** Opens a unit for the bracket at `index`, a record's or a root object's. */
  private openUnit(index: number): void {
    this.unit = { column: this.dropped + index - this.lineStart };
  }

  /**
   * Tells whether JSON allows a value after `previous`: after a colon, at the start of an array,
   * or after a comma in an array. Elsewhere a `{` means that the open record was cut.
   */
  private valueAllowed(previous: number): boolean {
    if (previous === 0x3a || previous === 0x5b) return true;
    return previous === 0x2c && this.kinds[this.depth] === 0x5b;
  }

  /**
   * Reopens the record array of a wrapper after a stray `]` closed it early, at a `{` where the
   * wrapper object allows none. The stray bracket is rejected, and the records after it are read.
   */
  private reopenWrapper(out: JsonRecord[]): void {
    this.ordinal++;
    out.push({
      error: { code: 'invalid_json', message: 'unexpected "]" before the end of the record array' },
      record: this.ordinal,
      line: this.line,
    });
    this.mode = Mode.Wrapper;
    this.depth = 2;
    this.kinds[2] = 0x5b;
  }

  /** Tells whether a closing bracket matches the innermost open one. */
  private closesContainer(code: number): boolean {
    if (this.depth === 0) return false;
    const open = this.kinds[this.depth];
    return code === 0x7d ? open === 0x7b : open === 0x5b;
  }

  /** Handles one character outside strings. */
  private step(code: number, index: number, out: JsonRecord[]): void {
    const opens = code === 0x7b || code === 0x5b;
    const closes = code === 0x7d || code === 0x5d;
    this.lineHasContent = true;

    const previous = this.previous;
    this.previous = code;
    if (this.unit !== undefined && code === 0x7b && !this.valueAllowed(previous)) {
      this.rejectUnit('a record starts before this one closes: it is cut or damaged', out);
    }
    if (this.mode === Mode.WrapperTail && this.depth === 1 && code === 0x7b) {
      if (!this.valueAllowed(previous)) this.reopenWrapper(out);
    }

    if (closes && !this.closesContainer(code)) {
      if (this.unit !== undefined) {
        this.rejectUnit(`a "${String.fromCharCode(code)}" that closes no open bracket`, out);
        return;
      }
      this.ordinal++;
      const bracket = String.fromCharCode(code);
      out.push({
        error: { code: 'invalid_json', message: `unmatched "${bracket}" between records` },
        snippet: bracket,
        record: this.ordinal,
        line: this.line,
      });
      return;
    }

    if (this.recordStart < 0 && this.atRecordBoundary() && code !== 0x2c && !closes) {
      this.startRecord(index);
    }

    if (code === 0x22) {
      this.inString = true;
      if (this.mode === Mode.Root && this.depth === 1 && this.recordStart < 0) {
        this.keyStart = index + 1;
      }
      return;
    }

    if (opens) {
      this.depth++;
      this.kinds[this.depth] = code;
      if (this.recordStart >= 0) {
        if (this.depth - this.recordDepth > this.options.maxDepth) this.recordTooDeep = true;
      } else if (this.mode === Mode.Root && this.depth > this.options.maxDepth) {
        // A root object is a record itself unless it turns out to be a wrapper.
        this.rootTooDeep = true;
      }
      this.afterOpen(code, index);
      return;
    }

    if (closes) {
      this.depth--;
      if (this.recordStart >= 0 && this.depth === this.recordDepth) {
        this.endRecord(index, out);
      } else {
        this.afterClose(index, out);
      }
      return;
    }

    // A scalar record (number, true, false, null) ends at the next delimiter.
    if (this.recordStart === index && this.depth === this.recordDepth) this.recordScalar = true;
  }

  private atRecordBoundary(): boolean {
    if (this.mode === Mode.Top) return this.depth === 0;
    if (this.mode === Mode.Array) return this.depth === 1;
    if (this.mode === Mode.Wrapper) return this.depth === 2;
    return false;
  }

  private startRecord(index: number): void {
    if (this.mode !== Mode.Top) this.openUnit(index);
    this.recordStart = index;
    this.recordLine = this.line;
    this.recordDepth = this.depth;
    this.recordOversize = false;
    this.recordTooDeep = false;
  }

  private afterOpen(code: number, index: number): void {
    if (this.mode === Mode.Top && this.depth === 1) {
      // A top-level array or object: not a record yet, until we know its shape.
      this.recordStart = -1;
      this.mode = code === 0x5b ? Mode.Array : Mode.Root;
      if (code === 0x7b) this.openUnit(index);
      else this.unit = undefined;
      this.rootStart = index;
      this.rootLine = this.line;
      this.rootOversize = false;
      this.rootTooDeep = false;
      this.lastKey = '';
      return;
    }
    if (this.mode === Mode.Root && this.depth === 2 && code === 0x5b) {
      if (WRAPPER_KEYS.has(this.lastKey) && this.nextSignificant(index + 1) !== 0x5d) {
        const next = this.nextSignificant(index + 1);
        if (next === 0x7b || next === -1) this.mode = Mode.Wrapper;
      }
    }
  }

  private rootStart = -1;
  private rootLine = 0;
  private rootOversize = false;
  private rootTooDeep = false;

  private afterClose(index: number, out: JsonRecord[]): void {
    if (this.mode === Mode.Wrapper && this.depth === 1) {
      this.mode = Mode.WrapperTail;
      return;
    }
    if (this.depth !== 0) return;
    this.unit = undefined;
    if (this.mode === Mode.Root) {
      // A root object without a record array is itself one record.
      this.ordinal++;
      this.firstRecordInArray ??= false;
      const text = this.rootOversize ? '' : this.buffer.slice(this.rootStart, index + 1);
      out.push(
        this.makeRecord(text, this.ordinal, this.rootLine, this.rootOversize, this.rootTooDeep),
      );
      this.rootOversize = false;
    }
    this.mode = Mode.Top;
    this.rootStart = -1;
  }

  private endRecord(index: number, out: JsonRecord[]): void {
    this.ordinal++;
    this.firstRecordInArray ??= this.mode === Mode.Array || this.mode === Mode.Wrapper;
    const text = this.recordOversize ? '' : this.buffer.slice(this.recordStart, index + 1);
    out.push(
      this.makeRecord(text, this.ordinal, this.recordLine, this.recordOversize, this.recordTooDeep),
    );
    this.recordStart = -1;
    this.recordScalar = false;
    this.unit = undefined;
  }

  private makeRecord(
    text: string,
    record: number,
    line: number,
    oversize: boolean,
    tooDeep: boolean,
  ): JsonRecord {
    if (oversize || text.length > this.options.maxRecordLength) {
      return tooLarge(record, line, text, this.options);
    }
    if (tooDeep) return tooDeepRecord(record, line, text, this.options);
    return parseRecord(text, record, line);
  }

  /** The next non-space character code after `from`, or -1 when the buffer ends first. */
  private nextSignificant(from: number): number {
    const at = firstNonSpace(this.buffer, from);
    return at < 0 ? -1 : this.buffer.charCodeAt(at);
  }

  /** Drops scanned text that no record still needs, and marks records over the size limit. */
  private compact(): void {
    let keep = this.buffer.length;
    if (this.recordStart >= 0) keep = this.recordStart;
    if (this.mode === Mode.Root && this.rootStart >= 0) keep = Math.min(keep, this.rootStart);

    if (
      this.recordStart >= 0 &&
      this.buffer.length - this.recordStart > this.options.maxRecordLength
    ) {
      // Keep scanning the oversized record to find its end, but stop holding its text.
      this.recordOversize = true;
      keep = this.buffer.length;
      this.recordStart = 0;
      this.dropped += this.buffer.length;
      this.buffer = '';
      this.index = 0;
      return;
    }
    if (
      this.mode === Mode.Root &&
      this.rootStart >= 0 &&
      this.buffer.length - this.rootStart > this.options.maxRecordLength
    ) {
      this.rootOversize = true;
      this.rootStart = -1;
      keep = this.recordStart >= 0 ? this.recordStart : this.buffer.length;
    }
    if (this.keyStart >= 0 && this.buffer.length - this.keyStart > MAX_KEY_LENGTH) {
      // A string this long is a value, not a wrapper key, and keeping it would copy it per chunk.
      this.keyStart = -1;
      this.lastKey = '';
    }
    if (this.keyStart >= 0) keep = Math.min(keep, this.keyStart);
    if (keep === 0) return;

    this.buffer = this.buffer.slice(keep);
    this.dropped += keep;
    this.index -= keep;
    if (this.recordStart >= 0) this.recordStart -= keep;
    if (this.rootStart >= 0) this.rootStart -= keep;
    if (this.keyStart >= 0) this.keyStart -= keep;
  }
}
