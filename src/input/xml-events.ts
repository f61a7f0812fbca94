/**
 * Frames Windows event XML into one string per `<Event>` element, whether the elements sit under
 * an `<Events>` root (wevtutil `/e:Events`, Get-WinEvent `ToXml()` joined) or stand bare one
 * after another. Only element boundaries are found here; each element is parsed by the source.
 * Comments, CDATA sections and processing instructions between elements are passed over with
 * the elements they contain, because what is commented out is not a record.
 */

import {
  CLOSE_TAG,
  type ElementScan,
  isEventStart,
  MARKUP_LOOKAHEAD,
  sectionAt,
  XmlMarkupScanner,
  type XmlSection,
} from './xml-markup.js';

export interface XmlEventRecord {
  xml?: string;
  error?: { code: string; message: string };
  snippet?: string;
  /** 1-based position of the `<Event>` element in the document. */
  record: number;
  line: number;
}

export interface XmlFramingOptions {
  /** Longest `<Event>` element kept, in UTF-16 code units. */
  maxRecordLength: number;
}

const SNIPPET_LENGTH = 120;

/** Characters kept from text passed over, so that a tag or closer cut by a chunk end is found. */
const TAIL_LENGTH = CLOSE_TAG.length - 1;

/**
 * Maximum records in one batch. A 256 KiB read chunk (`READ_CHUNK_BYTES`) of the bundled Windows
 * exports, at 0.9 to 1.5 KiB an event, makes about 170 to 290. Text kept while a cut is decided
 * can make thousands at once, and every record of a batch is parsed before the next is read.
 */
const MAX_BATCH = 512;

export async function* readXmlEvents(
  texts: AsyncIterable<string>,
  options: XmlFramingOptions,
): AsyncIterable<XmlEventRecord[]> {
  const framer = new XmlEventFramer(options);
  for await (const text of texts) yield* batches(framer.push(text));
  yield* batches(framer.end());
}

function* batches(records: XmlEventRecord[]): Iterable<XmlEventRecord[]> {
  if (records.length <= MAX_BATCH) {
    if (records.length > 0) yield records;
    return;
  }
  for (let at = 0; at < records.length; at += MAX_BATCH) yield records.slice(at, at + MAX_BATCH);
}

class XmlEventFramer {
  private buffer = '';
  /** Index in `buffer` of the first character not framed yet, and its line. */
  private position = 0;
  private line = 1;
  private record = 0;
  /** A section between elements that is still open at `position`. */
  private section: XmlSection | undefined;
  /** Set while skipping the rest of an element that exceeded the size limit. */
  private skipping = false;
  /** Buffer length at which framing resumes after it stopped at an element or section. */
  private resumeLength = 0;
  /** The scanner of the current buffer, replaced by each `frame`. */
  private scanner = new XmlMarkupScanner('', 0, false);

  constructor(private readonly options: XmlFramingOptions) {}

  push(text: string): XmlEventRecord[] {
    this.buffer += text;
    if (this.buffer.length < this.resumeLength) return [];
    return this.frame(false);
  }

  /** Frames what is left once the input has ended. */
  end(): XmlEventRecord[] {
    return this.frame(true);
  }

  private frame(final: boolean): XmlEventRecord[] {
    const limit = this.options.maxRecordLength;
    this.scanner = new XmlMarkupScanner(this.buffer, limit, final);
    const out: XmlEventRecord[] = [];
    while (this.step(out, final));
    this.buffer = this.buffer.slice(this.position);
    this.position = 0;

    // What is kept may be an element or section whose end is far off, or a section left open
    // whose cut is decided only at the limit. Framing it again once the buffer has doubled keeps
    // the work linear, at the cost of keeping twice what is kept: up to twice the limit for an
    // element, four times for a section between elements. The records framed do not depend on
    // when the text is scanned, only on the text.
    this.resumeLength = 2 * this.buffer.length;
    return out;
  }

  /** Frames the markup at `position`, and returns false when it needs more text. */
  private step(out: XmlEventRecord[], final: boolean): boolean {
    if (this.skipping) return this.skipElementRest();
    if (this.section !== undefined) return this.passSection();

    const tag = this.buffer.indexOf('<', this.position);
    if (tag < 0) {
      this.advance(this.buffer.length);
      return false;
    }
    this.advance(tag);
    if (!final && this.buffer.length - tag < MARKUP_LOOKAHEAD) return false;

    const section = sectionAt(this.buffer, tag);
    if (section !== undefined) {
      this.section = section;
      this.advance(tag + section.opener.length);
      return true;
    }
    if (isEventStart(this.buffer, tag)) return this.frameElement(out, final);
    this.advance(tag + 1);
    return true;
  }

  private passSection(): boolean {
    const scan = this.scanner.section(this.position, this.section as XmlSection);
    if (scan.state !== 'open') {
      this.section = undefined;
      this.advance(scan.state === 'closed' ? scan.end : scan.resume);
      return true;
    }

    // The section's text is kept, since comments nested in it move its end, up to the limit. Past
    // it, the text from the first `<Event>` start tag is kept, or without one, a tail that may
    // contain the start of one or of the closer.
    // NOTE: a comment longer than the limit whose dropped part contains `<!--` may end early.
    const limit = this.options.maxRecordLength;
    if (scan.next >= 0 && scan.next - this.position > limit) this.advance(scan.next);
    if (scan.next < 0 && this.buffer.length - this.position > limit) {
      this.advance(this.buffer.length - TAIL_LENGTH);
    }
    return false;
  }

  private frameElement(out: XmlEventRecord[], final: boolean): boolean {
    const start = this.position;
    const scan = this.scanner.element(start);
    if (scan.state === 'complete') {
      this.emit(out, scan.end);
      this.advance(scan.end);
      return true;
    }
    if (scan.state === 'nested') {
      const message = 'an <Event> element starts before this one ends: it is cut or damaged';
      this.reject(out, 'invalid_xml', message, scan.next);
      this.advance(scan.next);
      return true;
    }
    if (scan.state === 'cut') {
      if (scan.end >= 0) this.emit(out, scan.end);
      else this.reject(out, 'invalid_xml', this.describeCut(scan), scan.resume);
      this.advance(scan.resume);
      return true;
    }

    const limit = this.options.maxRecordLength;
    if (this.buffer.length - start > limit) {
      this.reject(out, 'record_too_large', tooLargeMessage(limit), this.buffer.length);
      this.advance(this.buffer.length);
      this.skipping = true;
    } else if (final) {
      this.reject(out, 'invalid_xml', 'input ends inside an <Event> element', this.buffer.length);
      this.advance(this.buffer.length);
    }
    return false;
  }

  private describeCut(scan: Extract<ElementScan, { state: 'cut' }>): string {
    const sectionLine = this.line + countNewlines(this.buffer, this.position, scan.sectionStart);
    const nextLine = this.line + countNewlines(this.buffer, this.position, scan.next);
    return (
      `a ${scan.section.name} opened on line ${sectionLine} is not closed before the next ` +
      `<Event> element on line ${nextLine}, so this element is cut or damaged`
    );
  }

  private skipElementRest(): boolean {
    const close = this.buffer.indexOf(CLOSE_TAG, this.position);
    if (close < 0) {
      this.advance(Math.max(this.position, this.buffer.length - TAIL_LENGTH));
      return false;
    }
    this.advance(close + CLOSE_TAG.length);
    this.skipping = false;
    return true;
  }

  /** Adds the element from `position` to `end`, or rejects it when it is over the limit. */
  private emit(out: XmlEventRecord[], end: number): void {
    const limit = this.options.maxRecordLength;
    if (end - this.position > limit) {
      this.reject(out, 'record_too_large', tooLargeMessage(limit), end);
      return;
    }
    this.record++;
    out.push({ xml: this.buffer.slice(this.position, end), record: this.record, line: this.line });
  }

  /** Rejects the element that starts at `position`, with a snippet that stops at `end`. */
  private reject(out: XmlEventRecord[], code: string, message: string, end: number): void {
    this.record++;
    const snippet = this.buffer.slice(this.position, Math.min(end, this.position + SNIPPET_LENGTH));
    out.push({ error: { code, message }, snippet, record: this.record, line: this.line });
  }

  private advance(to: number): void {
    this.line += countNewlines(this.buffer, this.position, to);
    this.position = to;
  }
}

function tooLargeMessage(limit: number): string {
  return `<Event> element is longer than the limit of ${limit} characters`;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  let at = text.indexOf('\n', from);
  while (at >= 0 && at < to) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}
