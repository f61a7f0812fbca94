/**
 * Frames JSON input into records without parsing it twice: NDJSON (one value per line), a bare
 * array, values written back to back (as EVTX dumpers write them), and wrapper documents whose
 * records sit in one array (`{"Records": [...]}`, Graph `{"value": [...]}`, Google
 * `{"items": [...]}`, Azure Monitor `{"records": [...]}`).
 *
 * The scanner of every layout but NDJSON is in `json-stream.ts`.
 */

/**
 * Keys of a root object whose array contains the records. `Events` is the array of
 * `aws cloudtrail lookup-events` output.
 */
const WRAPPER_KEYS: ReadonlySet<string> = new Set([
  'Records',
  'records',
  'value',
  'items',
  'Events',
]);

/**
 * Keys whose array contains the records only in a root object that has a schema key too, as
 * the Defender XDR advanced hunting APIs return rows (`{"Schema": […], "Results": […]}`). In
 * other objects such an array can be a field of the record itself.
 */
const RESULT_KEYS: ReadonlySet<string> = new Set(['Results', 'results']);
const SCHEMA_KEYS: ReadonlySet<string> = new Set(['Schema', 'schema']);

export function isSchemaKey(key: string): boolean {
  return SCHEMA_KEYS.has(key);
}

/**
 * Tells whether `key` names the record array of a root object. `afterSchema` is true when the
 * object had a schema key before it, which is what the streaming reader knows at that point.
 */
export function isWrapperKey(key: string, afterSchema: boolean): boolean {
  return WRAPPER_KEYS.has(key) || (afterSchema && RESULT_KEYS.has(key));
}

/** Returns the keys of a parsed root object that name its record arrays. */
export function wrapperKeys(object: Record<string, unknown>): string[] {
  const keys = [...WRAPPER_KEYS].filter((key) => object[key] !== undefined);
  if (![...SCHEMA_KEYS].some((key) => object[key] !== undefined)) return keys;
  for (const key of RESULT_KEYS) if (object[key] !== undefined) keys.push(key);
  return keys;
}

/**
 * `kind` of a Google Workspace Reports API `activities.list` page, whose activities are in
 * `items`. The API leaves `items` out of a page without activities.
 */
export const ACTIVITY_LIST_KIND = 'admin#reports#activities';

/**
 * Tells whether a JSON value is an API page that contains no records: an object whose record
 * arrays are all empty (Microsoft Graph writes `{"value": []}` for no sign-ins), or a Google
 * Workspace activities page without `items`. A script that saves every page of a query writes
 * such pages beside pages with records. Pass `emptyArray` false when the value's JSON text
 * contains no empty array: only a Workspace page can then be one, so no record array is looked up.
 */
export function isPageWithoutRecords(value: unknown, emptyArray = true): boolean {
  if (!isPlainObject(value)) return false;
  const page = value as Record<string, unknown>;
  if (page.kind === ACTIVITY_LIST_KIND && page.items === undefined) return true;
  if (!emptyArray) return false;

  let wrapped = false;
  for (const key of wrapperKeys(page)) {
    const inner = page[key];
    if (!Array.isArray(inner) || inner.length > 0) return false;
    wrapped = true;
  }
  return wrapped;
}

export interface JsonRecord {
  /** The parsed value, when the record is valid JSON within the limits. */
  value?: unknown;
  /** JSON text of the record, set with the value. */
  text?: string;
  /**
   * Why the record was rejected: `invalid_json`, `record_too_large`, `too_deep`, or
   * `unexpected_shape` for a JSON scalar between records.
   */
  error?: { code: string; message: string };
  /** The start of the record's text, kept for error messages. */
  snippet?: string;
  /**
   * True for a value at the top level of the input, such as an NDJSON line or an object written
   * beside others, because only such a value may be an API page. Absent for an array element.
   */
  root?: boolean;
  /**
   * False when framing found no empty array in the record's text (see `OpeningBrackets`), so
   * that the record is no API page with empty record arrays. Absent when framing did not look.
   */
  emptyArray?: boolean;
  /**
   * Record number: line number for NDJSON, 1-based element or value ordinal otherwise. Text
   * between records takes the number of the record after it and is found by its line.
   */
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

export const SNIPPET_LENGTH = 120;

/**
 * Decides from the first line whether the text is NDJSON: the first line holds one complete
 * JSON object that is not a wrapper document. A first line that is not one, such as the cut
 * first line of a slice taken from the middle of a log, still makes NDJSON when the whole lines
 * after it are such objects (see `laterLinesAreRecords`). So does a first line of text that
 * starts with `[`, such as `[INFO] export started`, but not one that is JSON or may contain a
 * record, since it may start an array.
 */
export function detectJsonLayout(head: string): JsonLayout | undefined {
  let start = firstNonSpace(head, 0);
  if (start < 0) return undefined;
  const first = head.charCodeAt(start);
  if (first === 0x5b) return isTextBeforeRecords(head, start) ? 'ndjson' : 'stream';
  if (first !== 0x7b) return undefined;

  // A line that is an API page without records does not show the layout, because the pages
  // after it may be wrappers or records.
  while (start >= 0) {
    const newline = head.indexOf('\n', start);
    const line = (newline < 0 ? head.slice(start) : head.slice(start, newline)).trim();
    const value = parseOrUndefined(line);
    if (value === undefined) {
      return newline >= 0 && laterLinesAreRecords(head, newline + 1) ? 'ndjson' : 'stream';
    }
    if (isWrapper(value)) return 'stream';
    if (!isPageWithoutRecords(value)) return 'ndjson';
    start = newline < 0 ? -1 : firstNonSpace(head, newline + 1);
  }
  return 'stream';
}

/**
 * Tells whether the line at `start`, which starts with `[`, is text before NDJSON records: two
 * whole lines after it are each one object. No array can contain both, since no comma comes
 * between them.
 */
function isTextBeforeRecords(head: string, start: number): boolean {
  const newline = head.indexOf('\n', start);
  if (newline < 0) return false;
  const line = head.slice(start, newline).trim();
  if (line.includes('{') || parseOrUndefined(line) !== undefined) return false;

  let at = newline + 1;
  for (let found = 0; found < 2; ) {
    const end = head.indexOf('\n', at);
    if (end < 0) return false;
    const next = head.slice(at, end).trim();
    at = end + 1;
    if (next === '') continue;
    const value = parseOrUndefined(next);
    if (!isPlainObject(value) || isWrapper(value)) return false;
    found++;
  }
  return true;
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
  for (const key of wrapperKeys(value as Record<string, unknown>)) {
    const inner = (value as Record<string, unknown>)[key];
    if (Array.isArray(inner) && (inner.length === 0 || isPlainObject(inner[0]))) return true;
  }
  return false;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function firstNonSpace(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09 && code !== 0xfeff) {
      return index;
    }
  }
  return -1;
}

export function parseRecord(text: string, record: number, line: number): JsonRecord {
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
      const brackets = countOpeningBrackets(text, options.maxDepth + 1);
      if (brackets.count > options.maxDepth && nestsDeeperThan(text, options.maxDepth)) {
        out.push(tooDeepRecord(line.line, line.line, text, options));
        continue;
      }
      const record = parseRecord(text, line.line, line.line);
      record.root = true;
      if (!brackets.emptyArray) record.emptyArray = false;
      out.push(record);
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
  if (countOpeningBrackets(text, maxDepth + 1).count <= maxDepth) return false;
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

/** The opening brackets of a JSON text, found by searching the text without parsing it. */
export interface OpeningBrackets {
  /** `{` and `[` anywhere in the text, counted up to a stop: an upper bound of its depth. */
  count: number;
  /**
   * False when no `[` is followed by `]` with only JSON white space between them, so that the
   * text contains no empty array. True when one is, even inside a string, or when the count
   * stopped before the last `[`.
   */
  emptyArray: boolean;
}

/** Counts `{` and `[` anywhere in the text up to `stop`, and looks for an empty array. */
export function countOpeningBrackets(text: string, stop: number): OpeningBrackets {
  let count = 0;
  let emptyArray = false;
  let at = text.indexOf('[');
  for (; at >= 0 && count < stop; at = text.indexOf('[', at + 1)) {
    count++;
    if (!emptyArray) emptyArray = isEmptyArrayAt(text, at);
  }
  if (at >= 0) emptyArray = true;

  for (at = text.indexOf('{'); at >= 0 && count < stop; at = text.indexOf('{', at + 1)) count++;
  return { count, emptyArray };
}

/** Tells whether the `[` at `open` is followed by `]`, with only JSON white space between. */
function isEmptyArrayAt(text: string, open: number): boolean {
  let at = open + 1;
  while (isJsonSpace(text.charCodeAt(at))) at++;
  return text.charCodeAt(at) === 0x5d;
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
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

export function tooLarge(
  record: number,
  line: number,
  text: string,
  options: JsonFramingOptions,
): JsonRecord {
  const message = `record is longer than the limit of ${options.maxRecordLength} characters`;
  return overLimit('record_too_large', message, record, line, text);
}

export function tooDeepRecord(
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
