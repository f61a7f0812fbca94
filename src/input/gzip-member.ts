import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { crc32 } from './crc32.js';

/**
 * Compressed bytes given to zlib at a time. A slice's text is written on before the next slice
 * is given, so a slow reader holds back the input, and a failed slice is replayed (`recover`).
 */
const SLICE_BYTES = 16 * 1024;

/**
 * Text held back while a member on trial has given no line break. Past it the text is written
 * on, as a line this long is more likely a record than junk.
 */
const HELD_BYTES = 64 * 1024;

const LINE_FEED = 0x0a;

/**
 * Inflates the deflate data of one gzip member and writes its text to `output` as it comes. It
 * reports where the deflate data ends, so that the bytes after it are read as the trailer, and it
 * keeps the text's CRC-32 and length for the trailer check.
 */
export class GzipMemberInflater {
  private readonly inflater = createInflateRaw();
  /** Bytes given to the inflater, which counts those it consumed in `bytesWritten`. */
  private fed = 0;
  crc = 0;
  size = 0;
  /** The last byte of the text, or undefined while there is none. */
  lastByte: number | undefined;
  /**
   * Offset in the deflate data of the byte at which inflating failed: exact when the member's
   * bytes could be read back to replay it, else the start of the slice that failed.
   */
  failedAt = 0;
  /** Text not yet written because it has no line break, while the first line is held. */
  private heldText: Buffer[] | undefined;
  private heldSize = 0;

  /**
   * With `onFirstLine`, the text is written only from its first line break on (or past
   * HELD_BYTES, or at `release`), so that deflate data failing before a whole line writes nothing.
   * `onFirstLine` runs once, just before the held text is written. `readBack` returns the first
   * bytes of the member's deflate data, or undefined when the reader no longer keeps them.
   */
  constructor(
    private readonly output: Writable,
    private onFirstLine: (() => void) | undefined,
    private readonly readBack: (length: number) => Buffer | undefined,
  ) {
    if (onFirstLine) this.heldText = [];
    this.inflater.on('data', (data: Buffer) => this.deliver(data));
    // An error also rejects the write or wait under way, which reports it.
    this.inflater.on('error', () => {});
  }

  /**
   * Inflates `chunk` and returns how many of its last bytes follow the end of the deflate data,
   * 0 while the data goes on. Rejects with zlib's error when the data is damaged, after the text
   * before the damage was written.
   */
  async write(chunk: Buffer): Promise<number> {
    for (let start = 0; start < chunk.length; start += SLICE_BYTES) {
      const slice = chunk.subarray(start, start + SLICE_BYTES);
      this.fed += slice.length;
      try {
        await write(this.inflater, slice);
      } catch (error) {
        this.failedAt = this.fed - slice.length;
        await this.recover(slice.length);
        throw error;
      }

      const unused = this.fed - this.inflater.bytesWritten;
      if (unused > 0) {
        await finished(this.inflater, { writable: false });
        return unused + chunk.length - start - slice.length;
      }
      if (this.output.writableNeedDrain) await drained(this.output);
    }
    return 0;
  }

  /**
   * Ends the deflate data at the end of the input. Resolves when it ended with the last byte
   * written, and rejects with zlib's "unexpected end of file" when it was cut.
   */
  async end(): Promise<void> {
    this.failedAt = this.fed;
    this.inflater.end();
    await finished(this.inflater);
  }

  /** Whether text is still held back because the member has given no whole line yet. */
  get holding(): boolean {
    return this.heldText !== undefined;
  }

  /** Bytes of text held back, which `destroy` drops unless `release` wrote them. */
  get heldBytes(): number {
    return this.heldSize;
  }

  /** Writes the held text and every later text at once, as after a line break or a whole member. */
  release(): void {
    const text = this.heldText;
    if (!text) return;
    this.heldText = undefined;
    this.heldSize = 0;
    const onFirstLine = this.onFirstLine;
    this.onFirstLine = undefined;
    onFirstLine?.();
    if (text.length > 0) this.output.write(Buffer.concat(text));
  }

  /** Returns the held text without writing it, and writes no later text held back. */
  takeHeld(): Buffer {
    const text = Buffer.concat(this.heldText ?? []);
    this.heldText = undefined;
    this.heldSize = 0;
    this.onFirstLine = undefined;
    return text;
  }

  destroy(): void {
    this.inflater.destroy();
  }

  private deliver(data: Buffer): void {
    this.crc = crc32(data, this.crc);
    this.size += data.length;
    if (data.length > 0) this.lastByte = data[data.length - 1];
    if (!this.heldText) {
      this.output.write(data);
      return;
    }

    this.heldText.push(data);
    this.heldSize += data.length;
    if (data.includes(LINE_FEED) || this.heldSize > HELD_BYTES) this.release();
  }

  /**
   * Writes the text that zlib decompressed in the call that failed, which zlib drops with the
   * error: up to 16 KiB that `zcat` would print. A second inflater replays the member's bytes
   * before the failed slice, then the slice in pieces of 1 KiB until one fails. A third replays
   * up to that piece, then the piece a byte at a time, which writes the text up to the damage.
   * NOTE: a member whose start the reader no longer keeps (see `readBack`) cannot be replayed, so
   * that text is lost.
   */
  private async recover(failedBytes: number): Promise<void> {
    const body = this.readBack(this.fed);
    if (!body) return;
    let good = body.length - failedBytes;
    for (const pieceBytes of [1024, 1]) good = await this.replay(body, good, pieceBytes);
    this.failedAt = good;
  }

  /**
   * Inflates `body` with a new inflater, its first `good` bytes at once and the rest in pieces,
   * and writes the text past what was written. Returns the offset of the piece that failed.
   */
  private async replay(body: Buffer, good: number, pieceBytes: number): Promise<number> {
    const written = this.size;
    const inflater = createInflateRaw();
    let replayed = 0;
    inflater.on('data', (data: Buffer) => {
      const skip = written - replayed;
      replayed += data.length;
      if (skip < data.length) this.deliver(skip > 0 ? data.subarray(skip) : data);
    });
    inflater.on('error', () => {});
    let offset = good;
    try {
      await write(inflater, body.subarray(0, good));
      for (; offset < body.length; offset += pieceBytes) {
        await write(inflater, body.subarray(offset, offset + pieceBytes));
      }
    } catch {
      // The piece at `offset` contains the damage, and the text before it was written.
    } finally {
      inflater.destroy();
    }
    return offset;
  }
}

/** Writes a chunk and resolves once it is consumed, or rejects with the stream's error. */
function write(stream: InflateRaw, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      stream.off('close', onClose);
      reject(error);
    };
    const onClose = () => {
      stream.off('error', onError);
      reject(stream.errored ?? new Error('the gzip inflater closed before it consumed a chunk'));
    };
    stream.once('error', onError);
    stream.once('close', onClose);
    stream.write(chunk, (error) => {
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Resolves when `stream` can take more, or when it closed because its reader stopped. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
