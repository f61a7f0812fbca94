import type { Readable } from 'node:stream';
import { readFailure, readWarnings } from './gunzip.js';
import type { InputFile } from './input-file.js';

/** Bytes read before the format is chosen. */
export const HEAD_BYTES = 64 * 1024;

/** An input opened once: its first bytes for format detection, then all its bytes in order. */
export interface OpenedInput {
  file: InputFile;
  head: Buffer;
  /** True when the head is all of the input. */
  ended: boolean;
  /** Every byte from the start, the head included. Can be iterated once. */
  chunks(): AsyncIterable<Buffer>;
  /**
   * Every byte from the start, for format detection that must look past the head; iterate it
   * before `chunks()`, at most once. The bytes read stay buffered for `chunks()` up to
   * `maxBuffered` bytes in all. Past that they are dropped and `chunks()` fails, so an input
   * that can be opened again passes 0 and is opened again to be read.
   */
  lookAhead(maxBuffered: number): AsyncIterable<Buffer>;
  /** False once look-ahead dropped bytes, so that `chunks()` cannot return every byte. */
  readonly replayable: boolean;
  /** Damage that reading went past, such as junk between gzip members, once the input ended. */
  warnings(): readonly string[];
  close(): void;
}

export async function openInput(file: InputFile, headBytes = HEAD_BYTES): Promise<OpenedInput> {
  const stream: Readable = await file.open();
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  /** Set when look-ahead read more than it could keep. */
  let dropped = false;

  const pull = async (): Promise<Buffer | undefined> => {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      const failure = readFailure(stream);
      if (failure) throw failure;
      return undefined;
    }
    return typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
  };

  // A read that fails within the head, as a short truncated .gz does, keeps the bytes before
  // it: they are read as the whole input, and the failure is raised after them.
  let failure: Error | undefined;
  while (size < headBytes) {
    let chunk: Buffer | undefined;
    try {
      chunk = await pull();
    } catch (error) {
      if (size === 0) throw error;
      failure = error as Error;
      ended = true;
      break;
    }
    if (!chunk) break;
    buffered.push(chunk);
    size += chunk.length;
  }

  // One chunk, as a file's first read gives, is its own head: no copy of 512 KiB per input.
  const first = buffered.length === 1 ? buffered[0] : undefined;
  const head = (first ?? Buffer.concat(buffered)).subarray(0, headBytes);
  let consumed = false;

  return {
    file,
    head,
    ended,
    chunks: () => {
      if (consumed) throw new Error(`input ${file.path} was already read`);
      if (dropped) throw new Error(`input ${file.path} was read past its buffered start`);
      consumed = true;
      return (async function* () {
        for (const chunk of buffered) yield chunk;
        if (failure) throw failure;
        while (!ended) {
          const chunk = await pull();
          if (chunk) yield chunk;
        }
      })();
    },
    lookAhead: (maxBuffered) => {
      if (consumed) throw new Error(`input ${file.path} was already read`);
      return (async function* () {
        for (const chunk of [...buffered]) yield chunk;
        while (!ended) {
          const chunk = await pull();
          if (!chunk) break;
          size += chunk.length;
          if (!dropped && size > maxBuffered) {
            dropped = true;
            buffered.length = 0;
          }
          if (!dropped) buffered.push(chunk);
          yield chunk;
        }
      })();
    },
    get replayable() {
      return !dropped;
    },
    warnings: () => readWarnings(stream),
    close: () => {
      stream.destroy();
    },
  };
}
