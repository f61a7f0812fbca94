import { closeSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A stream of a file's bytes, read in chunks with synchronous calls. An asynchronous read passes
 * each chunk through libuv's thread pool, and the scan's thread waited 50 to 130 µs for each one.
 * That wait stayed even when the next read started before the previous chunk was parsed, and it
 * came to 0.4 s of a 5 s scan of the 1.58 GB of OTRF events (Node 20, two vCPUs). A synchronous
 * read from the page cache takes less time, and the kernel still reads ahead of in-order reads.
 *
 * Synchronous reads alone would parse a whole file without giving the event loop a turn, so
 * pending output, worker messages and timers would wait for its end. Every `TURN_EVERY`-th read
 * passes its chunk on from `setImmediate` to give that turn. An asynchronous read did that too,
 * but it waited for the thread pool each time. The scan's thread was idle 67 ms instead of 10 ms
 * in a one-worker scan of the OTRF events with the SigmaHQ rules (Node 20, `--cpu-prof`). A
 * server never reads inputs this way.
 */
export class FileChunks extends Readable {
  private fd: number | undefined;
  private reads = 0;
  /** Offset of the next read, or null to read on from the file's current position. */
  private position: number | null;

  /**
   * Reads the whole file, or with `range` its bytes from `range.start` up to `range.end`
   * (exclusive), such as one entry of a tar archive.
   */
  constructor(
    private readonly path: string,
    private readonly chunkBytes: number,
    private readonly range?: { start: number; end: number },
  ) {
    // The stream reads when its reader requests bytes. The gzip check's peek at the first
    // 64 KiB (`gunzipIfCompressed`) raises the mark to 64 KiB, so one chunk may be read ahead
    // after it.
    super({ highWaterMark: 0 });
    this.position = range ? range.start : null;
  }

  override _read(): void {
    const requested = this.range
      ? Math.min(this.chunkBytes, this.range.end - (this.position as number))
      : this.chunkBytes;
    if (requested <= 0) {
      this.push(null);
      return;
    }
    const chunk = Buffer.allocUnsafeSlow(requested);
    let fd: number;
    try {
      // The file opens at the first read, so that a missing file becomes the stream's error.
      this.fd ??= openSync(this.path, 'r');
      fd = this.fd;
    } catch (error) {
      this.destroy(error as Error);
      return;
    }

    let bytes: number;
    try {
      bytes = readSync(fd, chunk, 0, chunk.length, this.position);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    this.reads++;
    if (this.reads % TURN_EVERY === 0) {
      setImmediate(() => {
        if (!this.destroyed) this.pushRead(chunk, bytes);
      });
      return;
    }
    this.pushRead(chunk, bytes);
  }

  /** Passes on the bytes of a read; none means the file ended, even before `range.end`. */
  private pushRead(chunk: Buffer, bytes: number): void {
    if (this.position !== null) this.position += bytes;
    this.push(bytes === 0 ? null : chunk.subarray(0, bytes));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // The descriptor is released either way, and the stream's own error matters more.
      }
      this.fd = undefined;
    }
    callback(error);
  }
}

/** Reads per turn of the event loop: one per 4 MiB when reads are 256 KiB. */
const TURN_EVERY = 16;
