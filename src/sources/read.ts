import type { InputFile } from '../input/input-file.js';
import {
  ACTIVITY_LIST_KIND,
  isPageWithoutRecords,
  type JsonLayout,
  SNIPPET_LENGTH,
  wrapperKeys,
} from '../input/json-records.js';
import { HEAD_BYTES, type OpenedInput, openInput } from '../input/opened.js';
import { decodeChunks, sniffEncoding, type TextEncoding } from '../input/text.js';
import { InputError } from '../model/errors.js';
import type { Origin } from '../model/event.js';
import type { Logger } from '../model/logger.js';
import {
  buildSample,
  chooseFormat,
  describeUnknown,
  firstRecordPastHead,
  samplePastHead,
} from './detect.js';
import type {
  FramedRecord,
  ParseContext,
  ParseOutput,
  Rejection,
  SourceFormat,
  SourceSettings,
} from './format.js';
import { type FramedItem, frame } from './frame.js';
import { isEmptyActivityPage } from './google/workspace-reports.js';
import { isValidTime } from './record-time.js';
import type { FormatRegistry } from './registry.js';

/** An input whose format was chosen (or could not be), ready to be read. */
export interface PreparedInput {
  file: InputFile;
  format: SourceFormat | undefined;
  /** Why no format was chosen. */
  reason?: string;
  /** The format's `skip` note, for a recognised input that is not read. */
  skipped?: string;
  encoding: TextEncoding;
  jsonLayout?: JsonLayout;
  /** Earliest event time among the first records, for ordering inputs; undefined if unknown. */
  firstTime?: number;
  /** The input kept open, for inputs that cannot be opened twice (standard input). */
  opened?: OpenedInput;
  /**
   * Records rejected by the limits (too large, too deep) in an input without a format, because
   * none of its records is within the limits. They are all of its records.
   */
  rejected?: FramedItem[];
}

export interface ReadOptions {
  /** Format name that overrides detection. */
  format?: string;
  settings: SourceSettings;
  logger: Logger;
}

/**
 * Bytes of an input that cannot be opened twice (standard input) that detection keeps while it
 * reads past oversized first records, so that they can be read again.
 */
const MIN_LOOK_AHEAD_BYTES = 64 * 1024 * 1024;

/**
 * Opens an input's head, chooses its format, and finds its first event time. When the head
 * contains no whole first record (it is longer than the head, or than the record limit), the
 * format is chosen from the first record within the limits further on.
 */
export async function prepareInput(
  file: InputFile,
  registry: FormatRegistry,
  options: ReadOptions,
): Promise<PreparedInput> {
  const opened = await openInput(file, HEAD_BYTES);
  const encoding = sniffEncoding(opened.head);
  const sample = buildSample(file, opened.head, encoding);
  const prepared: PreparedInput = { file, format: undefined, encoding };
  if (sample.jsonLayout) prepared.jsonLayout = sample.jsonLayout;
  const forced = options.format === undefined ? undefined : registry.get(options.format);
  let detect = sample.detect;
  /** The note of an input of only API pages without records, found past the head. */
  let emptyPages: string | undefined;

  // A forced format needs no sample, only the JSON layout, which the head may not show either.
  const lookPast = forced === undefined || forced.framing === 'json';
  if (lookPast && firstRecordPastHead(opened, detect)) {
    const limits = options.settings.limits;
    const keep = file.reopenable
      ? 0
      : Math.max(MIN_LOOK_AHEAD_BYTES, 4 * limits.maxRecordLength + HEAD_BYTES);
    const past = await samplePastHead(opened, detect, encoding, limits, keep);
    if (past.detect) detect = past.detect;
    if (past.jsonLayout) prepared.jsonLayout = past.jsonLayout;
    if (!past.detect && past.rejected.length > 0 && past.rejected.every(isOverLimit)) {
      prepared.rejected = past.rejected;
    }
    // A script that polls an API can append more pages without records than the head contains.
    if (!past.detect && past.rejected.length === 0 && past.emptyPages > 0) {
      const count = past.emptyPages === 1 ? 'an API page' : `${past.emptyPages} API pages`;
      emptyPages = `${count} without records: 0 records`;
    }
    if (!file.reopenable && !opened.replayable && (past.detect || forced)) {
      opened.close();
      throw new InputError(
        'input.look_ahead',
        `its first records are longer than the ${keep} bytes kept to detect the format; ` +
          'write the input to a file to read it',
      );
    }
  }

  if (forced?.skip !== undefined && forced.detect(detect) === 0) {
    // Skipping an input of another format on the word of --format would lose it silently.
    opened.close();
    const kind = forced.skip.split(':')[0];
    throw new InputError(
      'input.not_forced_format',
      `--format ${forced.name}: the input is not a ${kind}, the only kind that format skips, ` +
        'so it is not read. Leave --format out or give the format of its records',
    );
  }
  if (forced) {
    prepared.format = forced;
  } else {
    prepared.format = chooseFormat(registry, detect);
    const whole = opened.head.length < HEAD_BYTES;
    if (!prepared.format && !prepared.rejected) {
      const empty = emptyPages ?? emptyInputNote(opened.head, sample.detect.text, whole);
      if (empty !== undefined) {
        prepared.skipped = empty;
      } else {
        prepared.reason = describeUnknown(opened.head, detect, whole);
      }
    }
  }

  if (prepared.format?.skip !== undefined) {
    prepared.skipped = prepared.format.skip;
  } else if (prepared.format) {
    prepared.firstTime = await peekFirstTime(prepared, opened.head, options);
    if (prepared.format.framing === 'json' && !prepared.jsonLayout) prepared.jsonLayout = 'stream';
  }

  if (file.reopenable) opened.close();
  else prepared.opened = opened;
  return prepared;
}

function isOverLimit(item: FramedItem): boolean {
  return item.error?.code === 'record_too_large' || item.error?.code === 'too_deep';
}

/**
 * Finds the earliest event time in the input's head. An input longer than its head whose records
 * run newest first (as Microsoft Graph and other APIs return them) keeps its earliest events at
 * the end, so its first time is unknown and the merge opens it at once.
 */
async function peekFirstTime(
  prepared: PreparedInput,
  head: Buffer,
  options: ReadOptions,
): Promise<number | undefined> {
  let earliest: number | undefined;
  let first: number | undefined;
  let last: number | undefined;
  const headOnly = (async function* () {
    yield head;
  })();
  try {
    for await (const output of parseChunks(prepared, headOnly, options)) {
      for (const event of output.events) {
        if (earliest === undefined || event.time < earliest) earliest = event.time;
        first ??= event.time;
        last = event.time;
      }
    }
  } catch {
    // A head cut in the middle of a binary structure says nothing about the whole input.
  }
  const wholeInput = head.length < HEAD_BYTES;
  if (!wholeInput && first !== undefined && last !== undefined && last < first) return undefined;
  return earliest;
}

/**
 * Reads every record of a prepared input, in input order, as batches of events and rejections.
 * After the last record, damage that reading went past (junk between gzip members) is logged
 * and passed to `onDamage`. Then a failure that stopped the read is raised.
 */
export async function* readPrepared(
  prepared: PreparedInput,
  options: ReadOptions,
  onDamage?: (reason: string) => void,
): AsyncIterable<ParseOutput> {
  if (prepared.rejected) {
    const rejections = prepared.rejected.map((item) => rejection(item, prepared.file.path));
    yield { events: [], rejections };
    return;
  }
  const format = prepared.format;
  if (!format || prepared.skipped !== undefined) return;
  const opened = prepared.opened ?? (await openInput(prepared.file, 0));
  let bytes = 0;
  let records = 0;
  // A read that fails part way, as a truncated .gz does, ends the bytes there, so that the
  // record they end inside is framed and rejected like any cut record. The failure is raised
  // after the last record.
  let failure: Error | undefined;
  const counted = (async function* () {
    try {
      for await (const chunk of opened.chunks()) {
        bytes += chunk.length;
        yield chunk;
      }
    } catch (error) {
      failure = error as Error;
    }
  })();
  try {
    const endsCut = () => failure !== undefined;
    for await (const output of parseChunks(prepared, counted, options, endsCut)) {
      records +=
        (output.records ?? output.events.length) +
        output.rejections.length +
        (output.skipped?.length ?? 0);
      yield output;
    }
  } finally {
    opened.close();
  }
  for (const reason of opened.warnings()) {
    options.logger.warn('input damaged', { file: prepared.file.path, reason });
    onDamage?.(reason);
  }
  if (failure) throw failure;

  // Content of another format gives no records at all rather than rejected ones.
  if (options.format !== undefined && records === 0) {
    options.logger.warn('no records found in the input in the format given', {
      file: prepared.file.path,
      format: format.name,
      bytes,
    });
  }
}

function parseContext(prepared: PreparedInput, options: ReadOptions): ParseContext {
  return {
    file: prepared.file.path,
    mtimeMs: prepared.file.mtimeMs,
    settings: options.settings,
    logger: options.logger,
  };
}

async function* parseChunks(
  prepared: PreparedInput,
  chunks: AsyncIterable<Buffer>,
  options: ReadOptions,
  endsCut?: () => boolean,
): AsyncIterable<ParseOutput> {
  const format = prepared.format;
  if (!format) return;
  const context = parseContext(prepared, options);

  if (format.framing === 'binary') {
    if (!format.binary) throw new Error(`format ${format.name} has no binary reader`);
    for await (const out of format.binary.read(chunks, context)) yield checkTimes(out);
    return;
  }

  if (!format.createParser) throw new Error(`format ${format.name} has no record parser`);
  const parser = format.createParser(context);
  const texts = decodeChunks(chunks, prepared.encoding);
  const file = prepared.file.path;

  const limits = options.settings.limits;
  const batches = frame(format.framing, prepared.jsonLayout, texts, limits, endsCut);
  const keepText = format.textHoldsValues === true;
  for await (const batch of batches) {
    const out: ParseOutput = { events: [], rejections: [] };
    for (const item of batch) {
      if (item.error) {
        out.rejections.push(rejection(item, file));
        continue;
      }
      const origin: Origin = { file, record: item.record, line: item.line };
      if (item.root && isPageWithoutRecords(item.value, item.emptyArray !== false)) {
        out.emptyPages = (out.emptyPages ?? 0) + 1;
        continue;
      }
      const framed: FramedRecord = {
        value: item.value,
        origin,
        text: keepText ? item.text : undefined,
      };
      const before = out.rejections.length;
      parser.push(framed, out);
      if (out.rejections.length > before) addValueText(out.rejections, before, item, origin);
    }
    if (
      out.events.length > 0 ||
      out.rejections.length > 0 ||
      out.records ||
      out.skipped ||
      out.emptyPages
    ) {
      yield checkTimes(out);
    }
  }

  const tail: ParseOutput = { events: [], rejections: [] };
  parser.end(tail);
  if (tail.events.length > 0 || tail.rejections.length > 0 || tail.records || tail.skipped) {
    yield checkTimes(tail);
  }
}

/**
 * Rejects events whose time cannot be ordered or printed. Sources apply `settings.missing_time`
 * themselves; this keeps a source that misses a case from stopping the scan later on.
 */
function checkTimes(out: ParseOutput): ParseOutput {
  if (out.events.every((event) => isValidTime(event.time))) return out;
  const events = [];
  const texts: (string | undefined)[] = [];
  for (const [index, event] of out.events.entries()) {
    if (isValidTime(event.time)) {
      events.push(event);
      texts.push(out.texts?.[index]);
      continue;
    }
    if (out.records !== undefined) out.records--;
    out.rejections.push({
      code: 'invalid_time',
      message: `event time ${event.time} is outside the range of representable times`,
      origin: event.origin,
    });
  }
  out.events = events;
  if (out.texts) out.texts = texts;
  return out;
}

/**
 * Adds the value's text to the rejections of a JSON value that is not an object, such as a `null`
 * or `42` element of a record array. Formats reject such values without a snippet, but framing
 * gives the same value between records its text, and the user needs it to find the value.
 */
function addValueText(rejections: Rejection[], from: number, item: FramedItem, origin: Origin) {
  const text = item.text;
  const value = item.value;
  if (text === undefined) return;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return;

  for (let index = from; index < rejections.length; index++) {
    const rejection = rejections[index];
    if (rejection?.origin !== origin || rejection.snippet !== undefined) continue;
    rejection.snippet = text.slice(0, SNIPPET_LENGTH);
  }
}

/** Builds the rejection of a record that framing rejected. */
function rejection(item: FramedItem, file: string): Rejection {
  const origin: Origin = { file, record: item.record, line: item.line };
  const error = item.error ?? { code: 'parse_error', message: 'record could not be framed' };
  const out: Rejection = { code: error.code, message: error.message, origin };
  if (item.snippet !== undefined) out.snippet = item.snippet;
  return out;
}

/**
 * Names an input with no records in it. It may be an empty file (a log rotated a moment ago), one
 * of only whitespace, or empty JSON arrays (an export or API page without records). It may also
 * be a page whose record array is empty: Microsoft Graph writes `{"value": []}` for no sign-ins,
 * and the Google Workspace Reports API writes a page without `items` for no activities.
 * Such an input was read, so it is skipped with this note, not reported as unreadable.
 */
function emptyInputNote(
  head: Buffer,
  text: string | undefined,
  whole: boolean,
): string | undefined {
  if (!whole) return undefined;
  if (head.length === 0) return 'the input is empty: 0 records';
  if (text === undefined) return undefined;
  if (text.trim() === '') return 'the input contains only whitespace: 0 records';
  if (/^\s*(?:\[\s*\]\s*)+$/.test(text)) {
    return 'an empty JSON array (an export or API page without records): 0 records';
  }
  const pages = parsePages(text);
  if (pages === undefined) return undefined;
  const key = emptyPageKey(pages);
  if (key !== undefined) return `a page whose "${key}" array contains no records: 0 records`;
  if (pages.every(isEmptyActivityPage)) {
    const count = pages.length === 1 ? 'a page' : `${pages.length} pages`;
    return `${count} of Google Workspace activities without "items" (kind "${ACTIVITY_LIST_KIND}"): 0 records`;
  }
  return undefined;
}

/**
 * Parses text that is one JSON object, or one JSON object per line as a script that appends
 * each API response to a file writes. Returns undefined for any other text.
 */
function parsePages(text: string): Record<string, unknown>[] | undefined {
  if (!/^\s*\{/.test(text)) return undefined;
  const whole = parseObject(text);
  if (whole !== undefined) return [whole];
  const pages = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const page = parseObject(line);
    if (page === undefined) return undefined;
    pages.push(page);
  }
  return pages;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/**
 * Returns the wrapper key of JSON objects whose record arrays are all empty, such as
 * `{"@odata.context": "…", "value": []}`. Objects with any record, or one with no wrapper key,
 * are not empty pages.
 */
function emptyPageKey(pages: readonly Record<string, unknown>[]): string | undefined {
  let first: string | undefined;
  for (const page of pages) {
    const keys = wrapperKeys(page);
    const empty = keys.every((key) => Array.isArray(page[key]) && page[key].length === 0);
    if (keys.length === 0 || !empty) return undefined;
    first ??= keys[0];
  }
  return first;
}
