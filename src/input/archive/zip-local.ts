import { Writable } from 'node:stream';
import yauzl from 'yauzl';
import { GzipMemberInflater } from '../gzip-member.js';
import { type ByteRange, rangeLength, readAt, readRange, subRange } from './byte-range.js';
import type { ZipEntryInfo } from './zip-directory.js';
import { skipReason } from './zip-directory.js';
import {
  DEFLATED,
  LOCAL_HEADER_SIGNATURE,
  LOCAL_HEADER_SIZE,
  STORED,
  type ZipEntryLocation,
} from './zip-entry.js';
import { decodeEntryName } from './zip-names.js';

/**
 * Recovery of a zip archive whose central directory cannot be read, as in an archive cut short:
 * the entries are found from their local file headers, from the start of the archive, as
 * Info-ZIP `zip -FF` finds them. Walking stops at the first header or data that is damaged or
 * cut, so every entry before it is read whole.
 */

const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_RECORD_SIGNATURE = 0x06054b50;
const ZIP64_END_RECORD_SIGNATURE = 0x06064b50;
const DIGITAL_SIGNATURE = 0x05054b50;
const ARCHIVE_EXTRA_DATA_SIGNATURE = 0x08064b50;
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
/** Signatures of the records that follow the last entry's data. */
const DIRECTORY_SIGNATURES = new Set([
  CENTRAL_HEADER_SIGNATURE,
  END_RECORD_SIGNATURE,
  ZIP64_END_RECORD_SIGNATURE,
  DIGITAL_SIGNATURE,
  ARCHIVE_EXTRA_DATA_SIGNATURE,
]);

const ENCRYPTED_FLAG = 0x1;
/** Bit 3: sizes and CRC-32 follow the data in a data descriptor, and are 0 in the header. */
const DESCRIPTOR_FLAG = 0x8;
const ZIP64_EXTRA_FIELD = 0x0001;
const ZIP64_MARK = 0xffffffff;

/** Bytes searched at a time for the data descriptor after a stored entry of unknown size. */
const SEARCH_BYTES = 1024 * 1024;

/** The entries found from the local file headers, and where and why the walk stopped. */
export interface LocalWalk {
  entries: ZipEntryInfo[];
  /** Reason the walk stopped before the central directory, with the offset, or undefined. */
  stop: string | undefined;
}

/** A local file header, with the entry's data range when the header gives it. */
interface LocalHeader {
  flags: number;
  method: number;
  name: string;
  mtimeMs: number;
  dataStart: number;
  /** Compressed and content sizes from the header, or the zip64 extra field. */
  compressedSize: number;
  size: number;
  /** CRC-32 from the header: 0 when a data descriptor after the data gives it. */
  crc32: number;
  zip64: boolean;
}

/**
 * Walks the local file headers of an archive, up to `maxEntries` entries, folders included, and
 * up to `directoryOffset` when the end record gives where the central directory starts.
 * `maxInflated` bounds the content that may be inflated to find where an entry ends, for
 * entries whose size only a data descriptor after their data gives.
 */
export async function walkLocalHeaders(
  archive: ByteRange,
  maxEntries: number,
  maxInflated: number,
  directoryOffset: number | undefined,
): Promise<LocalWalk> {
  const entries: ZipEntryInfo[] = [];
  const size = rangeLength(archive);
  let offset = 0;
  let inflated = 0;
  while (entries.length < maxEntries) {
    if (offset === directoryOffset) return { entries, stop: undefined };
    const signature = readAt(archive, offset, 4);
    if (signature.length < 4) {
      return { entries, stop: `the archive ends at byte ${size}, after its last whole entry` };
    }
    const value = signature.readUInt32LE(0);
    if (DIRECTORY_SIGNATURES.has(value)) return { entries, stop: undefined };
    if (value !== LOCAL_HEADER_SIGNATURE) {
      return {
        entries,
        stop: `no local file header at byte ${offset}, where an entry should start`,
      };
    }

    const header = readLocalHeader(archive, offset);
    if (typeof header === 'string') return { entries, stop: header };
    const end = await findDataEnd(archive, header, maxInflated - inflated);
    const entry = entryOf(archive, offset, header, end);
    entries.push(entry);
    if (end.cut !== undefined) return { entries, stop: end.cut };
    if (end.failure !== undefined) {
      entries.pop();
      return { entries, stop: `the entry at byte ${offset}, ${header.name}, ${end.failure}` };
    }
    if (header.flags & DESCRIPTOR_FLAG) inflated += end.size;
    offset = end.next;
  }
  return { entries, stop: undefined };
}

function readLocalHeader(archive: ByteRange, offset: number): LocalHeader | string {
  const fixed = readAt(archive, offset, LOCAL_HEADER_SIZE);
  const cut = `the archive ends at byte ${rangeLength(archive)}, inside the local header at byte ${offset}`;
  if (fixed.length < LOCAL_HEADER_SIZE) return cut;
  const nameLength = fixed.readUInt16LE(26);
  const extraLength = fixed.readUInt16LE(28);
  const variable = readAt(archive, offset + LOCAL_HEADER_SIZE, nameLength + extraLength);
  if (variable.length < nameLength + extraLength) return cut;

  const flags = fixed.readUInt16LE(6);
  const rawName = variable.subarray(0, nameLength);
  let extraFields: yauzl.ExtraField[];
  try {
    extraFields = yauzl.parseExtraFields(variable.subarray(nameLength));
  } catch (error) {
    return `the local header at byte ${offset} has a damaged extra field: ${(error as Error).message}`;
  }
  let compressedSize = fixed.readUInt32LE(18);
  let size = fixed.readUInt32LE(22);
  const zip64 = extraFields.find((field) => field.id === ZIP64_EXTRA_FIELD);
  // The zip64 field contains the 8-byte sizes that the header marks with 0xFFFFFFFF, in this order.
  let at = 0;
  if (zip64 && size === ZIP64_MARK && zip64.data.length >= at + 8) {
    size = Number(zip64.data.readBigUInt64LE(at));
    at += 8;
  }
  if (zip64 && compressedSize === ZIP64_MARK && zip64.data.length >= at + 8) {
    compressedSize = Number(zip64.data.readBigUInt64LE(at));
  }
  return {
    flags,
    method: fixed.readUInt16LE(8),
    name: decodeEntryName(flags, rawName, extraFields),
    mtimeMs: yauzl.dosDateTimeToDate(fixed.readUInt16LE(12), fixed.readUInt16LE(10)).getTime(),
    dataStart: offset + LOCAL_HEADER_SIZE + nameLength + extraLength,
    compressedSize,
    size,
    crc32: fixed.readUInt32LE(14),
    zip64: zip64 !== undefined,
  };
}

/** End of an entry's data, and the offset of the next header. */
interface DataEnd {
  compressedSize: number;
  size: number;
  next: number;
  /** Set when the archive ends inside the data: why, with the offsets. */
  cut?: string;
  /** Set when the end of the data cannot be found. */
  failure?: string;
}

async function findDataEnd(
  archive: ByteRange,
  header: LocalHeader,
  maxInflated: number,
): Promise<DataEnd> {
  const archiveSize = rangeLength(archive);
  const known = !(header.flags & DESCRIPTOR_FLAG) || header.compressedSize > 0;
  let end: DataEnd;
  if (known) {
    end = { compressedSize: header.compressedSize, size: header.size, next: 0 };
  } else if (header.method === DEFLATED) {
    end = await findDeflateEnd(archive, header, maxInflated);
  } else if (header.method === STORED) {
    end = findDescriptor(archive, header);
  } else {
    return { compressedSize: 0, size: 0, next: 0, failure: 'has no size in its header' };
  }
  if (end.cut !== undefined || end.failure !== undefined) return end;

  const dataEnd = header.dataStart + end.compressedSize;
  if (dataEnd > archiveSize) {
    return { ...end, cut: cutInside(archiveSize, header) };
  }
  end.next = dataEnd;
  if (header.flags & DESCRIPTOR_FLAG) end.next += descriptorLength(archive, dataEnd, header);
  return end;
}

function cutInside(archiveSize: number, header: LocalHeader): string {
  return (
    `the archive ends at byte ${archiveSize}, inside the data of the entry ${header.name} ` +
    `that starts at byte ${header.dataStart}`
  );
}

/** Returns the length of the data descriptor at `offset`: its signature is optional. */
/** Returns the CRC-32 that the header or the data descriptor after the data declares. */
function declaredCrc(archive: ByteRange, header: LocalHeader, end: DataEnd): number {
  if (!(header.flags & DESCRIPTOR_FLAG) || header.crc32 !== 0) return header.crc32;
  const descriptor = readAt(archive, header.dataStart + end.compressedSize, 8);
  if (descriptor.length < 8) return header.crc32;
  const signed = descriptor.readUInt32LE(0) === DATA_DESCRIPTOR_SIGNATURE;
  return descriptor.readUInt32LE(signed ? 4 : 0);
}

function descriptorLength(archive: ByteRange, offset: number, header: LocalHeader): number {
  const sizes = header.zip64 ? 16 : 8;
  const first = readAt(archive, offset, 4);
  const signed = first.length === 4 && first.readUInt32LE(0) === DATA_DESCRIPTOR_SIGNATURE;
  return (signed ? 4 : 0) + 4 + sizes;
}

/** Inflates an entry of unknown size until its deflate data ends, to find where it ends. */
async function findDeflateEnd(
  archive: ByteRange,
  header: LocalHeader,
  maxInflated: number,
): Promise<DataEnd> {
  const counter = new Writable({ write: (_chunk, _encoding, done) => done() });
  const inflater = new GzipMemberInflater(counter, undefined, () => undefined);
  const source = readRange(subRange(archive, header.dataStart, rangeLength(archive)));
  let fed = 0;
  try {
    for await (const chunk of source) {
      const bytes = chunk as Buffer;
      const unused = await inflater.write(bytes);
      if (unused > 0) {
        return { compressedSize: fed + bytes.length - unused, size: inflater.size, next: 0 };
      }
      fed += bytes.length;
      if (inflater.size > maxInflated) {
        return { compressedSize: 0, size: 0, next: 0, failure: 'inflates past the size limit' };
      }
    }
    await inflater.end();
    return { compressedSize: fed, size: inflater.size, next: 0 };
  } catch (error) {
    const message = (error as Error).message;
    if (/unexpected end/i.test(message)) {
      return {
        compressedSize: fed,
        size: inflater.size,
        next: 0,
        cut: cutInside(rangeLength(archive), header),
      };
    }
    return { compressedSize: 0, size: 0, next: 0, failure: `has damaged data: ${message}` };
  } finally {
    source.destroy();
    inflater.destroy();
  }
}

/**
 * Finds the data descriptor after a stored entry of unknown size: a descriptor signature whose
 * compressed size field equals its distance from the start of the data.
 */
function findDescriptor(archive: ByteRange, header: LocalHeader): DataEnd {
  const archiveSize = rangeLength(archive);
  const sizeWidth = header.zip64 ? 8 : 4;
  for (let from = header.dataStart; from < archiveSize; from += SEARCH_BYTES) {
    const window = readAt(archive, from, SEARCH_BYTES + 8 + 2 * sizeWidth);
    for (let at = 0; at < Math.min(SEARCH_BYTES, window.length - 4); at++) {
      if (window.readUInt32LE(at) !== DATA_DESCRIPTOR_SIGNATURE) continue;
      if (at + 8 + 2 * sizeWidth > window.length) continue;
      const length = from + at - header.dataStart;
      const field = at + 8;
      const compressed =
        sizeWidth === 8 ? Number(window.readBigUInt64LE(field)) : window.readUInt32LE(field);
      const size =
        sizeWidth === 8
          ? Number(window.readBigUInt64LE(field + 8))
          : window.readUInt32LE(field + sizeWidth);
      if (compressed === length && size === length)
        return { compressedSize: length, size, next: 0 };
    }
  }
  const size = archiveSize - header.dataStart;
  return { compressedSize: size, size, next: 0, cut: cutInside(archiveSize, header) };
}

function entryOf(
  archive: ByteRange,
  offset: number,
  header: LocalHeader,
  end: DataEnd,
): ZipEntryInfo {
  const location: ZipEntryLocation = {
    archive,
    localHeader: offset,
    method: header.method,
    compressedSize: end.compressedSize,
    size: end.size,
  };
  if (end.cut !== undefined) {
    // The part present is read. Its content is at most the size that the header declared, or
    // what its data inflated to while the walk looked for its end.
    location.compressedSize = rangeLength(archive) - header.dataStart;
    location.cut = end.cut;
  } else {
    location.crc32 = declaredCrc(archive, header, end);
  }
  const info: ZipEntryInfo = {
    name: header.name,
    size: location.size,
    mtimeMs: header.mtimeMs,
    folder: header.name.endsWith('/'),
    location,
  };
  const skipped = skipReason(header.name, (header.flags & ENCRYPTED_FLAG) !== 0, header.method);
  if (skipped !== undefined) info.skipped = skipped;
  return info;
}
