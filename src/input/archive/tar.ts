import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { type ByteRange, rangeLength, readAt, readRange, subRange } from './byte-range.js';
import { type ContentKind, SNIFF_BYTES, sniffContent } from './sniff.js';

/**
 * Listing of tar archives (POSIX ustar and pax, GNU, pre-POSIX) with tar-stream, which reads
 * every byte in order. Each entry is then read in place, as a range of the archive's file.
 */

const BLOCK = 512;
const END_MARKER = 2 * BLOCK;
const TYPE_FLAG_OFFSET = 156;

/** One regular file of a tar archive, or an entry of a type that tar-stream does not know. */
export interface TarEntryInfo {
  name: string;
  /** Declared size of the entry. */
  size: number;
  mtimeMs: number;
  /** The entry's bytes in the archive: fewer than `size` when the archive is cut inside it. */
  range: ByteRange;
  /** Kind of content that the entry starts with. */
  kind: ContentKind;
  /** Reason only part of the entry is present, when the archive ends inside it. */
  cut?: string;
  /** Reason the entry is not read: a type, such as a GNU sparse file, that is not read. */
  skipped?: string;
}

export interface TarListing {
  entries: TarEntryInfo[];
  /** Entries of every type, folders and links included, at most `maxEntries + 1`. */
  count: number;
  /** Symbolic and hard links, devices and FIFOs. */
  others: number;
  /** Reason listing stopped before the end of the archive, with the offset, or undefined. */
  stop: string | undefined;
}

/**
 * Lists a tar archive's regular files, and entries of unknown types, in archive order, stopping
 * after `maxEntries` entries of every type.
 */
export async function listTar(archive: ByteRange, maxEntries: number): Promise<TarListing> {
  const listing: TarListing = { entries: [], count: 0, others: 0, stop: undefined };
  // Latin-1 keeps each byte of a name as one character, to decode it here (see `decodeTarName`).
  const extract = tar.extract({ allowUnknownFormat: true, filenameEncoding: 'latin1' });
  const source = readRange(archive);
  const feeding = feed(source, extract);
  /** Offset of the header after the last entry read whole. */
  let next = 0;
  let current: TarEntryInfo | undefined;
  try {
    for await (const entry of extract) {
      listing.count++;
      if (listing.count > maxEntries) break;
      const header = entry.header;
      const offset = (entry as unknown as { offset: number }).offset;
      const size = header.size ?? 0;
      next = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;

      const regular = header.type === 'file' || header.type === 'contiguous-file';
      if (!regular && header.type !== null) {
        if (header.type !== 'directory') listing.others++;
        entry.resume();
        continue;
      }
      current = {
        name: paxPath(header) ?? decodeTarName(header.name),
        size,
        mtimeMs: header.mtime?.getTime() ?? Number.NaN,
        range: subRange(archive, offset + BLOCK, offset + BLOCK + size),
        kind: { archive: undefined, gzip: false },
      };
      if (!regular) current.skipped = unknownType(archive, offset);
      const { head, failure } = await readHead(entry);
      current.kind = sniffContent(head);
      if (failure) throw failure;
      listing.entries.push(current);
      current = undefined;
    }
  } catch (error) {
    listing.stop = await describeStop(archive, error as Error, next, current, listing);
  } finally {
    source.destroy();
    extract.destroy();
    await feeding;
  }
  return listing;
}

/** Writes the archive's bytes into the extractor, waiting while it is busy. */
async function feed(source: Readable, extract: tar.Extract): Promise<void> {
  try {
    for await (const chunk of source) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) await drained(extract);
    }
    if (!extract.destroyed) extract.end();
  } catch (error) {
    extract.destroy(error as Error);
  }
}

function drained(extract: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
}

/**
 * Reads the first bytes of an entry and skips the rest, for the next entry to follow. Returns
 * the error that ended the entry early with the bytes read before it.
 */
async function readHead(entry: Readable): Promise<{ head: Buffer; failure?: Error }> {
  const head: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of entry) {
      if (size >= SNIFF_BYTES) continue;
      const bytes = chunk as Buffer;
      head.push(bytes);
      size += bytes.length;
    }
  } catch (error) {
    return { head: Buffer.concat(head).subarray(0, SNIFF_BYTES), failure: error as Error };
  }
  return { head: Buffer.concat(head).subarray(0, SNIFF_BYTES) };
}

/**
 * Explains why listing stopped: the archive ends inside an entry (which stays listed with what
 * it holds) or a header, or a header is damaged. Bytes after the end-of-archive marker, two
 * blocks of zeros, are ignored as GNU tar ignores them.
 */
async function describeStop(
  archive: ByteRange,
  error: Error,
  next: number,
  current: TarEntryInfo | undefined,
  listing: TarListing,
): Promise<string | undefined> {
  const size = rangeLength(archive);
  if (current) {
    const present = Math.max(0, size - (current.range.start - archive.start));
    current.range = { ...current.range, end: archive.end };
    current.cut =
      `the tar archive ends at byte ${size}, inside the entry ${current.name}, which declares ` +
      `${current.size} bytes of which ${present} are present`;
    listing.entries.push(current);
    return current.cut;
  }
  const marker = readAt(archive, next, END_MARKER);
  if (marker.length === END_MARKER && marker.every((byte) => byte === 0)) return undefined;
  if (/unexpected end/i.test(error.message)) {
    return `the tar archive ends at byte ${size}, inside the header at byte ${next}`;
  }
  return `no valid tar header at byte ${next} (${error.message}), so the entries after it are not read`;
}

/**
 * Explains why an entry of a type that tar-stream does not know is skipped. GNU tar writes sparse
 * files (`tar -S`) as type S, whose data is stored without its holes.
 */
function unknownType(archive: ByteRange, offset: number): string {
  const flag = readAt(archive, offset + TYPE_FLAG_OFFSET, 1).toString('latin1');
  const kind =
    flag === 'S' ? 'a GNU sparse file (type S)' : `an entry of type ${JSON.stringify(flag)}`;
  return `${kind}, which trustwatch does not read, so it is skipped: extract the archive first`;
}

/** Returns the name from the entry's pax `path` record, which tar-stream 3.1 keeps in `pax`. */
function paxPath(header: tar.Headers): string | undefined {
  return (header as { pax?: Record<string, string> }).pax?.path;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a tar name given one character per byte. The ustar and GNU formats set no encoding:
 * names are UTF-8 when their bytes are valid UTF-8, else Latin-1. A pax `path` record is UTF-8
 * by the standard, and tar-stream decodes it.
 */
function decodeTarName(name: string): string {
  const bytes = Buffer.from(name, 'latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return name;
  }
}
