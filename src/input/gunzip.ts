/**
 * gzip input read member by member. Written here because zlib's gunzip drops decompressed text
 * when bytes that are not a member follow the last one, and stops at junk between two members
 * (see `GunzipReader`).
 */
import { PassThrough, type Readable } from 'node:stream';
import { couldStartHeader, GzipHeaderError, GzipHeaderParser } from './gzip-header.js';
import { GzipMemberInflater } from './gzip-member.js';
import {
  describeLineBreak,
  describeMemberInside,
  describeTrailerMismatches,
  SkippedBytes,
} from './gzip-skip.js';
import { InputWindow, type Part } from './gzip-window.js';

/** zlib's message for deflate data that the input ends inside. */
const CUT_SHORT = 'unexpected end of file';

/** CRC-32 and length of the uncompressed data, after each member's deflate data. */
const TRAILER_BYTES = 8;

const MAGIC_0 = 0x1f;
const LINE_FEED = 0x0a;

/**
 * Compressed bytes kept of a candidate member (see `Trial`) before it gives a line. A real member
 * gives one well before, unless its header fields are unusually long. Its first 64 KiB of text
 * count as a line (HELD_BYTES in gzip-member.ts), and deflate data that codes every byte in the
 * longest code of 15 bits gives them in 120 KiB.
 */
const TRIAL_BYTES = 1024 * 1024;

/**
 * Compressed bytes that the reader keeps behind the part it reads, to search them again for a
 * member (see `InputWindow`). A member cut short and followed by another has its inflater read
 * on into the next member, until that deflate data fails or seems to end. The search finds the
 * next member if it started at most this far back. In 900 cuts at random points of 2 MB of
 * real logs compressed at levels 1, 6 and 9, each followed by 20 members, Node 20's zlib stopped
 * at most 58 KiB past the cut. The window also lets a damaged member of up to this size be read
 * again to recover its text up to the damage (see gzip-member.ts).
 */
const WINDOW_BYTES = 16 * 1024 * 1024;

/** The part of the member structure that the next compressed byte belongs to. */
type State = 'header' | 'body' | 'trailer' | 'between' | 'search';

const failures = new WeakMap<Readable, Error>();
const warnings = new WeakMap<Readable, string[]>();

/**
 * Decompresses a gzip stream. Concatenated members are read as one stream, as `zcat` does. Junk
 * before the first member, junk between members and damaged members are skipped up to the next
 * valid member, and junk after the last member is ignored (see `GunzipReader`).
 *
 * The output ends normally when reading fails, after every byte decompressed before the failure,
 * and `readFailure` returns the error. Damage that the reader read past is returned by
 * `readWarnings`.
 */
export function gunzip(raw: Readable): Readable {
  const output = new PassThrough();
  const reader = new GunzipReader(output);
  warnings.set(output, reader.warnings);
  reader.run(raw).then(
    () => output.end(),
    (error: Error) => {
      failures.set(output, error);
      output.end();
    },
  );
  // A reader that stops early destroys the stream it was given, so the streams under it close.
  output.once('close', () => {
    reader.stop();
    raw.destroy();
  });
  return output;
}

/** Returns the error that ended a decompressed stream early, once it has ended. */
export function readFailure(stream: Readable): Error | undefined {
  return failures.get(stream);
}

/**
 * Returns what was damaged in a decompressed stream that the reader read past (junk before,
 * between or after members, a damaged member before a valid one, a trailer that does not match),
 * once the stream has ended.
 */
export function readWarnings(stream: Readable): readonly string[] {
  return warnings.get(stream) ?? [];
}

/**
 * A candidate member, read on trial until it gives a line of text or ends with a matching
 * trailer. When it turns out to be junk, the search for a member goes on from its second byte,
 * which the input window still holds.
 */
interface Trial {
  start: number;
  /** Compressed bytes read from `start`. */
  size: number;
}

/**
 * The bytes read as the deflate data of a member whose trailer did not match or was cut, up to
 * `end`: they are searched for a member that starts inside them (see `lookBack`).
 */
interface Lookback {
  member: number;
  end: number;
}

/**
 * Splits gzip input into members (RFC 1952): this class parses each header and checks each
 * trailer, and a raw inflater per member decompresses the deflate data between them. zlib's
 * gunzip does all three, but bytes after the last member that are not a member fail it. It then
 * drops the text that it decompressed in the same call as the failure, up to 16 KiB, which is
 * all of a small file. A member's own inflater stops at the end of its deflate data, so what
 * follows cannot take the member's text with it.
 *
 * After a member come zero bytes (block padding that tapes and some writers add), skipped
 * silently as by `zcat`, then the next member. Any other bytes there, bytes before the first
 * member, and the rest of a member whose deflate data fails, are skipped up to the next valid
 * member. Its header starts with the magic 1f 8b, method 8 and valid flags, and it inflates to a
 * line of text or to its end with a matching trailer. The first member is held to the same test,
 * so a first member whose header is damaged is skipped like junk. A line cut by the skipped
 * bytes ends at them (see `confirm`). Each skipped range is one warning with its offset and
 * length.
 *
 * The members before such damage were checked against their trailers, so their records are
 * whole, and so are those of the members after it. `zcat` (gzip 1.12) instead stops at the junk,
 * warns "trailing garbage ignored", and loses the members after it.
 *
 * When no valid member follows, the input ends as follows:
 * - Junk after the last member is ignored with a warning, and the input counts as read. This is
 *   so for junk of a single byte (a newline that an editor appended, or a lone 0x1f) as for an
 *   HTML error page appended to a download. It is so too for junk that starts with the magic
 *   but is no valid member, since it carries no records.
 * - A member whose deflate data is damaged or cut fails the input, after the text before the
 *   damage, because the rest of its records are lost. A member after another whose deflate data
 *   fails before it gives a whole line is junk, though, because a user cannot tell bytes such as
 *   `1f 8b 08 00` then text from a member.
 * - An input without any valid member fails as not gzip, with the reason that its first bytes
 *   are no member.
 *
 * Damage in the last few bytes of a member, a trailer that does not match or that the input
 * ends inside, gives a warning too. The deflate data reached its final block, so every record
 * was decompressed and is parsed on its own. A CRC-32 mismatch means that the trailer or,
 * undetected by inflate, the text was damaged. The member can also have been cut short with the
 * next member after it, whose bytes its inflater read on as deflate data that seemed to end, so
 * those bytes are searched for a member (see `lookBack`).
 *
 * NOTE: each candidate that turns out to be junk is read again from its second byte, so junk
 * made of many candidates that each inflate far costs up to TRIAL_BYTES per candidate.
 */
class GunzipReader {
  private state: State = 'between';
  private header = new GzipHeaderParser();
  private inflater: GzipMemberInflater | undefined;
  /** CRC-32 and length of the text of the member whose trailer is read. */
  private crc = 0;
  private size = 0;
  /** Last byte of the text written so far, undefined for no text. */
  private lastByte: number | undefined;
  /** Last byte of the text of the member whose trailer is read, undefined for no text. */
  private memberLastByte: number | undefined;
  /** Text of a member on trial that ended before a line, written once its trailer matches. */
  private heldText: Buffer | undefined;
  /**
   * Set when the text written so far ends inside a line that damage cut, so that the next
   * member's text starts on a new line (see `confirm`).
   */
  private breakLine = false;
  /** Offset of the member whose trailer showed its text damaged, for `breakLine`. */
  private damagedMember = 0;
  private readonly trailer = Buffer.alloc(TRAILER_BYTES);
  private trailerFilled = 0;
  /** Offset in the compressed input of the part being read. */
  private partStart = 0;
  /** Offset after the last byte of the input received so far. */
  private inputEnd = 0;
  /** The last bytes of the input, read again from `rewindTo` (see `InputWindow`). */
  private readonly window = new InputWindow(WINDOW_BYTES);
  /** Offset to read on from, set when the reader must read bytes that it has read already. */
  private rewindTo: number | undefined;
  /** True once a valid member was found. */
  private found = false;
  private memberStart = 0;
  /** Offset of the deflate data of the member being read. */
  private bodyStart = 0;
  private trial: Trial | undefined;
  /** The range being skipped while the reader searches for the next member. */
  private skip: SkippedBytes | undefined;
  /** The bytes of a damaged member searched for a member inside them. */
  private lookback: Lookback | undefined;
  /** The failure of a damaged member, raised when no member follows it. */
  private failure: Error | undefined;
  private stopped = false;
  readonly warnings: string[] = [];

  constructor(private readonly output: PassThrough) {}

  async run(raw: Readable): Promise<void> {
    try {
      for await (const chunk of raw) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        const part = { bytes, offset: this.inputEnd };
        this.inputEnd += bytes.length;
        // A member on trial is read again from its second byte if it turns out to be junk.
        this.window.append(part, this.trial?.start ?? part.offset);
        await this.read([part]);
        if (this.stopped) return;
      }
      await this.finish();
    } finally {
      this.inflater?.destroy();
    }
  }

  stop(): void {
    this.stopped = true;
    this.inflater?.destroy();
  }

  /** Reads parts in order, and reads on from `rewindTo` whenever a step sets it. */
  private async read(parts: Part[]): Promise<void> {
    let queue = parts;
    while (queue.length > 0 && !this.stopped) {
      const part = queue.shift() as Part;
      this.partStart = part.offset;
      let index = 0;
      while (index < part.bytes.length && !this.stopped) {
        index = await this.step(part.bytes, index);
        if (this.rewindTo !== undefined) {
          queue = this.takeRewind();
          break;
        }
      }
    }
  }

  private step(chunk: Buffer, index: number): number | Promise<number> {
    switch (this.state) {
      case 'header':
        return this.readHeader(chunk, index);
      case 'body':
        return this.inflate(chunk, index);
      case 'trailer':
        return this.readTrailer(chunk, index);
      case 'between':
        return this.readBetween(chunk, index);
      case 'search':
        return this.search(chunk, index);
    }
  }

  /** Returns the bytes from `rewindTo` to the end of the input received so far. */
  private takeRewind(): Part[] {
    const offset = this.rewindTo as number;
    this.rewindTo = undefined;
    return this.window.from(offset);
  }

  private readHeader(chunk: Buffer, start: number): number {
    let end: number;
    try {
      end = this.header.parse(chunk, start);
    } catch (error) {
      if (!(error instanceof GzipHeaderError)) throw error;
      // A candidate with an invalid header is junk, because a header carries no records. A
      // real member with a damaged header looks the same as junk, so the warning quotes it.
      this.rejectTrial(`their member header is invalid: ${error.message}`);
      return start;
    }
    if (!this.keepTrial(start, end)) return end;
    if (this.header.done) this.startBody(this.partStart + end);
    return end;
  }

  private startBody(offset: number): void {
    // A member on trial keeps its text back until its first line break (see `failBody`).
    const onFirstLine = this.trial ? () => this.confirm() : undefined;
    const readBack = (length: number) => this.window.range(offset, offset + length);
    this.inflater = new GzipMemberInflater(this.output, onFirstLine, readBack);
    this.bodyStart = offset;
    this.state = 'body';
  }

  /** Inflates the rest of the chunk and returns the index after the member's deflate data. */
  private async inflate(chunk: Buffer, start: number): Promise<number> {
    const inflater = this.inflater as GzipMemberInflater;
    let unused: number;
    try {
      unused = await inflater.write(start === 0 ? chunk : chunk.subarray(start));
    } catch (error) {
      return this.failBody(error, start);
    }
    const end = chunk.length - unused;
    if (!this.keepTrial(start, end)) return end;
    if (unused > 0) this.endBody();
    return end;
  }

  /**
   * Handles deflate data that failed, and returns the index to read on from in the part. A member
   * on trial that has given no whole line is junk. Bytes such as `1f 8b 08 00` then text pass as
   * a valid header, and their deflate data then fails at once: they hold no record. A member that
   * gave a line is damaged, so the reader searches on for the next member after the text before
   * the damage, and fails the input with `error` if there is none.
   */
  private failBody(error: unknown, start: number, inputEnded = false): number {
    const inflater = this.inflater as GzipMemberInflater;
    if (this.stopped) throw error;

    const message = error instanceof Error ? error.message : String(error);
    if (this.trial && this.trial.start === 0 && inputEnded && message === CUT_SHORT) {
      // A valid header at byte 0 and deflate data that is whole up to the input's end make a
      // .gz cut short, not junk: its text is read, and the input fails as cut.
      this.heldText = inflater.takeHeld();
      this.confirm();
    }
    if (this.trial) {
      const heldBytes = inflater.heldBytes;
      const dropped =
        heldBytes === 0
          ? ''
          : `. The ${heldBytes === 1 ? '1 byte' : `${heldBytes} bytes`} of text that they ` +
            'decompress to before the failure contain no line break and were ignored too';
      this.rejectTrial(
        `their deflate data failed before a whole line of text: ${message}${dropped}`,
      );
      return start;
    }

    const failedAt = this.bodyStart + inflater.failedAt;
    this.endText(inflater.lastByte);
    this.breakLine ||= this.lineOpen();
    inflater.destroy();
    this.inflater = undefined;
    const cause = { kind: 'damage', member: this.memberStart, failedAt, message } as const;
    this.skip = new SkippedBytes(this.memberStart, cause);
    this.failure = error instanceof Error ? error : new Error(message);
    this.state = 'search';
    // The search starts at the member's deflate data, because a member cut short and followed
    // by another has its inflater read into the next member's bytes before it fails.
    this.rewindTo = Math.max(this.bodyStart, this.window.start);
    return start;
  }

  private endBody(): void {
    const inflater = this.inflater as GzipMemberInflater;
    if (this.trial) this.heldText = inflater.takeHeld();
    else inflater.release();
    this.crc = inflater.crc;
    this.size = inflater.size;
    this.memberLastByte = inflater.lastByte;
    inflater.destroy();
    this.inflater = undefined;
    this.state = 'trailer';
    this.trailerFilled = 0;
  }

  private readTrailer(chunk: Buffer, start: number): number {
    const end = Math.min(chunk.length, start + TRAILER_BYTES - this.trailerFilled);
    chunk.copy(this.trailer, this.trailerFilled, start, end);
    this.trailerFilled += end - start;
    if (this.trailerFilled < TRAILER_BYTES) {
      this.keepTrial(start, end);
      return end;
    }

    const stored = { crc: this.trailer.readUInt32LE(0), size: this.trailer.readUInt32LE(4) };
    // The trailer stores the length modulo 2^32.
    const computed = { crc: this.crc, size: this.size % 2 ** 32 };
    const mismatches = describeTrailerMismatches(this.memberStart, stored, computed);
    if (this.trial && mismatches.length > 0) {
      this.rejectTrial(
        'their deflate data ends before a whole line of text, and their trailer does not match it',
      );
      return start;
    }

    if (this.trial) this.confirm();
    this.endText(this.memberLastByte);
    this.warnings.push(...mismatches);
    this.state = 'between';
    if (mismatches.length > 0) this.lookBack(this.partStart + end);
    return end;
  }

  /**
   * Searches the bytes read as the deflate data of the member just read, up to `end`, for a
   * member that starts inside them, when its trailer did not match or was cut. A member cut
   * short and followed by another has its inflater read on into the next member. Those bytes
   * then fail as deflate data (see `failBody`) or, about as often with real text, seem to end
   * it, and the next member started before its supposed trailer. When no member starts inside
   * them, the reader goes on after `end`.
   */
  private lookBack(end: number): void {
    // Damaged text may end inside a line that the next member must not continue.
    if (this.lineOpen()) {
      this.breakLine = true;
      this.damagedMember = this.memberStart;
    }
    this.lookback = { member: this.memberStart, end };
    this.state = 'search';
    this.rewindTo = Math.max(this.bodyStart, this.window.start);
  }

  /**
   * Skips zero padding after a member, then starts the next member or the search for one. Before
   * the first member, zero bytes are junk like any other.
   */
  private readBetween(chunk: Buffer, start: number): number {
    let index = start;
    if (this.found) while (index < chunk.length && chunk[index] === 0) index++;
    if (index === chunk.length) return index;

    const offset = this.partStart + index;
    if (chunk[index] === MAGIC_0) {
      this.startTrial(offset);
      return index;
    }
    this.skip = new SkippedBytes(offset, { kind: 'junk' }, !this.found);
    this.breakLine ||= this.lineOpen();
    this.state = 'search';
    return index;
  }

  /**
   * Searches the skipped bytes for the next candidate member, which is then read on trial. Looking
   * back inside a damaged member, the search stops at the end of the bytes read as its deflate
   * data, and the reader goes on there as after a member.
   */
  private search(chunk: Buffer, start: number): number {
    const lookback = this.lookback;
    const limit = lookback ? Math.min(chunk.length, lookback.end - this.partStart) : chunk.length;
    let index = chunk.indexOf(MAGIC_0, start);
    while (index >= 0 && index < limit && !couldStartHeader(chunk, index)) {
      index = chunk.indexOf(MAGIC_0, index + 1);
    }
    const candidate = index >= 0 && index < limit;
    const end = candidate ? index : limit;
    this.skip?.note(chunk.subarray(start, end), this.partStart + start);
    if (candidate) {
      this.startTrial(this.partStart + index);
    } else if (lookback && this.partStart + end === lookback.end) {
      this.lookback = undefined;
      this.state = 'between';
    }
    return end;
  }

  private startTrial(offset: number): void {
    this.memberStart = offset;
    this.header = new GzipHeaderParser();
    this.trial = { start: offset, size: 0 };
    this.state = 'header';
  }

  /**
   * Counts the bytes from `start` to `end` of the member on trial, if any. Returns false when the
   * trial ended because its member read more than TRIAL_BYTES without giving a line.
   */
  private keepTrial(start: number, end: number): boolean {
    const trial = this.trial;
    if (!trial) return true;
    trial.size += end - start;
    if (trial.size <= TRIAL_BYTES) return true;

    this.rejectTrial(`their first ${TRIAL_BYTES} bytes give no line of text`);
    return false;
  }

  /**
   * Turns the member on trial into skipped bytes, with `reason` when they are the first skipped,
   * and searches on from its second byte. Inside a damaged member that is looked back into, it
   * skips nothing, since those bytes were read already.
   */
  private rejectTrial(reason: string): void {
    const trial = this.trial as Trial;
    this.trial = undefined;
    this.inflater?.destroy();
    this.inflater = undefined;
    this.heldText = undefined;
    this.state = 'search';
    this.rewindTo = trial.start + 1;
    if (this.lookback) return;

    if (!this.skip) {
      this.skip = new SkippedBytes(trial.start, { kind: 'junk', reason }, !this.found);
      this.breakLine ||= this.lineOpen();
    }
    this.skip.note(Buffer.of(MAGIC_0), trial.start);
  }

  /**
   * Accepts the member on trial as a member, when it gives its first line or ends with a matching
   * trailer. The range skipped before it is reported, and a line that the range cut is ended with
   * a line break before the member's text: joined to the member's first line, it would lose an
   * intact record with it. A member boundary is no record boundary in general, since `gzip -c a b`
   * joins the texts of two files and bgzip cuts its members every 64 KiB wherever a line is. So
   * a line is broken only where damage is. Line numbers after the break are one higher than in
   * the text that `zcat` prints.
   */
  private confirm(): void {
    const trial = this.trial as Trial;
    this.trial = undefined;
    this.found = true;
    const skip = this.skip;
    this.skip = undefined;
    const lookback = this.lookback;
    this.lookback = undefined;
    this.failure = undefined;
    const breakLine = this.breakLine;
    this.breakLine = false;

    if (skip) {
      this.warnings.push(skip.describeBefore(trial.start, breakLine));
    } else if (lookback) {
      this.warnings.push(describeMemberInside(lookback.member, trial.start, breakLine));
    } else if (breakLine) {
      this.warnings.push(describeLineBreak(this.damagedMember, trial.start));
    }
    if (breakLine) this.writeText(Buffer.of(LINE_FEED));
    const held = this.heldText;
    this.heldText = undefined;
    if (held && held.length > 0) this.writeText(held);
  }

  private writeText(text: Buffer): void {
    this.output.write(text);
    this.endText(text[text.length - 1]);
  }

  /** Notes the last byte of text written, when a member or a write ends with some. */
  private endText(lastByte: number | undefined): void {
    if (lastByte !== undefined) this.lastByte = lastByte;
  }

  /** Tells whether the text written so far ends inside a line. */
  private lineOpen(): boolean {
    return this.lastByte !== undefined && this.lastByte !== LINE_FEED;
  }

  /** Ends the input, then reads again what a candidate left, until nothing is left to read. */
  private async finish(): Promise<void> {
    while (!this.stopped) {
      await this.finishState();
      if (this.rewindTo === undefined) return;
      await this.read(this.takeRewind());
    }
  }

  private async finishState(): Promise<void> {
    // A candidate's header cut by the end of the input carries no records either.
    if (this.state === 'header')
      return this.rejectTrial('the input ends inside their member header');
    if (this.state === 'body') {
      // The deflate data either ends with the input, which leaves the trailer out, or is cut,
      // which fails with zlib's "unexpected end of file".
      try {
        await (this.inflater as GzipMemberInflater).end();
      } catch (error) {
        this.failBody(error, 0, true);
        return;
      }
      this.endBody();
    }
    if (this.state === 'trailer') return this.finishTrailer();
    // The input ends where the bytes looked back into end, and the reader goes on after them.
    if (this.lookback) {
      this.lookback = undefined;
      this.state = 'between';
    }
    if (this.state === 'between') {
      if (!this.found) throw new Error('not gzip: the input ends before any gzip member');
      return;
    }
    if (this.failure) throw this.failure;
    const skip = this.skip as SkippedBytes;
    if (!this.found) throw new Error(skip.describeWhole(this.inputEnd));
    this.warnings.push(skip.describeTrailing(this.inputEnd));
  }

  /**
   * Ends a member whose trailer the input ends before or inside. A member on trial that gave
   * text is kept, as it would be after a whole line: its trailer is lost, not its text.
   */
  private finishTrailer(): void {
    if (this.trial) {
      if (this.heldText === undefined || this.heldText.length === 0) {
        this.rejectTrial('the input ends inside their trailer');
        return;
      }
      this.confirm();
    }
    this.endText(this.memberLastByte);
    const where = this.trailerFilled === 0 ? 'before' : `${this.trailerFilled} bytes into`;
    this.warnings.push(
      `the input ends ${where} the ${TRAILER_BYTES}-byte trailer of the gzip member at byte ` +
        `${this.memberStart}, so its CRC-32 and length were not checked`,
    );
    this.lookBack(this.inputEnd);
  }
}
