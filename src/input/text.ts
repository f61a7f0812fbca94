import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** Text decoding of inputs: UTF-8 by default, UTF-16 when a byte order mark or its shape says so. */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface TextEncoding {
  name: TextEncodingName;
  /** Bytes of the byte order mark to skip. */
  bomLength: number;
}

/**
 * Chooses the encoding from the byte order mark. Without one, text whose odd (or even) bytes
 * are mostly zero is taken as UTF-16LE (or BE), as PowerShell redirection sometimes writes it.
 */
export function sniffEncoding(head: Uint8Array): TextEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { name: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { name: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { name: 'utf-16be', bomLength: 2 };

  const sample = Math.min(head.length, 512) & ~1;
  if (sample >= 8) {
    let zeroOdd = 0;
    let zeroEven = 0;
    for (let index = 0; index < sample; index += 2) {
      if (head[index] === 0) zeroEven++;
      if (head[index + 1] === 0) zeroOdd++;
    }
    const pairs = sample / 2;
    if (zeroOdd > pairs * 0.6 && zeroEven < pairs * 0.1) return { name: 'utf-16le', bomLength: 0 };
    if (zeroEven > pairs * 0.6 && zeroOdd < pairs * 0.1) return { name: 'utf-16be', bomLength: 0 };
  }
  return { name: 'utf-8', bomLength: 0 };
}

/**
 * Reads a whole text file, such as a context or rule file, in the encoding its byte order mark
 * or shape gives, so that UTF-16 files as PowerShell writes them read like UTF-8 ones.
 */
export async function readTextFile(path: string): Promise<string> {
  return decodeFile(await readFile(path));
}

/** Reads a whole text file as `readTextFile` does, blocking until it is read. */
export function readTextFileSync(path: string): string {
  return decodeFile(readFileSync(path));
}

function decodeFile(bytes: Buffer): string {
  const encoding = sniffEncoding(bytes);
  return new TextDecoder(encoding.name).decode(bytes.subarray(encoding.bomLength));
}

/** Decodes the head for format detection; a character cut at the end is dropped. */
export function decodeHead(head: Uint8Array, encoding: TextEncoding): string {
  const decoder = new TextDecoder(encoding.name, { fatal: false });
  return decoder.decode(head.subarray(encoding.bomLength), { stream: true });
}

/** Decoder of chunks in turn, which keeps a character cut at a chunk's end for the next. */
interface StreamDecoder {
  write(chunk: Uint8Array): string;
  end(): string;
}

/**
 * Creates the decoder of an encoding. UTF-8 goes through Node's `StringDecoder`, which decoded
 * the OTRF NDJSON 1.8 times faster than a streaming `TextDecoder` (Node 20). It gave the same
 * text on 200,000 fuzzed byte strings cut at random places. UTF-16 keeps `TextDecoder`, which
 * replaces lone surrogates as UTF-8 input would have them replaced.
 */
function streamDecoder(encoding: TextEncoding): StreamDecoder {
  if (encoding.name === 'utf-8') {
    const decoder = new StringDecoder('utf8');
    return {
      write: (chunk) => decoder.write(chunk),
      end: () => decoder.end(),
    };
  }
  const decoder = new TextDecoder(encoding.name, { fatal: false });
  return {
    write: (chunk) => decoder.decode(chunk, { stream: true }),
    end: () => decoder.decode(),
  };
}

/**
 * Bytes decoded into one text at most. A chunk's records stay alive until the whole chunk is
 * detected, so with 1 MiB chunks many survived young-generation collections (9 to 16 % of a
 * scan of OTRF Windows events in collection, Node 20, --cpu-prof). A text of 256 KiB is also
 * above V8's largest regular object (128 KiB), and V8 maps and unmaps pages for each such
 * string: 500,000 page faults and 2 s of system time on that scan, against 50,000 and 0.7 s
 * with 64 KiB texts. A text with characters beyond Latin-1 takes two bytes a character, so a
 * text of 32 KiB of input can take 64 KiB of heap. Decoding took 280 to 350 ms of that scan in
 * 32 KiB texts and 330 to 390 ms in 64 KiB ones, and 16 KiB texts cost more in splitting lines
 * than they saved (four profiles each, Node 20).
 */
const DECODE_SLICE_BYTES = 32 * 1024;

/**
 * Decodes a byte stream chunk by chunk, in texts of at most `DECODE_SLICE_BYTES` bytes. Invalid
 * sequences become U+FFFD, never an error.
 */
export async function* decodeChunks(
  chunks: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
): AsyncIterable<string> {
  const decoder = streamDecoder(encoding);
  let skip = encoding.bomLength;
  for await (let chunk of chunks) {
    if (skip > 0) {
      const cut = Math.min(skip, chunk.length);
      chunk = chunk.subarray(cut);
      skip -= cut;
    }
    for (let start = 0; start < chunk.length; start += DECODE_SLICE_BYTES) {
      const text = decoder.write(chunk.subarray(start, start + DECODE_SLICE_BYTES));
      if (text.length > 0) yield text;
    }
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}
