import { pipeline, Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { InputError } from '../../model/errors.js';
import { crc32 } from '../crc32.js';
import { type ByteRange, readAt, readRange, subRange } from './byte-range.js';
import { inflatePrefix, SNIFF_BYTES } from './sniff.js';

/**
 * Reading one zip entry from its local file header. Written here rather than left to yauzl,
 * because yauzl opens an entry only from its central directory record, and finds it by reading
 * the directory from its start. An entry found in the central directory is opened at once from
 * its offset, and so is one that a damaged archive without a directory still holds.
 */

export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/** Size of the local file header before the entry's name and extra field. */
export const LOCAL_HEADER_SIZE = 30;

export const STORED = 0;
export const DEFLATED = 8;

/** Compression methods that trustwatch does not read, by their APPNOTE number. */
const METHOD_NAMES: Record<number, string> = {
  1: 'Shrink',
  6: 'Implode',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'xz',
  98: 'PPMd',
  99: 'WinZip AES encryption',
};

/** Location of one entry's data and the size it inflates to, as plain data that threads share. */
export interface ZipEntryLocation {
  archive: ByteRange;
  /** Offset of the entry's local file header from the start of the archive. */
  localHeader: number;
  method: number;
  compressedSize: number;
  /** Declared size of the entry's content. */
  size: number;
  /** Declared CRC-32 of the entry's content, when the archive gives one. */
  crc32?: number;
  /** Why the archive ends inside the entry's data: set when only part of the entry is present. */
  cut?: string;
}

/** Returns why an entry's compression method is not read, or undefined for stored and deflate. */
export function unreadMethod(method: number): string | undefined {
  if (method === STORED || method === DEFLATED) return undefined;
  const name = METHOD_NAMES[method] ?? 'unknown';
  return (
    `the entry is compressed with method ${method} (${name}), which trustwatch does not read, ` +
    'so it is skipped: extract the archive with a tool that reads it'
  );
}

/** Returns the offset of an entry's data from the start of the archive, after its header. */
export function entryDataStart(location: ZipEntryLocation): number {
  const header = readAt(location.archive, location.localHeader, LOCAL_HEADER_SIZE);
  if (header.length < LOCAL_HEADER_SIZE || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new InputError(
      'input.zip',
      `damaged zip archive: no local file header at byte ${location.localHeader}, where the ` +
        'central directory places the entry',
    );
  }
  return (
    location.localHeader + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28)
  );
}

/**
 * Returns the range of a stored entry's bytes in the archive, so that an archive stored inside
 * it is read in place. Returns undefined for a compressed or cut entry.
 */
export async function storedEntryRange(location: ZipEntryLocation): Promise<ByteRange | undefined> {
  if (location.method !== STORED || location.cut !== undefined) return undefined;
  const start = entryDataStart(location);
  return subRange(location.archive, start, start + location.compressedSize);
}

/** Returns the first bytes of an entry's content, for sniffing; none when it cannot be read. */
export async function peekEntry(location: ZipEntryLocation): Promise<Buffer> {
  if (unreadMethod(location.method) !== undefined) return Buffer.alloc(0);
  const start = entryDataStart(location);
  const raw = readAt(location.archive, start, Math.min(location.compressedSize, SNIFF_BYTES));
  const content = location.method === STORED ? raw : inflatePrefix(raw, 'raw');
  return content.subarray(0, SNIFF_BYTES);
}

/**
 * Opens an entry's content. Content past the declared size, or short of it, fails the stream
 * after the bytes up to the declared size: a crafted archive cannot inflate beyond what its
 * directory declared and the limits allowed. A cut entry gives its bytes, then fails with why.
 * Content whose CRC-32 differs from the declared one fails the stream after all its bytes, as
 * `unzip` reports a bad CRC after extracting the file.
 */
export async function openEntryData(location: ZipEntryLocation): Promise<Readable> {
  const start = entryDataStart(location);
  const raw = readRange(subRange(location.archive, start, start + location.compressedSize));
  const content =
    location.method === STORED ? raw : pipeline(raw, createInflateRaw(), () => undefined);
  return Readable.from(checkedContent(content, location), { objectMode: false });
}

async function* checkedContent(content: Readable, location: ZipEntryLocation) {
  let produced = 0;
  let crc = 0;
  try {
    for await (const chunk of content) {
      const bytes = chunk as Buffer;
      produced += bytes.length;
      crc = crc32(bytes, crc);
      if (produced > location.size) {
        yield bytes.subarray(0, bytes.length - (produced - location.size));
        throw new InputError(
          'input.zip',
          `the zip entry inflates past its declared size of ${location.size} bytes, so the ` +
            'archive is damaged or crafted: reading stopped there',
        );
      }
      yield bytes;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (location.cut !== undefined) throw new InputError('input.zip_cut', location.cut);
    throw new InputError(
      'input.zip',
      `damaged zip entry: its compressed data fails after ${produced} bytes of content: ` +
        (error as Error).message,
    );
  } finally {
    content.destroy();
  }
  if (location.cut !== undefined) throw new InputError('input.zip_cut', location.cut);
  if (produced < location.size) {
    throw new InputError(
      'input.zip',
      `damaged zip entry: its content ends after ${produced} of its declared ${location.size} bytes`,
    );
  }
  if (location.crc32 !== undefined && crc !== location.crc32) {
    throw new InputError(
      'input.zip',
      `damaged zip entry: the CRC-32 of its content is ${hex(crc)}, where the archive declares ` +
        `${hex(location.crc32)}; its records were read`,
    );
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
