import { describeUnreadFormat } from '../input/archive/sniff.js';
import type { InputFile } from '../input/input-file.js';
import {
  detectJsonLayout,
  isPageWithoutRecords,
  type JsonLayout,
  laterLinesAreRecords,
  MORE_DAMAGED_LINES,
} from '../input/json-records.js';
import { JsonStreamScanner } from '../input/json-stream.js';
import { HEAD_BYTES, type OpenedInput } from '../input/opened.js';
import { decodeChunks, decodeHead, type TextEncoding } from '../input/text.js';
import type { DetectSample, Framing, SourceFormat, SourceSettings } from './format.js';
import { type FramedItem, frame } from './frame.js';
import type { FormatRegistry } from './registry.js';

/**
 * Format detection: a sample of the input's first records, scored by every format. The sample
 * comes from the head (the first `HEAD_BYTES`) unless the first record does not fit in it, or
 * is rejected by the limits. Then detection reads on to the first record within the limits.
 */

const DETECT_MIN_SCORE = 0.5;

/** Lines of an NDJSON head that may fail to parse before its first record. */
const CUT_LINES_SKIPPED = 1 + MORE_DAMAGED_LINES;

/** Lines given to line formats when detection looks past the head. */
const SAMPLE_LINES = 16;

export function buildSample(file: InputFile, head: Buffer, encoding: TextEncoding) {
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
  } else if (startsWithCutRecord(text)) {
    // A slice that starts inside a record: its first line is rejected as it is read.
    jsonLayout = 'ndjson';
    detect.firstJson = firstJsonRecord(text, jsonLayout);
  } else if (textFraming(text) === 'json') {
    // A line such as `],` or `}` before pretty-printed records is rejected as it is read.
    jsonLayout = 'stream';
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

/**
 * Tells whether NDJSON follows a first line that starts no JSON value: the rest of a record
 * whose start was cut off, as in the output of `tail -c`.
 */
function startsWithCutRecord(text: string): boolean {
  const newline = text.indexOf('\n');
  if (newline < 0) return false;
  return laterLinesAreRecords(text, newline + 1);
}

function firstJsonRecord(text: string, layout: JsonLayout | undefined): unknown {
  if (layout === 'ndjson') {
    // The first lines may be damaged, and `detectJsonLayout` then found whole records after them.
    let tried = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      if (tried > CUT_LINES_SKIPPED) break;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        tried++;
        continue;
      }
      if (!isPageWithoutRecords(value)) return value;
    }
    return undefined;
  }
  const scanner = new JsonStreamScanner({ maxRecordLength: text.length + 1, maxDepth: 1000 });
  // Records held back until what follows shows how to read them, such as the only record of a
  // bare array, show the format as well.
  const records = [...scanner.push(text), ...scanner.heldBack()];
  return records.find(isSampleRecord)?.value;
}

/**
 * Tells whether a framed JSON record can show the input's format: an object that is not an API
 * page without records, because pages of every source look alike. Every JSON format reads
 * objects, so a scalar or an array, such as the elements of a `[1, 2]` line before the records,
 * shows none.
 */
function isSampleRecord(record: FramedItem): boolean {
  const value = record.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return !(record.root && isPageWithoutRecords(value));
}

export function chooseFormat(
  registry: FormatRegistry,
  sample: DetectSample,
): SourceFormat | undefined {
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

/**
 * Returns why no format matches an input: a container or compressed format that trustwatch does
 * not read, or content that no format matches. `sample.firstJson` is unset for JSON text whose first
 * record is invalid or cut short; `whole` is true when `sample.text` is the whole input.
 */
export function describeUnknown(head: Buffer, sample: DetectSample, whole: boolean): string {
  const text = sample.text;
  const start = (text ?? head.subarray(0, 48).toString('latin1')).trimStart().slice(0, 60);
  const printable = start.replace(/[^\x20-\x7e]/g, '.');
  if (head.length === 0) return 'the input is empty';
  const unread = describeUnreadFormat(head);
  if (unread !== undefined) return unread;
  if (start === '') return 'the input is blank: it contains only whitespace';
  if (text !== undefined && textFraming(text) === 'json' && sample.firstJson === undefined) {
    const where = whole && endsInsideJson(text) ? 'the input ends inside' : 'invalid JSON in';
    return `no known format matches the content: ${where} its first JSON record, so its format cannot be told (it starts with "${printable}")`;
  }
  return `no known format matches the content (it starts with "${printable}")`;
}

/**
 * Tells whether JSON text is valid up to its end but stops before its first value ends: V8 then
 * reports the end of the input, or an error at the position just past the last character.
 */
function endsInsideJson(text: string): boolean {
  const start = text.trimStart();
  const json = (start.startsWith('{') ? (start.split('\n', 1)[0] ?? start) : start).trimEnd();
  try {
    JSON.parse(json);
    return false;
  } catch (error) {
    const message = (error as Error).message;
    if (/end of JSON input/.test(message)) return true;
    const position = /at position (\d+)/.exec(message);
    return position !== null && Number(position[1]) >= json.length;
  }
}

/** The result of reading past the head for detection. */
export interface PastHead {
  /** The sample of the first records within the limits, when there is one. */
  detect?: DetectSample;
  jsonLayout?: JsonLayout;
  /** The records before it that the limits rejected. */
  rejected: FramedItem[];
  /** API pages without records before it, or in all of the input when it has no record. */
  emptyPages: number;
}

/**
 * Tells whether the head contains no whole first record that detection could read: the first
 * JSON record or `<Event>` element, or the first line, runs past the head.
 */
export function firstRecordPastHead(opened: OpenedInput, detect: DetectSample): boolean {
  const text = detect.text;
  if (opened.ended || text === undefined) return false;
  const framing = textFraming(text);
  if (framing === 'json') return detect.firstJson === undefined;
  if (framing === 'xml-events') return detect.firstXml === undefined;
  return !text.includes('\n');
}

/**
 * Reads on past the head to the first record within the limits, with the framing the head's
 * first character suggests, and builds the detection sample from it. Bytes read stay buffered
 * up to `maxBuffered` (see `OpenedInput.lookAhead`).
 */
export async function samplePastHead(
  opened: OpenedInput,
  detect: DetectSample,
  encoding: TextEncoding,
  limits: SourceSettings['limits'],
  maxBuffered: number,
): Promise<PastHead> {
  const head = detect.text ?? '';
  const texts = decodeChunks(opened.lookAhead(maxBuffered), encoding);
  const framing = textFraming(head);

  if (framing === 'json') {
    const found = await firstJsonPastHead(texts, limits);
    const { rejected, emptyPages } = found;
    if (found.value === undefined) return { rejected, emptyPages };
    const start = head.trimStart();
    const oneLine = start.startsWith('{') && !start.includes('\n');
    // A first line longer than the head is NDJSON, unless its records sit in an array.
    const jsonLayout = oneLine && !found.inArray ? 'ndjson' : (detectJsonLayout(head) ?? 'stream');
    return { detect: { ...detect, firstJson: found.value }, jsonLayout, rejected, emptyPages };
  }

  const rejected: FramedItem[] = [];
  const lines: string[] = [];
  let length = 0;
  for await (const batch of frame(framing, undefined, texts, limits)) {
    for (const item of batch) {
      if (item.value === undefined) {
        if (lines.length === 0) rejected.push(item);
        continue;
      }
      if (framing === 'xml-events') {
        return { detect: { ...detect, firstXml: item.value as string }, rejected, emptyPages: 0 };
      }
      lines.push(item.value as string);
      length += (item.value as string).length;
    }
    if (lines.length >= SAMPLE_LINES || length >= HEAD_BYTES) break;
  }
  if (lines.length === 0) return { rejected, emptyPages: 0 };
  return { detect: { ...detect, text: `${lines.join('\n')}\n` }, rejected, emptyPages: 0 };
}

/**
 * Returns the framing that a text input's first character points to. A closing bracket is JSON
 * too, as a tool may write a line such as `],` before the records.
 */
function textFraming(text: string): Exclude<Framing, 'binary'> {
  const start = text.trimStart();
  if (/^[[\]{}]/.test(start)) return 'json';
  if (start.startsWith('<')) return 'xml-events';
  return 'lines';
}

async function firstJsonPastHead(texts: AsyncIterable<string>, limits: SourceSettings['limits']) {
  const scanner = new JsonStreamScanner(limits);
  const rejected: FramedItem[] = [];
  let emptyPages = 0;
  const found = (records: FramedItem[]) => {
    for (const record of records) {
      if (isSampleRecord(record)) return record.value;
      if (record.value === undefined) rejected.push(record);
      else emptyPages++;
    }
    return undefined;
  };
  for await (const text of texts) {
    const value = found(scanner.push(text)) ?? scanner.heldBack().find(isSampleRecord)?.value;
    if (value !== undefined) {
      return { value, inArray: scanner.firstRecordInArray, rejected, emptyPages };
    }
  }
  const value = found(scanner.finish());
  return { value, inArray: scanner.firstRecordInArray, rejected, emptyPages };
}
