import { type JsonLayout, readNdjson } from '../input/json-records.js';
import { readJsonStream } from '../input/json-stream.js';
import { splitLines, type TextLine } from '../input/lines.js';
import { readXmlEvents } from '../input/xml-events.js';
import type { Framing, SourceSettings } from './format.js';

/** One record as framing cuts it from the text, before a format reads it. */
export interface FramedItem {
  /** Parsed JSON value, `<Event>` XML text or line text, when the record is within the limits. */
  value?: unknown;
  /** JSON text of the record, in JSON framing. */
  text?: string;
  error?: { code: string; message: string };
  snippet?: string;
  /** True for a JSON value at the top level of the input, which may be an API page. */
  root?: boolean;
  /** False when the JSON text contains no empty array, so that it is no page of empty arrays. */
  emptyArray?: boolean;
  record: number;
  line: number;
}

/**
 * Cuts decoded text into records by framing, applying the record length and depth limits.
 * `endsCut` returns, after the text ends, whether reading stopped before the input's end.
 * JSON framing returns its reader's batches as they are, without another generator between.
 */
export function frame(
  framing: Exclude<Framing, 'binary'>,
  jsonLayout: JsonLayout | undefined,
  texts: AsyncIterable<string>,
  limits: SourceSettings['limits'],
  endsCut?: () => boolean,
): AsyncIterable<FramedItem[]> {
  if (framing === 'xml-events') return xmlItems(texts, limits);
  if (framing === 'json') {
    const options = { maxRecordLength: limits.maxRecordLength, maxDepth: limits.maxDepth };
    if (jsonLayout === 'ndjson') {
      return readNdjson(splitLines(texts, { maxLineLength: limits.maxRecordLength }), options);
    }
    return readJsonStream(texts, options);
  }
  return lineItems(texts, limits, endsCut);
}

async function* xmlItems(
  texts: AsyncIterable<string>,
  limits: SourceSettings['limits'],
): AsyncIterable<FramedItem[]> {
  for await (const batch of readXmlEvents(texts, { maxRecordLength: limits.maxRecordLength })) {
    yield batch.map((item) => ({ ...item, value: item.xml }));
  }
}

async function* lineItems(
  texts: AsyncIterable<string>,
  limits: SourceSettings['limits'],
  endsCut?: () => boolean,
): AsyncIterable<FramedItem[]> {
  // A JSON or XML record cut short fails to parse. A line of text still reads as a line, such as
  // `sudo: … COMMAND=/bin/cat /etc/sha` for `/etc/shadow`, so the cut line is rejected here.
  const options = { maxLineLength: limits.maxRecordLength, ...(endsCut ? { endsCut } : {}) };
  for await (const lines of splitLines(texts, options)) {
    yield lines.map((line) => {
      if (line.truncated) {
        const message = `line is longer than the limit of ${limits.maxRecordLength} characters`;
        return lineError('record_too_large', message, line);
      }
      if (line.cut) {
        const message =
          'the input ends inside this line, because reading stopped early, so its end may be missing';
        return lineError('record_cut', message, line);
      }
      return { value: line.text, record: line.line, line: line.line };
    });
  }
}

function lineError(code: string, message: string, line: TextLine): FramedItem {
  return {
    error: { code, message },
    snippet: line.text.slice(0, 120),
    record: line.line,
    line: line.line,
  };
}
