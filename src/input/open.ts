import type { Readable } from 'node:stream';
import { FileChunks } from './file-chunks.js';
import { gunzip } from './gunzip.js';
import { isGzip, SNIFF_BYTES } from './gzip-detect.js';

/**
 * Returns a byte stream's content decompressed when it is gzip (detected by its first bytes, not
 * the file name, see `isGzip`), or the stream itself. Concatenated gzip members are read as one
 * stream, as `zcat` does; `readFailure` and `readWarnings` (gunzip.ts) return what went wrong.
 *
 * Plain content is returned as the same stream, not piped through another, which would pass it
 * on 16 KiB at a time.
 */
export async function gunzipIfCompressed(raw: Readable): Promise<Readable> {
  const head = await peekStart(raw, SNIFF_BYTES);
  if (head === undefined || !isGzip(head)) return raw;
  return gunzip(raw);
}

/**
 * Returns an archive entry's content decompressed when it starts with the gzip magic, or the
 * stream itself. Unlike `gunzipIfCompressed` it looks at two bytes only: a cut entry fails
 * after its last bytes, and a peek of 64 KiB would take that failure before any of them.
 */
export async function gunzipIfMagic(raw: Readable): Promise<Readable> {
  const head = await peekStart(raw, 2);
  if (head === undefined || head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return raw;
  return gunzip(raw);
}

/**
 * Returns the first `length` bytes of a paused stream, fewer when it ends before, or undefined
 * when it has none. They go back into the stream at once, because a stream whose bytes all came
 * with them would otherwise end before they were put back. A pipe can deliver the first bytes
 * one at a time, and the gzip magic must still be seen.
 */
export function peekStart(raw: Readable, length: number): Promise<Buffer | undefined> {
  // A stream that a peek before found empty has ended already, and emits no more events.
  if (raw.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = () => {
      settled = true;
      raw.off('readable', onReadable);
      raw.off('end', onEnd);
    };
    const onReadable = () => {
      // Until the stream ends, `read` returns nothing while fewer bytes are buffered.
      const chunk: Buffer | string | null = raw.read(length);
      if (chunk === null) return;
      finish();
      raw.unshift(chunk);
      resolve(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    };
    const onEnd = () => {
      finish();
      resolve(undefined);
    };
    raw.on('readable', onReadable);
    raw.once('end', onEnd);
    // This listener stays attached, so an error between the peek and the first read is not
    // unhandled. The reader still receives it, because a stream keeps its error for later reads.
    raw.on('error', (error) => {
      if (settled) return;
      finish();
      reject(error);
    });
  });
}

/**
 * Bytes read at a time. Fewer, larger reads leave the thread waiting less for the file system
 * than 64 KiB ones (1.1 s → 0.7 s of system time on OTRF Windows events). Decoding cuts them
 * into smaller texts (text.ts), so larger chunks do not keep more records alive at a time.
 */
const READ_CHUNK_BYTES = 256 * 1024;

export function openFileBytes(path: string): Promise<Readable> {
  return gunzipIfCompressed(new FileChunks(path, READ_CHUNK_BYTES));
}
