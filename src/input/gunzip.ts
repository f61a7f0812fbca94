/**
 * gzip input read member by member. Written here because zlib's gunzip drops decompressed text
 * when bytes that are not a member follow the last one (see `GunzipReader`).
 */
import { PassThrough, type Readable } from 'node:stream';
import { GzipHeaderError, GzipHeaderParser } from './gzip-header.js';
import { GzipMemberInflater } from './gzip-member.js';

/** CRC-32 and length of the uncompressed data, after each member's deflate data. */
const TRAILER_BYTES = 8;

const MAGIC_0 = 0x1f;
const MAGIC_1 = 0x8b;
const LINE_FEED = 0x0a;

/** Bytes of ignored data quoted in the warning, so that a user can tell what was appended. */
const PREVIEW_BYTES = 32;

/** The part of the member structure that the next compressed byte belongs to. */
type State = 'header' | 'body' | 'trailer' | 'between' | 'garbage';

const failures = new WeakMap<Readable, Error>();
const warnings = new WeakMap<Readable, string[]>();

/**
 * Decompresses a gzip stream whose first bytes are the gzip magic. Concatenated members are read
 * as one stream, as `zcat` does, and so is damage after the last member (see `GunzipReader`).
 *
 * The output ends normally when reading fails, after every byte decompressed before the failure,
 * and `readFailure` returns the error. Damage that loses no data is returned by `readWarnings`.
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
 * Returns what was damaged in a decompressed stream without losing any decompressed byte
 * (bytes after the last member, a trailer that does not match), once it has ended.
 */
export function readWarnings(stream: Readable): readonly string[] {
  return warnings.get(stream) ?? [];
}

/**
 * Splits gzip input into members (RFC 1952): this class parses each header and checks each
 * trailer, and a raw inflater per member decompresses the deflate data between them. zlib's
 * gunzip does all three, but bytes after the last member that are not a member fail it. It then
 * drops the text that it decompressed in the same call as the failure, up to 16 KiB, which is
 * all of a small file. A member's own inflater stops at the end of its deflate data, so what
 * follows cannot take the member's text with it.
 *
 * What follows the last member decides how the input ends:
 * - Zero bytes (block padding that tapes and some writers add) are ignored silently, as by
 *   `zcat`.
 * - A member whose header is valid but whose deflate data is damaged or cut after it gave a whole
 *   line fails the input, after the text before the damage, because the rest of that member's
 *   records are lost.
 * - When that deflate data fails before it gives a whole line, the bytes are ignored as junk
 *   instead (see `failBody`).
 * - Anything else is ignored with a warning, and the input counts as read. Each member before it
 *   was checked against its trailer, so its records are whole. This is so for two good members
 *   followed by junk as for one. It is so for junk of a single byte (a newline that an editor
 *   appended, or a lone 0x1f, too short to be a header) as for an HTML error page appended to a
 *   download. It is so too for junk that starts with the magic 1f 8b but whose member header is
 *   invalid or cut, since that header carries no records. `zcat` (gzip 1.12) also prints every
 *   member, then warns "trailing garbage ignored", though it exits with an error ("unknown
 *   method") when such junk starts with the magic.
 *
 * Damage in the last few bytes of a member, a trailer that does not match or that the input
 * ends inside, gives a warning too. The deflate data reached its final block, so every record
 * was decompressed and is parsed on its own. A CRC-32 mismatch means that the trailer or,
 * undetected by inflate, the text was damaged.
 */
class GunzipReader {
  private state: State = 'header';
  private header = new GzipHeaderParser();
  private inflater: GzipMemberInflater | undefined;
  /** CRC-32 and length of the text of the member whose trailer is read. */
  private crc = 0;
  private size = 0;
  /** Last byte of the text of the member whose trailer is read, undefined for no text. */
  private lastByte: number | undefined;
  /**
   * Set when the member just read is damaged and its text ends inside a line, so that the next
   * member's text starts on a new line (see `startMember`).
   */
  private breakLine = false;
  private readonly trailer = Buffer.alloc(TRAILER_BYTES);
  private trailerFilled = 0;
  /** Offset in the compressed input of the chunk being read. */
  private chunkStart = 0;
  private memberStart = 0;
  /** Set when what follows a member starts with byte 0x1f at the end of a chunk. */
  private magicPending = false;
  private garbageStart = 0;
  private garbageBytes = 0;
  private garbagePreview: Buffer[] = [];
  /** Reason that ignored bytes starting with the gzip magic are no member header. */
  private garbageReason: string | undefined;
  /** Whether a whole member was read before the member whose header is read. */
  private afterMember = false;
  /** The first bytes of a header after a member, quoted if they turn out not to be one. */
  private headerPreview: Buffer[] = [];
  private stopped = false;
  readonly warnings: string[] = [];

  constructor(private readonly output: PassThrough) {}

  async run(raw: Readable): Promise<void> {
    try {
      for await (const chunk of raw) {
        await this.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
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

  private async push(chunk: Buffer): Promise<void> {
    let index = 0;
    while (index < chunk.length && !this.stopped) {
      if (this.state === 'header') index = this.readHeader(chunk, index);
      else if (this.state === 'body') index = await this.inflate(chunk, index);
      else if (this.state === 'trailer') index = this.readTrailer(chunk, index);
      else if (this.state === 'between') index = this.readBetween(chunk, index);
      else index = this.readGarbage(chunk, index);
    }
    this.chunkStart += chunk.length;
  }

  private readHeader(chunk: Buffer, start: number): number {
    let end: number;
    try {
      end = this.header.parse(chunk, start);
    } catch (error) {
      if (!(error instanceof GzipHeaderError)) throw error;
      // After a whole member, bytes that start with the magic but form no valid header are
      // trailing junk like any other, because 1f 8b is as likely in junk as any two bytes. A
      // header carries no records. A real member with a damaged header is indistinguishable
      // from junk, so the warning quotes the bytes and the reason.
      if (this.afterMember) {
        keepPreview(this.headerPreview, chunk.subarray(start));
        this.headerToGarbage(chunk.length, `their member header is invalid: ${error.message}`);
        return chunk.length;
      }
      throw new Error(
        `invalid header of the gzip member at byte ${this.memberStart}: ${error.message}`,
      );
    }
    // The body's bytes are kept by `inflate`, in case its deflate data turns out junk too.
    if (this.afterMember) keepPreview(this.headerPreview, chunk.subarray(start, end));
    if (this.header.done) this.startBody();
    return end;
  }

  private startBody(): void {
    // After a whole member, the text is held until its first line break (see `failBody`).
    this.inflater = new GzipMemberInflater(this.output, this.afterMember);
    this.state = 'body';
  }

  /** Inflates the rest of the chunk and returns the index after the member's deflate data. */
  private async inflate(chunk: Buffer, start: number): Promise<number> {
    const inflater = this.inflater as GzipMemberInflater;
    if (inflater.holding) keepPreview(this.headerPreview, chunk.subarray(start));
    let unused: number;
    try {
      unused = await inflater.write(start === 0 ? chunk : chunk.subarray(start));
    } catch (error) {
      this.failBody(error, chunk.length);
      return chunk.length;
    }
    if (unused === 0) return chunk.length;
    this.endBody();
    return chunk.length - unused;
  }

  /**
   * Ignores the member being inflated as trailing junk when, after a whole member, its deflate
   * data fails before giving a whole line of text, and rethrows `error` otherwise. Bytes such as
   * `1f 8b 08 00` then text pass as a valid header, and their deflate data then fails at once, so
   * a user cannot tell them from junk, and `zcat` fails on them as on any junk. They hold no
   * record, and the members before them were checked whole. Deflate data that fails after a whole
   * line still fails the input, because records of that member were lost.
   */
  private failBody(error: unknown, end: number): void {
    const inflater = this.inflater as GzipMemberInflater;
    if (this.stopped || !this.afterMember || !inflater.holding) throw error;

    const heldBytes = inflater.heldBytes;
    const message = error instanceof Error ? error.message : String(error);
    const dropped =
      heldBytes === 0
        ? ''
        : `. The ${heldBytes === 1 ? '1 byte' : `${heldBytes} bytes`} of text that they ` +
          'decompress to before the failure contain no line break and were ignored too';
    inflater.destroy();
    this.inflater = undefined;
    this.headerToGarbage(
      end,
      `their deflate data failed before a whole line of text: ${message}${dropped}`,
    );
  }

  private endBody(): void {
    const inflater = this.inflater as GzipMemberInflater;
    inflater.release();
    this.crc = inflater.crc;
    this.size = inflater.size;
    this.lastByte = inflater.lastByte;
    inflater.destroy();
    this.inflater = undefined;
    this.state = 'trailer';
    this.trailerFilled = 0;
  }

  private readTrailer(chunk: Buffer, start: number): number {
    const end = Math.min(chunk.length, start + TRAILER_BYTES - this.trailerFilled);
    chunk.copy(this.trailer, this.trailerFilled, start, end);
    this.trailerFilled += end - start;
    if (this.trailerFilled < TRAILER_BYTES) return end;

    const member = `the gzip member at byte ${this.memberStart}`;
    const storedCrc = this.trailer.readUInt32LE(0);
    const storedSize = this.trailer.readUInt32LE(4);
    // The trailer stores the length modulo 2^32.
    const size = this.size % 2 ** 32;
    const damaged = storedCrc !== this.crc || storedSize !== size;
    this.breakLine = damaged && this.lastByte !== undefined && this.lastByte !== LINE_FEED;
    if (storedCrc !== this.crc) {
      this.warnings.push(
        `CRC-32 mismatch in ${member} (stored ${hex(storedCrc)}, computed ${hex(this.crc)}): ` +
          'its records were read, but the trailer or the text is damaged',
      );
    }
    if (storedSize !== size) {
      this.warnings.push(
        `length mismatch in ${member} (stored ${storedSize} bytes modulo 2^32, decompressed ` +
          `${size}): its records were read, but the trailer or the text is damaged`,
      );
    }
    this.state = 'between';
    return end;
  }

  /** Skips zero padding, then starts the next member or the ignored bytes. */
  private readBetween(chunk: Buffer, start: number): number {
    if (this.magicPending) {
      this.magicPending = false;
      const offset = this.chunkStart - 1;
      if (chunk[start] === MAGIC_1) this.startMember(offset, Buffer.of(MAGIC_0));
      else this.startGarbage(offset, Buffer.of(MAGIC_0));
      return start;
    }
    let index = start;
    while (index < chunk.length && chunk[index] === 0) index++;
    if (index === chunk.length) return index;

    const offset = this.chunkStart + index;
    if (chunk[index] !== MAGIC_0) {
      this.startGarbage(offset);
      return index;
    }
    if (index + 1 === chunk.length) {
      this.magicPending = true;
      return chunk.length;
    }
    if (chunk[index + 1] === MAGIC_1) this.startMember(offset);
    else this.startGarbage(offset);
    return index;
  }

  /** Starts a member at `offset`, whose first bytes `read` are in the previous chunk. */
  private startMember(offset: number, read?: Buffer): void {
    if (this.breakLine) this.startLine(offset);
    this.memberStart = offset;
    this.afterMember = true;
    this.header = new GzipHeaderParser();
    this.headerPreview = read ? [read] : [];
    if (read) this.header.parse(read, 0);
    this.state = 'header';
  }

  /**
   * Ends the damaged text of the member before `offset` with a line break. A member boundary is
   * no record boundary in general: `gzip -c a b` joins the texts of two files, and bgzip cuts its
   * members every 64 KiB wherever a line is. But once the trailer shows that a member's text is
   * damaged, its last partial line cannot be trusted, and joining it to the next member's first
   * line would lose an intact record with it. The partial line is rejected alone instead, and a
   * record that truly spans the two members, damaged in its first part, is rejected as two
   * lines. Line numbers after the break are one higher than in the text that `zcat` prints.
   */
  private startLine(offset: number): void {
    this.breakLine = false;
    this.output.write(Buffer.of(LINE_FEED));
    this.warnings.push(
      `the damaged text of the gzip member at byte ${this.memberStart} ends inside a line, so ` +
        `a line break was added before the next member at byte ${offset}: that partial line is ` +
        'read apart from the first record of the next member',
    );
  }

  /**
   * Ignores the bytes from the header being read to `end` in the current chunk, and the rest of
   * the input after them, as trailing junk.
   */
  private headerToGarbage(end: number, reason: string): void {
    this.garbageStart = this.memberStart;
    this.garbageBytes = this.chunkStart + end - this.memberStart;
    this.garbagePreview = this.headerPreview;
    this.garbageReason = reason;
    this.state = 'garbage';
  }

  private startGarbage(offset: number, read?: Buffer): void {
    this.garbageStart = offset;
    this.garbageBytes = read?.length ?? 0;
    this.garbagePreview = read ? [read] : [];
    this.state = 'garbage';
  }

  private readGarbage(chunk: Buffer, start: number): number {
    keepPreview(this.garbagePreview, chunk.subarray(start));
    this.garbageBytes += chunk.length - start;
    return chunk.length;
  }

  private async finish(): Promise<void> {
    // A header cut by the end of the input carries no records either (see readHeader).
    if (this.state === 'header' && this.afterMember) {
      this.headerToGarbage(0, 'the input ends inside their member header');
    }
    if (this.state === 'header') {
      throw new Error(
        `unexpected end of file in the header of the gzip member at byte ${this.memberStart}`,
      );
    }
    if (this.state === 'body') {
      // The deflate data either ends with the input, which leaves the trailer out, or is cut,
      // which fails with zlib's "unexpected end of file".
      try {
        await (this.inflater as GzipMemberInflater).end();
        this.endBody();
      } catch (error) {
        this.failBody(error, 0);
      }
    }
    if (this.state === 'trailer') {
      const where = this.trailerFilled === 0 ? 'before' : `${this.trailerFilled} bytes into`;
      this.warnings.push(
        `the input ends ${where} the ${TRAILER_BYTES}-byte trailer of the gzip member at byte ` +
          `${this.memberStart}, so its CRC-32 and length were not checked`,
      );
    }
    if (this.magicPending) this.startGarbage(this.chunkStart - 1, Buffer.of(MAGIC_0));
    if (this.state === 'garbage') this.warnings.push(this.describeGarbage());
  }

  private describeGarbage(): string {
    const one = this.garbageBytes === 1;
    const count = one ? '1 byte' : `${this.garbageBytes} bytes`;
    const verbs = one ? 'is not gzip data and was ignored' : 'are not gzip data and were ignored';
    const preview = quoteBytes(Buffer.concat(this.garbagePreview));
    const more = this.garbageBytes > PREVIEW_BYTES ? ' …' : '';
    // Bytes that start with the magic are at least two, so the reason needs no singular form.
    const reason = this.garbageReason
      ? `. They start with the gzip magic, but ${this.garbageReason}`
      : '';
    return (
      `${count} after the last gzip member, from byte ${this.garbageStart}, ${verbs}: ` +
      `${preview}${more}${reason}`
    );
  }
}

/** Appends copies of the first bytes of `bytes` to `preview` until it has PREVIEW_BYTES. */
function keepPreview(preview: Buffer[], bytes: Buffer): void {
  const kept = preview.reduce((sum, part) => sum + part.length, 0);
  if (kept < PREVIEW_BYTES) preview.push(Buffer.from(bytes.subarray(0, PREVIEW_BYTES - kept)));
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  9: '\\t',
  10: '\\n',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/**
 * Quotes bytes in one escaping style: `\n`, `\r` and `\t` for line breaks and tabs, `\"` and
 * `\\` for the quote and backslash, and `\xNN` for every other byte outside printable ASCII. No
 * byte is printed as a Latin-1 or control character, which a terminal could misread or act on.
 */
export function quoteBytes(bytes: Buffer): string {
  let quoted = '';
  for (const byte of bytes) {
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) quoted += named;
    else if (byte >= 0x20 && byte <= 0x7e) quoted += String.fromCharCode(byte);
    else quoted += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${quoted}"`;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
