import yauzl from 'yauzl';
import { InputError } from '../../model/errors.js';
import { type ByteRange, openRangeReader, rangeLength, readAt } from './byte-range.js';
import { unreadMethod, type ZipEntryLocation } from './zip-entry.js';
import { decodeEntryName } from './zip-names.js';

/** One entry of a zip archive. */
export interface ZipEntryInfo {
  name: string;
  size: number;
  mtimeMs: number;
  /** True for a folder entry, which has no content. */
  folder: boolean;
  /**
   * Why the entry is not read: an unsafe name, encryption, a compression method that trustwatch
   * does not read. Undefined for an entry to read.
   */
  skipped?: string;
  location: ZipEntryLocation;
}

/**
 * Options of every archive opened. Names are decoded here rather than by yauzl, because yauzl
 * stops the whole listing at the first unsafe name (`../x`, `/x`, `C:\x`), and the other
 * entries are still worth reading.
 */
const ZIP_OPTIONS = { lazyEntries: true, autoClose: false, decodeStrings: false } as const;

/** Returns why an entry is not read, or undefined when it can be read. */
export function skipReason(name: string, encrypted: boolean, method: number): string | undefined {
  const unsafe = yauzl.validateFileName(name);
  if (unsafe !== null) return `unsafe entry name (${unsafe}), so the entry is skipped`;
  if (encrypted) return 'the entry is encrypted, so it is skipped';
  return unreadMethod(method);
}

/**
 * Lists the entries of a zip archive from its central directory, in directory order, folders
 * included, up to `maxEntries`. Rejects when the directory cannot be read.
 */
export async function listCentralDirectory(
  archive: ByteRange,
  maxEntries: number,
): Promise<ZipEntryInfo[]> {
  const zip = await openZip(archive);
  const entries: ZipEntryInfo[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entryInfo(archive, entry));
        if (entries.length >= maxEntries) resolve();
        else zip.readEntry();
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

function entryInfo(archive: ByteRange, entry: yauzl.Entry): ZipEntryInfo {
  const name = decodeEntryName(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields);
  const info: ZipEntryInfo = {
    name,
    size: entry.uncompressedSize,
    mtimeMs: entry.getLastModDate().getTime(),
    folder: name.endsWith('/'),
    location: {
      archive,
      localHeader: entry.relativeOffsetOfLocalHeader,
      method: entry.compressionMethod,
      compressedSize: entry.compressedSize,
      size: entry.uncompressedSize,
      crc32: entry.crc32,
    },
  };
  const skipped = skipReason(name, entry.isEncrypted(), entry.compressionMethod);
  if (skipped !== undefined) info.skipped = skipped;
  return info;
}

/**
 * Opens a zip archive. An archive with bytes after its end-of-central-directory record, which
 * yauzl rejects but Info-ZIP `unzip` reads with a warning (some public OTRF dataset archives end
 * with one such byte), is opened again with those bytes left out.
 */
async function openZip(archive: ByteRange): Promise<yauzl.ZipFile> {
  try {
    return await openRange(archive, rangeLength(archive));
  } catch (error) {
    const end = findEndRecord(archive);
    if (end !== undefined && end.end < rangeLength(archive)) {
      try {
        return await openRange(archive, end.end);
      } catch {
        // The first error describes the archive better.
      }
    }
    throw damaged(error as Error);
  }
}

async function openRange(archive: ByteRange, size: number): Promise<yauzl.ZipFile> {
  const reader = await openRangeReader(archive);
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(reader, size, ZIP_OPTIONS, (error, zip) => {
      if (error || !zip) {
        reader.close(() => {});
        reject(error ?? new Error('unreadable'));
      } else {
        resolve(zip);
      }
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
/** A field value meaning that the zip64 end record contains the real one. */
const ZIP64_MARK = 0xffffffff;

/** The end-of-central-directory record: where the archive ends, and where its directory starts. */
export interface EndRecord {
  /** Offset just past the record and its comment. */
  end: number;
  /** Offset of the central directory, undefined when a zip64 record contains it. */
  directoryOffset: number | undefined;
}

/**
 * Finds the last end record that, with its comment, ends at most `MAX_TRAILING_BYTES` before the
 * end of the archive. Returns undefined when none does.
 */
export function findEndRecord(archive: ByteRange): EndRecord | undefined {
  const size = rangeLength(archive);
  const window = Math.min(size, END_RECORD_SIZE + MAX_COMMENT_SIZE + MAX_TRAILING_BYTES);
  const tail = readAt(archive, size - window, window);
  const tailStart = size - window;
  for (let at = tail.length - END_RECORD_SIZE; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== END_RECORD_SIGNATURE) continue;
    const end = tailStart + at + END_RECORD_SIZE + tail.readUInt16LE(at + 20);
    if (end > size || size - end > MAX_TRAILING_BYTES) continue;
    const offset = tail.readUInt32LE(at + 16);
    return { end, directoryOffset: offset === ZIP64_MARK ? undefined : offset };
  }
  return undefined;
}

function damaged(error: Error | null): InputError {
  return new InputError('input.zip', `damaged zip archive: ${error?.message ?? 'unreadable'}`);
}
