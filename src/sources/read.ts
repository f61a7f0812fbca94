import type { InputFile } from '../input/input-file.js';
import {
  detectJsonLayout,
  type JsonLayout,
  JsonStreamScanner,
  readJsonStream,
  readNdjson,
} from '../input/json-records.js';
import { splitLines } from '../input/lines.js';
import { HEAD_BYTES, type OpenedInput, openInput } from '../input/opened.js';
import { decodeChunks, decodeHead, sniffEncoding, type TextEncoding } from '../input/text.js';
import { readXmlEvents } from '../input/xml-events.js';
import type { Origin } from '../model/event.js';
import type { Logger } from '../model/logger.js';
import type {
  DetectSample,
  FramedRecord,
  ParseContext,
  ParseOutput,
  SourceFormat,
  SourceSettings,
} from './format.js';
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
}

export interface ReadOptions {
  /** Format name that overrides detection. */
  format?: string;
  settings: SourceSettings;
  logger: Logger;
}

const DETECT_MIN_SCORE = 0.5;

/** Opens an input's head, chooses its format, and finds its first event time. */
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

  if (options.format !== undefined) {
    prepared.format = registry.get(options.format);
  } else {
    prepared.format = chooseFormat(registry, sample.detect);
    if (!prepared.format) prepared.reason = describeUnknown(opened.head, sample.detect.text);
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

function buildSample(file: InputFile, head: Buffer, encoding: TextEncoding) {
  const detect: DetectSample = { head, name: file.path.split('/').pop() ?? file.path };
  let jsonLayout: JsonLayout | undefined;
  if (looksBinary(head, encoding)) return { detect, jsonLayout };

  const text = decodeHead(head, encoding);
  detect.text = text;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    jsonLayout = detectJsonLayout(text);
    const first = firstJsonRecord(text, jsonLayout);
    if (first !== undefined) detect.firstJson = first;
  }
  if (trimmed.startsWith('<')) {
    const match = /<Event[\s>][\s\S]*?<\/Event>/.exec(text);
    if (match) detect.firstXml = match[0];
  }
  return { detect, jsonLayout };
}

function looksBinary(head: Buffer, encoding: TextEncoding): boolean {
  if (encoding.name !== 'utf-8') return false;
  const sample = head.subarray(0, 1024);
  let control = 0;
  for (const byte of sample) if (byte === 0 || (byte < 9 && byte !== 0)) control++;
  return control > 0;
}

function firstJsonRecord(text: string, layout: JsonLayout | undefined): unknown {
  if (layout === 'ndjson') {
    const line = text.split('\n', 1)[0] ?? '';
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  }
  const scanner = new JsonStreamScanner({ maxRecordLength: text.length + 1, maxDepth: 1000 });
  const records = scanner.push(text);
  return records.find((record) => record.value !== undefined)?.value;
}

function chooseFormat(registry: FormatRegistry, sample: DetectSample): SourceFormat | undefined {
  let best: SourceFormat | undefined;
  let bestScore = 0;
  for (const format of registry.list()) {
    if (format.framing === 'binary' ? sample.text !== undefined : sample.text === undefined) {
      continue;
    }
    const score = format.detect(sample);
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  return bestScore >= DETECT_MIN_SCORE ? best : undefined;
}

function describeUnknown(head: Buffer, text: string | undefined): string {
  const start = (text ?? head.subarray(0, 48).toString('latin1')).trimStart().slice(0, 60);
  const printable = start.replace(/[^\x20-\x7e]/g, '.');
  return head.length === 0
    ? 'the input is empty'
    : `no known format matches the content (it starts with "${printable}")`;
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

/** Reads every record of a prepared input, in input order, as batches of events and rejections. */
export async function* readPrepared(
  prepared: PreparedInput,
  options: ReadOptions,
): AsyncIterable<ParseOutput> {
  if (!prepared.format || prepared.skipped !== undefined) return;
  const opened = prepared.opened ?? (await openInput(prepared.file, 0));
  try {
    yield* parseChunks(prepared, opened.chunks(), options);
  } finally {
    opened.close();
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
): AsyncIterable<ParseOutput> {
  const format = prepared.format;
  if (!format) return;
  const context = parseContext(prepared, options);

  if (format.framing === 'binary') {
    if (!format.binary) throw new Error(`format ${format.name} has no binary reader`);
    yield* format.binary.read(chunks, context);
    return;
  }

  if (!format.createParser) throw new Error(`format ${format.name} has no record parser`);
  const parser = format.createParser(context);
  const texts = decodeChunks(chunks, prepared.encoding);
  const file = prepared.file.path;

  for await (const batch of frame(format, prepared, texts, options)) {
    const out: ParseOutput = { events: [], rejections: [] };
    for (const item of batch) {
      const origin: Origin = { file, record: item.record, line: item.line };
      if (item.error) {
        out.rejections.push({
          code: item.error.code,
          message: item.error.message,
          origin,
          ...snippet(item),
        });
        continue;
      }
      const framed: FramedRecord = { value: item.value, origin };
      parser.push(framed, out);
    }
    if (out.events.length > 0 || out.rejections.length > 0 || out.records) yield out;
  }

  const tail: ParseOutput = { events: [], rejections: [] };
  parser.end(tail);
  if (tail.events.length > 0 || tail.rejections.length > 0 || tail.records) yield tail;
}

function snippet(item: { snippet?: string }): { snippet?: string } {
  return item.snippet === undefined ? {} : { snippet: item.snippet };
}

interface FramedItem {
  value?: unknown;
  error?: { code: string; message: string };
  snippet?: string;
  record: number;
  line: number;
}

async function* frame(
  format: SourceFormat,
  prepared: PreparedInput,
  texts: AsyncIterable<string>,
  options: ReadOptions,
): AsyncIterable<FramedItem[]> {
  const limits = options.settings.limits;
  if (format.framing === 'xml-events') {
    for await (const batch of readXmlEvents(texts, { maxRecordLength: limits.maxRecordLength })) {
      yield batch.map((item) => ({ ...item, value: item.xml }));
    }
    return;
  }
  if (format.framing === 'json') {
    const framing = { maxRecordLength: limits.maxRecordLength, maxDepth: limits.maxDepth };
    if (prepared.jsonLayout === 'ndjson') {
      yield* readNdjson(splitLines(texts, { maxLineLength: limits.maxRecordLength }), framing);
    } else {
      yield* readJsonStream(texts, framing);
    }
    return;
  }
  for await (const lines of splitLines(texts, { maxLineLength: limits.maxRecordLength })) {
    yield lines.map((line) =>
      line.truncated
        ? {
            error: {
              code: 'record_too_large',
              message: `line is longer than the limit of ${limits.maxRecordLength} characters`,
            },
            snippet: line.text.slice(0, 120),
            record: line.line,
            line: line.line,
          }
        : { value: line.text, record: line.line, line: line.line },
    );
  }
}
