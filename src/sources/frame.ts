import { type JsonLayout, readNdjson } from '../input/json-records.js';
import { readJsonStream } from '../input/json-stream.js';
import { splitLines } from '../input/lines.js';
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
  record: number;
  line: number;
}

/** Cuts decoded text into records by framing, applying the record length and depth limits. */
export async function* frame(
  framing: Exclude<Framing, 'binary'>,
  jsonLayout: JsonLayout | undefined,
  texts: AsyncIterable<string>,
  limits: SourceSettings['limits'],
): AsyncIterable<FramedItem[]> {
  if (framing === 'xml-events') {
    for await (const batch of readXmlEvents(texts, { maxRecordLength: limits.maxRecordLength })) {
      yield batch.map((item) => ({ ...item, value: item.xml }));
    }
    return;
  }
  if (framing === 'json') {
    const options = { maxRecordLength: limits.maxRecordLength, maxDepth: limits.maxDepth };
    if (jsonLayout === 'ndjson') {
      yield* readNdjson(splitLines(texts, { maxLineLength: limits.maxRecordLength }), options);
    } else {
      yield* readJsonStream(texts, options);
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
