import { close, fstatSync, openSync, read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { InputError } from '../model/errors.js';
import { gunzipIfCompressed } from './open.js';

export interface ZipEntryInfo {
  name: string;
  size: number;
  mtimeMs: number;
  /** Why the entry is not read: an unsafe name or encryption. Undefined for an entry to read. */
  skipped?: string;
}

/**
 * Options of every archive opened. Names are decoded here rather than by yauzl, because yauzl
 * stops the whole listing at the first unsafe name (`../x`, `/x`, `C:\x`), and the other
 * entries are still worth reading.
 */
const ZIP_OPTIONS = { lazyEntries: true, autoClose: false, decodeStrings: false } as const;

/** Returns an entry's name as a string, with backslashes turned into slashes. */
function entryName(entry: yauzl.Entry): string {
  const { generalPurposeBitFlag, fileNameRaw, extraFields } = entry;
  return yauzl.getFileNameLowLevel(generalPurposeBitFlag, fileNameRaw, extraFields, false);
}

/** Returns why an entry is not read, or undefined when it can be read. */
function skipReason(entry: yauzl.Entry, name: string): string | undefined {
  const unsafe = yauzl.validateFileName(name);
  if (unsafe !== null) return `unsafe entry name (${unsafe}), so the entry is skipped`;
  if (entry.isEncrypted()) return 'the entry is encrypted, so it is skipped';
  return undefined;
}

/**
 * Opens a zip archive. An archive with bytes after its end-of-central-directory record, which
 * yauzl rejects but Info-ZIP `unzip` reads with a warning (some public OTRF dataset archives end
 * with one such byte), is opened again with those bytes left out.
 */
async function openZip(path: string): Promise<yauzl.ZipFile> {
  try {
    return await openWhole(path);
  } catch (error) {
    const trimmed = await openTrimmed(path);
    if (trimmed) return trimmed;
    throw damaged(error as Error);
  }
}

function openWhole(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, ZIP_OPTIONS, (error, zip) => {
      if (error || !zip) reject(error ?? new Error('unreadable'));
      else resolve(zip);
    });
  });
}

/** Size of the end-of-central-directory record without its comment. */
const END_RECORD_SIZE = 22;
const END_RECORD_SIGNATURE = 0x06054b50;
/** Maximum archive comment length, which bounds where the end record can start. */
const MAX_COMMENT_SIZE = 0xffff;
/** Bytes after the end record that are tolerated, as junk a transfer or tool appended. */
const MAX_TRAILING_BYTES = 4096;

/** Opens the archive as if it ended with its end record, or returns undefined. */
async function openTrimmed(path: string): Promise<yauzl.ZipFile | undefined> {
  const fd = openSync(path, 'r');
  let keep = false;
  try {
    const { size } = fstatSync(fd);
    const window = Math.min(size, END_RECORD_SIZE + MAX_COMMENT_SIZE + MAX_TRAILING_BYTES);
    const tail = Buffer.alloc(window);
    readSync(fd, tail, 0, window, size - window);
    const end = endOfArchive(tail, size - window, size);
    if (end === undefined) return undefined;

    const reader = new FileRangeReader(fd);
    const zip = await new Promise<yauzl.ZipFile | undefined>((resolve) => {
      yauzl.fromRandomAccessReader(reader, end, ZIP_OPTIONS, (error, opened) =>
        resolve(error ? undefined : opened),
      );
    });
    keep = zip !== undefined;
    return zip;
  } finally {
    if (!keep) close(fd, () => {});
  }
}

/**
 * Returns the offset just past the last end record and its comment that ends before `size`
 * with at most `MAX_TRAILING_BYTES` after it. Returns undefined when no record qualifies.
 */
function endOfArchive(tail: Buffer, tailStart: number, size: number): number | undefined {
  for (let at = tail.length - END_RECORD_SIZE; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== END_RECORD_SIGNATURE) continue;
    const end = tailStart + at + END_RECORD_SIZE + tail.readUInt16LE(at + 20);
    if (end < size && size - end <= MAX_TRAILING_BYTES) return end;
  }
  return undefined;
}

/** yauzl's reader over an open file, for an archive shorter than the file. */
class FileRangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  // A stream of positional reads: a file stream over a shared descriptor closes it when done.
  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let position = start;
    return new Readable({
      read(size) {
        const length = Math.min(size, end - position);
        if (length <= 0) {
          this.push(null);
          return;
        }
        read(fd, Buffer.alloc(length), 0, length, position, (error, bytes, buffer) => {
          if (error) this.destroy(error);
          else if (bytes === 0) this.destroy(new Error(`unexpected end of file at ${position}`));
          else {
            position += bytes;
            this.push(buffer.subarray(0, bytes));
          }
        });
      },
    });
  }

  override close(callback: (error: Error | null) => void): void {
    close(this.fd, callback);
  }
}

function damaged(error: Error | null): InputError {
  return new InputError('input.zip', `damaged zip archive: ${error?.message ?? 'unreadable'}`);
}

/** Lists the file entries of a zip archive in archive order, leaving out folders. */
export async function listZipEntries(path: string): Promise<ZipEntryInfo[]> {
  const zip = await openZip(path);
  const entries: ZipEntryInfo[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entryName(entry);
        if (!name.endsWith('/')) {
          const info: ZipEntryInfo = {
            name,
            size: entry.uncompressedSize,
            mtimeMs: entry.getLastModDate().getTime(),
          };
          const skipped = skipReason(entry, name);
          if (skipped !== undefined) info.skipped = skipped;
          entries.push(info);
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (error: Error) => reject(damaged(error)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** Opens one entry of a zip archive; gzip content inside the entry is decompressed too. */
export async function openZipEntry(path: string, name: string): Promise<Readable> {
  const zip = await openZip(path);
  return new Promise((resolve, reject) => {
    let found = false;
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entryName(entry) !== name) {
        zip.readEntry();
        return;
      }
      found = true;
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) {
          zip.close();
          reject(new InputError('input.zip', `cannot read zip entry ${name}: ${error?.message}`));
          return;
        }
        stream.on('end', () => zip.close());
        stream.on('close', () => zip.close());
        resolve(gunzipIfCompressed(stream));
      });
    });
    zip.on('end', () => {
      if (!found) {
        zip.close();
        reject(new InputError('input.zip', `zip entry ${name} not found in ${path}`));
      }
    });
    zip.on('error', (error: Error) => reject(damaged(error)));
    zip.readEntry();
  });
}
