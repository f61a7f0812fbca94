/**
 * Markup scanning for the framing of Windows event XML: where an `<Event>` element ends, and where
 * a comment, CDATA section or processing instruction ends. Those sections may contain `<Event`
 * and `</Event>` as text, so a section left open by a cut record would hide the records after
 * it. `XmlMarkupScanner.section` contains the rule that distinguishes the two.
 */

import { Occurrences } from './occurrences.js';
import { CommentNesting } from './xml-comment-nesting.js';

export const OPEN_TAG = '<Event';
export const CLOSE_TAG = '</Event>';

/** A kind of markup whose text is not parsed as markup, with its delimiters. */
export interface XmlSection {
  opener: string;
  closer: string;
  name: string;
}

const COMMENT: XmlSection = { opener: '<!--', closer: '-->', name: 'comment' };

const SECTIONS: readonly XmlSection[] = [
  COMMENT,
  { opener: '<![CDATA[', closer: ']]>', name: 'CDATA section' },
  { opener: '<?', closer: '?>', name: 'processing instruction' },
];

/** Characters needed after a `<` to classify the markup it starts: the length of `<![CDATA[`. */
export const MARKUP_LOOKAHEAD = 9;

const EXCLAMATION = 0x21;
const QUESTION = 0x3f;

function isTagEnd(code: number): boolean {
  return code === 0x3e || code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Tells whether an `<Event>` start tag begins at `at`. It does not while its name may go on. */
export function isEventStart(buffer: string, at: number): boolean {
  return buffer.startsWith(OPEN_TAG, at) && isTagEnd(buffer.charCodeAt(at + OPEN_TAG.length));
}

/** Returns the section whose opener starts at `at`, if any. */
export function sectionAt(buffer: string, at: number): XmlSection | undefined {
  const next = buffer.charCodeAt(at + 1);
  if (next !== EXCLAMATION && next !== QUESTION) return undefined;
  return SECTIONS.find((section) => buffer.startsWith(section.opener, at));
}

/** How far a section reaches in the buffer. */
export type SectionScan =
  | { state: 'closed'; end: number }
  /**
   * Left open by a cut record, whose section ends before the `<Event>` start tag at `next`.
   * The records after it are read from `resume`, which is `next` or a section around `next`.
   */
  | { state: 'cut'; next: number; resume: number }
  /** The buffer ends first. `next` is the first `<Event>` start tag in the text, or -1. */
  | { state: 'open'; next: number };

/** The end of an `<Event>` element in the buffer, or why it has none. */
export type ElementScan =
  | { state: 'complete'; end: number }
  /** An `<Event>` start tag in the element's markup, at `next`: the element is cut there. */
  | { state: 'nested'; next: number }
  /**
   * A section of the element left open by a cut record, as `SectionScan` describes it. `end`
   * follows the element's own `</Event>` when the section's text contains one, else it is -1.
   */
  | {
      state: 'cut';
      next: number;
      resume: number;
      section: XmlSection;
      sectionStart: number;
      end: number;
    }
  /** The buffer ends inside the element. */
  | { state: 'open' };

/**
 * Scans one buffer of XML text; build a new scanner when the buffer changes. The occurrences of
 * each needle are kept, so the buffer is searched once per needle, however far the lookahead of
 * a section jumps ahead and back.
 */
export class XmlMarkupScanner {
  private readonly occurrences = new Map<string, Occurrences>();
  /** The last lookahead for each closer: where the sections it passed over start, what it found. */
  private readonly lookaheads = new Map<string, { passed: Set<number>; found: number }>();
  /** Built when a comment contains `<!--`, which only damaged or hand-edited text does. */
  private nesting: CommentNesting | undefined;

  /**
   * @param maxLength farthest a closer may end past its limit's start, and still close a
   *   section that contains an `<Event>` start tag (see `section`)
   * @param final true when no more text follows the buffer
   */
  constructor(
    private readonly buffer: string,
    private readonly maxLength: number,
    private readonly final: boolean,
  ) {}

  /** Finds the end of the `<Event>` element that starts at `start`. */
  element(start: number): ElementScan {
    let at = start + OPEN_TAG.length;
    for (;;) {
      const close = this.find(CLOSE_TAG, at);
      const nested = this.findEventStart(at);
      const opened = this.findSectionStart(at);
      const first = earliest(earliest(close, nested), opened?.at ?? -1);
      if (first < 0) return { state: 'open' };
      if (first === close) return { state: 'complete', end: close + CLOSE_TAG.length };
      if (first === nested) return { state: 'nested', next: nested };

      const { section } = opened as SectionStart;
      const body = first + section.opener.length;
      const scan = this.section(body, section, start);
      if (scan.state === 'open') return { state: 'open' };
      if (scan.state === 'closed') {
        at = scan.end;
        continue;
      }
      const end = this.buffer.lastIndexOf(CLOSE_TAG, scan.resume - CLOSE_TAG.length);
      const closed = end >= body ? end + CLOSE_TAG.length : -1;
      return { ...scan, section, sectionStart: first, end: closed };
    }
  }

  /**
   * Finds the end of the section whose text starts at `from`. XML ends it at the first closer,
   * which would let a section left open by a cut record take the records after it along. So
   * when the text contains an `<Event>` start tag before that closer, the section is closed only
   * by a closer after the tag and outside the sections that open after the tag. That closer must
   * end within `maxLength` of `limitFrom`, or of the tag when `limitFrom` is unset. When the
   * input or the limit comes first, the section is cut, and the records after it start at the
   * tag or at a comment around it.
   *
   * NOTE: valid CDATA text with `<Event` and then `<![CDATA[` in it is taken for a cut section.
   */
  section(from: number, section: XmlSection, limitFrom?: number): SectionScan {
    const next = this.findEventStart(from);
    const close = this.findCloser(section, from, next < 0 ? this.buffer.length : next);
    if (close >= 0) return { state: 'closed', end: close + section.closer.length };
    if (next < 0) return { state: 'open', next: -1 };

    const limitEnd = (limitFrom ?? next) + this.maxLength;
    const outside = this.findCloserOutside(next, section.closer);
    const end = outside < 0 ? -1 : outside + section.closer.length;
    if (end >= 0 && end <= limitEnd) return { state: 'closed', end };
    if (end >= 0 || this.final || this.buffer.length > limitEnd) {
      return { state: 'cut', next, resume: this.findResume(from, next) };
    }
    return { state: 'open', next };
  }

  /**
   * Returns where the records after a section cut before `next` resume. The text after the cut
   * may open a comment or processing instruction around `next`, such as a commented-out event,
   * and reading on from `next` would then read the commented-out text.
   */
  private findResume(from: number, next: number): number {
    let at = from;
    for (;;) {
      const inner = this.findSectionStart(at);
      if (inner === undefined || inner.at >= next) return next;
      const body = inner.at + inner.section.opener.length;
      const close = this.findCloser(inner.section, body, next);
      if (close < 0) return inner.at;
      at = close + inner.section.closer.length;
    }
  }

  /**
   * Returns the index of the first `closer` from `from` that lies outside the sections opening
   * after `from`, or -1 when the buffer ends first.
   *
   * NOTE: a later section left open by another cut is skipped to its first closer, as XML reads
   * it. When that closer lies in a commented-out event, two cuts can hide the records between.
   */
  private findCloserOutside(from: number, closer: string): number {
    const last = this.lookaheads.get(closer);
    const passed = new Set<number>();
    let at = from;
    for (;;) {
      const close = this.find(closer, at);
      const inner = this.findSectionStart(at);
      if (inner === undefined || (close >= 0 && close < inner.at)) {
        this.lookaheads.set(closer, { passed, found: close });
        return close;
      }

      // From a section that the last lookahead passed over too, both read the same text.
      if (last?.passed.has(inner.at)) {
        for (const start of passed) last.passed.add(start);
        return last.found;
      }
      passed.add(inner.at);
      const innerBody = inner.at + inner.section.opener.length;
      const innerClose = this.findCloser(inner.section, innerBody, this.buffer.length);
      if (innerClose < 0) {
        this.lookaheads.set(closer, { passed, found: -1 });
        return -1;
      }
      at = innerClose + inner.section.closer.length;
    }
  }

  /**
   * Returns the index of the closer of the section whose text starts at `from`, or -1 when no
   * closer starts before `until`. Comments nest, as `CommentNesting` describes.
   */
  private findCloser(section: XmlSection, from: number, until: number): number {
    const close = this.find(section.closer, from);
    if (section !== COMMENT || close < 0) return before(close, until);
    const open = this.find(COMMENT.opener, from);
    if (open < 0 || open > close) return before(close, until);

    if (this.nesting === undefined) {
      const openers = this.occurrencesOf(COMMENT.opener).all();
      this.nesting = new CommentNesting(openers, this.occurrencesOf(COMMENT.closer).all());
    }
    return before(this.nesting.closerOf(from), until);
  }

  private findSectionStart(from: number): SectionStart | undefined {
    let first: SectionStart | undefined;
    for (const section of SECTIONS) {
      const at = this.find(section.opener, from);
      if (at >= 0 && (first === undefined || at < first.at)) first = { at, section };
    }
    return first;
  }

  private findEventStart(from: number): number {
    let at = this.find(OPEN_TAG, from);
    while (at >= 0 && !isEventStart(this.buffer, at)) at = this.find(OPEN_TAG, at + 1);
    return at;
  }

  private find(needle: string, from: number): number {
    return this.occurrencesOf(needle).next(from);
  }

  private occurrencesOf(needle: string): Occurrences {
    let occurrences = this.occurrences.get(needle);
    if (occurrences === undefined) {
      occurrences = new Occurrences(this.buffer, needle);
      this.occurrences.set(needle, occurrences);
    }
    return occurrences;
  }
}

interface SectionStart {
  at: number;
  section: XmlSection;
}

/** Returns the smaller of two indices that are not -1, or -1 when both are. */
function earliest(a: number, b: number): number {
  if (a < 0) return b;
  return b < 0 || a < b ? a : b;
}

/** Returns `index` when it comes before `until`, else -1. */
function before(index: number, until: number): number {
  return index < until ? index : -1;
}
