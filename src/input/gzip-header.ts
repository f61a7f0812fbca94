import { crc32 } from './crc32.js';

/** Bytes of a gzip member header before its optional fields (RFC 1952, section 2.3). */
const FIXED_BYTES = 10;

const METHOD_DEFLATE = 8;
const FLAG_HEADER_CRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAGS_RESERVED = 0xe0;

/** The parts of a header in order; every one after the fixed part is optional. */
const STEPS = ['fixed', 'extraLength', 'extra', 'name', 'comment', 'headerCrc', 'done'] as const;

type Step = (typeof STEPS)[number];

/**
 * Tells whether a member header can start at `index`: the magic 1f 8b, method 8 and no reserved
 * flag bit, as far as `bytes` goes. The rest of the header is checked as it is parsed.
 */
export function couldStartHeader(bytes: Buffer, index: number): boolean {
  if (bytes[index] !== 0x1f) return false;
  if (index + 1 < bytes.length && bytes[index + 1] !== 0x8b) return false;
  if (index + 2 < bytes.length && bytes[index + 2] !== METHOD_DEFLATE) return false;
  return index + 3 >= bytes.length || ((bytes[index + 3] as number) & FLAGS_RESERVED) === 0;
}

/** A gzip member header that is not valid. */
export class GzipHeaderError extends Error {}

/**
 * Reads one gzip member header, whose optional name, comment and extra field have no length
 * limit, from chunks as they arrive, so that a header split across reads needs no buffer.
 */
export class GzipHeaderParser {
  private step: Step = 'fixed';
  /** The fixed part, then the two bytes of the extra field length or of the header CRC. */
  private readonly bytes = Buffer.alloc(FIXED_BYTES);
  private filled = 0;
  private flags = 0;
  private extraLeft = 0;
  /** CRC-32 of the header bytes read so far, kept only when the header ends with its CRC-16. */
  private crc = 0;

  get done(): boolean {
    return this.step === 'done';
  }

  /**
   * Consumes header bytes of `chunk` from `start` and returns the index after the header, or
   * `chunk.length` when the header continues in the next chunk. Throws GzipHeaderError.
   */
  parse(chunk: Buffer, start: number): number {
    let index = start;
    while (index < chunk.length && this.step !== 'done') {
      const step = this.step;
      const from = index;
      index = this.parseStep(chunk, index);
      // The CRC-16 covers every header byte before it. `checkFixed` hashes the fixed part,
      // because its flags show whether there is a CRC-16 at all.
      const hashed = step !== 'fixed' && step !== 'headerCrc';
      if (hashed && (this.flags & FLAG_HEADER_CRC) !== 0) {
        this.crc = crc32(chunk.subarray(from, index), this.crc);
      }
    }
    return index;
  }

  private parseStep(chunk: Buffer, start: number): number {
    switch (this.step) {
      case 'fixed': {
        const end = this.fill(chunk, start, FIXED_BYTES);
        if (this.filled === FIXED_BYTES) this.checkFixed();
        return end;
      }
      case 'extraLength': {
        const end = this.fill(chunk, start, 2);
        if (this.filled === 2) {
          this.extraLeft = this.bytes.readUInt16LE(0);
          this.next('extra');
        }
        return end;
      }
      case 'extra': {
        const end = Math.min(chunk.length, start + this.extraLeft);
        this.extraLeft -= end - start;
        if (this.extraLeft === 0) this.next('name');
        return end;
      }
      case 'name':
      case 'comment': {
        const zero = chunk.indexOf(0, start);
        if (zero < 0) return chunk.length;
        this.next(this.step === 'name' ? 'comment' : 'headerCrc');
        return zero + 1;
      }
      case 'headerCrc': {
        const end = this.fill(chunk, start, 2);
        if (this.filled === 2) this.checkHeaderCrc();
        return end;
      }
      case 'done':
        return start;
    }
  }

  /** Copies bytes into `bytes` until it contains `size` of them, and returns the index after. */
  private fill(chunk: Buffer, start: number, size: number): number {
    const end = Math.min(chunk.length, start + size - this.filled);
    chunk.copy(this.bytes, this.filled, start, end);
    this.filled += end - start;
    return end;
  }

  private checkFixed(): void {
    if (this.bytes[0] !== 0x1f || this.bytes[1] !== 0x8b) {
      throw new GzipHeaderError(
        `no gzip magic bytes (${this.bytes.subarray(0, 2).toString('hex')})`,
      );
    }
    const method = this.bytes[2] as number;
    const flags = this.bytes[3] as number;
    if (method !== METHOD_DEFLATE) {
      throw new GzipHeaderError(`unknown compression method ${method} (gzip uses 8, deflate)`);
    }
    if ((flags & FLAGS_RESERVED) !== 0) {
      throw new GzipHeaderError(`reserved flag bits set (flags 0x${flags.toString(16)})`);
    }
    this.flags = flags;
    if ((flags & FLAG_HEADER_CRC) !== 0) this.crc = crc32(this.bytes.subarray(0, FIXED_BYTES));
    this.next('extraLength');
  }

  private checkHeaderCrc(): void {
    const stored = this.bytes.readUInt16LE(0);
    const computed = this.crc & 0xffff;
    if (stored !== computed) {
      throw new GzipHeaderError(
        `header CRC-16 mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`,
      );
    }
    this.step = 'done';
  }

  /** Moves to `step`, or past it to the first later step that the flags include. */
  private next(step: Step): void {
    this.filled = 0;
    let index = STEPS.indexOf(step);
    while (!this.includes(STEPS[index] as Step)) index++;
    this.step = STEPS[index] as Step;
  }

  private includes(step: Step): boolean {
    switch (step) {
      case 'extraLength':
        return (this.flags & FLAG_EXTRA) !== 0;
      case 'extra':
        return (this.flags & FLAG_EXTRA) !== 0 && this.extraLeft > 0;
      case 'name':
        return (this.flags & FLAG_NAME) !== 0;
      case 'comment':
        return (this.flags & FLAG_COMMENT) !== 0;
      case 'headerCrc':
        return (this.flags & FLAG_HEADER_CRC) !== 0;
      default:
        return true;
    }
  }
}
