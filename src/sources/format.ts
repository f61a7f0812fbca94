import type { Event, Origin } from '../model/event.js';
import type { Logger } from '../model/logger.js';

/** How a format's records are framed in the input. */
export type Framing = 'json' | 'xml-events' | 'lines' | 'binary';

/** What a format may inspect to claim an input. */
export interface DetectSample {
  /** The first bytes, before decoding. */
  head: Uint8Array;
  /** The decoded head, for text framings. */
  text?: string;
  /** The first JSON record of the head, for JSON framing. */
  firstJson?: unknown;
  /** The first `<Event>` element of the head. */
  firstXml?: string;
  /** File name, for formats whose files have a fixed name (`audit.log`). */
  name: string;
}

/** A record a format could not turn into an Event. */
export interface Rejection {
  code: string;
  message: string;
  origin: Origin;
  snippet?: string;
}

/**
 * A well-formed record that contains no event (the summary that `log show` appends), so it is
 * neither parsed nor rejected. The scan counts such records per reason.
 */
export interface SkippedRecord {
  reason: string;
  origin: Origin;
}

/** Marker that a conversion returns for a record it skips; see `SkippedRecord`. */
export class RecordSkip {
  constructor(readonly reason: string) {}
}

export interface ParseOutput {
  events: Event[];
  /**
   * JSON text of each event's record, at the event's index, for formats that set
   * `textHoldsValues`. It is absent, or has gaps, otherwise.
   */
  texts?: (string | undefined)[];
  rejections: Rejection[];
  /** Records skipped because they contain no event; absent when none were. */
  skipped?: SkippedRecord[];
  /**
   * API pages without records among the input's JSON values (`{"value": []}`), which are not
   * records, so they count neither as read nor as skipped. Absent when there were none.
   */
  emptyPages?: number;
  /**
   * Records that went into `events`, for formats that join several records into one event
   * (the lines of an audit event); one per event when absent.
   */
  records?: number;
}

export interface SourceSettings {
  syslog: { year?: number; timezone?: string };
  limits: { maxRecordLength: number; maxDepth: number; maxFieldLength: number };
  /**
   * What a JSON record without a readable event time becomes: `reject` (counted and reported
   * with the reason) or `input_time` (parsed with the input's modification time; partial test
   * records are like this, real exports are not).
   */
  missingTime?: 'reject' | 'input_time';
}

export interface ParseContext {
  /** Display path of the input, used in every Origin. */
  file: string;
  /** Modification time of the input, for formats that must infer a year. */
  mtimeMs: number | undefined;
  settings: SourceSettings;
  logger: Logger;
}

/** A framed record, as one format receives it. */
export interface FramedRecord {
  /** Parsed JSON value, `<Event>` XML text, or line text, depending on the framing. */
  value: unknown;
  origin: Origin;
  /** JSON text of the record, for formats that set `textHoldsValues`. */
  text?: string | undefined;
}

/** A per-input parser: formats that join records (audit events) keep their state here. */
export interface RecordParser {
  push(record: FramedRecord, out: ParseOutput): void;
  /** Emits what is still held when the input ends. */
  end(out: ParseOutput): void;
}

export interface BinaryReader {
  read(chunks: AsyncIterable<Buffer>, context: ParseContext): AsyncIterable<ParseOutput>;
}

export interface SourceFormat {
  /** Stable name, as `--format` takes it. */
  name: string;
  description: string;
  framing: Framing;
  /**
   * Scores how well the sample fits, from 0 (not this format) to 1. The highest score wins;
   * formats that recognise a record by distinctive keys score higher than loose matches.
   */
  detect(sample: DetectSample): number;
  /**
   * Set for files that a format recognises but that hold no events (CloudTrail digest files):
   * such an input is not read, counts no records, and is reported as skipped with this note.
   */
  skip?: string;
  /**
   * Set by JSON formats whose event fields are the record's own values, or copies of them. Every
   * string, number and boolean of the fields is then written in the record's JSON text, so
   * keyword searches test that text once before they walk the fields (rules/literal-lists.ts).
   */
  textHoldsValues?: boolean;
  /**
   * Builds the one-line summary of an event, for formats that leave `summary` empty. Most events
   * match no rule and are never shown, so the scan builds it only for those that match.
   */
  summarize?(event: Event): string;
  /** Creates the parser for one input (not used by binary formats). */
  createParser?(context: ParseContext): RecordParser;
  /** Reads a binary input (only binary formats). */
  binary?: BinaryReader;
}

/** Wraps a stateless record conversion as a RecordParser. */
export function statelessParser(
  convert: (record: FramedRecord, context: ParseContext) => Event | RecordSkip,
  context: ParseContext,
): RecordParser {
  return {
    push(record, out) {
      try {
        const result = convert(record, context);
        if (result instanceof RecordSkip) {
          out.skipped ??= [];
          out.skipped.push({ reason: result.reason, origin: record.origin });
        } else {
          out.events.push(result);
          if (record.text !== undefined) {
            out.texts ??= [];
            out.texts[out.events.length - 1] = record.text;
          }
        }
      } catch (error) {
        out.rejections.push(rejectionFrom(error, record.origin));
      }
    },
    end() {},
  };
}

export function rejectionFrom(error: unknown, origin: Origin): Rejection {
  const code = (error as { code?: string }).code;
  const snippet = (error as { snippet?: string }).snippet;
  const rejection: Rejection = {
    code: typeof code === 'string' ? code : 'parse_error',
    message: (error as Error).message ?? String(error),
    origin,
  };
  if (snippet !== undefined) rejection.snippet = snippet;
  return rejection;
}
