/**
 * Frames Windows event XML into one string per `<Event>` element, whether the elements sit under
 * an `<Events>` root (wevtutil `/e:Events`, Get-WinEvent `ToXml()` joined) or stand bare one
 * after another. Only element boundaries are found here; each element is parsed by the source.
 */

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

const OPEN_TAG = '<Event';
const CLOSE_TAG = '</Event>';

function isTagEnd(code: number): boolean {
  return code === 0x3e || code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

export async function* readXmlEvents(
  texts: AsyncIterable<string>,
  options: XmlFramingOptions,
): AsyncIterable<XmlEventRecord[]> {
  let buffer = '';
  let line = 1;
  let record = 0;
  /** Set while skipping the rest of an element that exceeded the size limit. */
  let skipping = false;

  for await (const text of texts) {
    buffer += text;
    const out: XmlEventRecord[] = [];
    let position = 0;

    while (true) {
      if (skipping) {
        const close = buffer.indexOf(CLOSE_TAG, position);
        if (close < 0) break;
        line += countNewlines(buffer, position, close + CLOSE_TAG.length);
        position = close + CLOSE_TAG.length;
        skipping = false;
        continue;
      }

      const start = findOpenTag(buffer, position);
      if (start < 0) break;
      const close = findCloseTag(buffer, start);
      if (close < 0) {
        line += countNewlines(buffer, position, start);
        position = start;
        if (buffer.length - start > options.maxRecordLength) {
          record++;
          out.push(tooLarge(buffer.slice(start, start + 120), record, line, options));
          line += countNewlines(buffer, start, buffer.length);
          position = buffer.length;
          skipping = true;
        }
        break;
      }

      line += countNewlines(buffer, position, start);
      // An element cut before its end tag would take the next element along.
      const next = findOpenTag(buffer, start + OPEN_TAG.length);
      if (next >= 0 && next < close && !hidesText(buffer, start, next)) {
        record++;
        const message = 'an <Event> element starts before this one ends: it is cut or damaged';
        out.push({
          error: { code: 'invalid_xml', message },
          snippet: buffer.slice(start, Math.min(next, start + 120)),
          record,
          line,
        });
        line += countNewlines(buffer, start, next);
        position = next;
        continue;
      }
      const end = close + CLOSE_TAG.length;
      const xml = buffer.slice(start, end);
      record++;
      if (xml.length > options.maxRecordLength) {
        out.push(tooLarge(xml.slice(0, 120), record, line, options));
      } else {
        out.push({ xml, record, line });
      }
      line += countNewlines(buffer, start, end);
      position = end;
    }

    const keep = keepFrom(buffer, position);
    line += countNewlines(buffer, position, keep);
    buffer = buffer.slice(keep);
    if (out.length > 0) yield out;
  }

  const start = findOpenTag(buffer, 0);
  if (start >= 0 && !skipping) {
    line += countNewlines(buffer, 0, start);
    yield [
      {
        error: { code: 'invalid_xml', message: 'input ends inside an <Event> element' },
        snippet: buffer.slice(start, start + 120),
        record: record + 1,
        line,
      },
    ];
  }
}

/** Index from which the buffer is kept: an element's start, or a possible `<Event` at the end. */
function keepFrom(buffer: string, position: number): number {
  if (position >= buffer.length) return buffer.length;
  const start = findOpenTag(buffer, position);
  if (start >= 0) return start;
  const open = buffer.indexOf('<', Math.max(position, buffer.length - CLOSE_TAG.length));
  return open >= 0 ? open : buffer.length;
}

/** Starts of the sections whose text may contain `</Event>` as text, with their ends. */
const HIDING_SECTIONS: readonly [string, string][] = [
  ['<![CDATA[', ']]>'],
  ['<!--', '-->'],
];

/**
 * Returns the index of the `</Event>` that closes the element starting at `start`, or -1 when
 * the buffer ends first. A `</Event>` inside a CDATA section or a comment is text, not a tag.
 * The exception is a section that an `<Event` tag follows before it ends: it was left open by a
 * cut record, so the `</Event>` closes the element and the records after it are still read.
 */
function findCloseTag(buffer: string, start: number): number {
  let from = start;
  for (;;) {
    const close = buffer.indexOf(CLOSE_TAG, from);
    if (close < 0) return -1;

    let hidden = -1;
    let end = '';
    for (const [opener, closer] of HIDING_SECTIONS) {
      const at = buffer.indexOf(opener, from);
      if (at >= 0 && at < close && (hidden < 0 || at < hidden)) {
        hidden = at;
        end = closer;
      }
    }
    if (hidden < 0) return close;

    const sectionEnd = buffer.indexOf(end, hidden);
    const next = findOpenTag(buffer, close);
    if (next >= 0 && (sectionEnd < 0 || next < sectionEnd)) return close;
    if (sectionEnd < 0) return -1;
    from = sectionEnd + end.length;
  }
}

/** Tells whether a CDATA section or a comment starts between `from` and `to`. */
function hidesText(buffer: string, from: number, to: number): boolean {
  return HIDING_SECTIONS.some(([opener]) => {
    const at = buffer.indexOf(opener, from);
    return at >= 0 && at < to;
  });
}

function findOpenTag(buffer: string, from: number): number {
  let at = buffer.indexOf(OPEN_TAG, from);
  while (at >= 0) {
    const next = buffer.charCodeAt(at + OPEN_TAG.length);
    if (Number.isNaN(next)) return -1;
    if (isTagEnd(next)) return at;
    at = buffer.indexOf(OPEN_TAG, at + 1);
  }
  return -1;
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

function tooLarge(
  snippet: string,
  record: number,
  line: number,
  options: XmlFramingOptions,
): XmlEventRecord {
  return {
    error: {
      code: 'record_too_large',
      message: `<Event> element is longer than the limit of ${options.maxRecordLength} characters`,
    },
    snippet,
    record,
    line,
  };
}
