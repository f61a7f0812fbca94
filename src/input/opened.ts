import type { Readable } from 'node:stream';
import type { InputFile } from './input-file.js';

/** Bytes read before the format is chosen. */
export const HEAD_BYTES = 64 * 1024;

/** An input opened once: its first bytes for format detection, then all its bytes in order. */
export interface OpenedInput {
  file: InputFile;
  head: Buffer;
  /** Every byte from the start, the head included. Can be iterated once. */
  chunks(): AsyncIterable<Buffer>;
  close(): void;
}

export async function openInput(file: InputFile, headBytes = HEAD_BYTES): Promise<OpenedInput> {
  const stream: Readable = await file.open();
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;

  while (size < headBytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    buffered.push(chunk);
    size += chunk.length;
  }

  const head = Buffer.concat(buffered).subarray(0, headBytes);
  let consumed = false;

  return {
    file,
    head,
    chunks: () => {
      if (consumed) throw new Error(`input ${file.path} was already read`);
      consumed = true;
      return (async function* () {
        for (const chunk of buffered) yield chunk;
        if (ended) return;
        while (true) {
          const next = await iterator.next();
          if (next.done) return;
          yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        }
      })();
    },
    close: () => {
      stream.destroy();
    },
  };
}
