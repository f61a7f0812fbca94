import { crc32 } from 'node:zlib';
import { readUInt64 } from './file-header.js';

/**
 * The 512-byte header of a 64 KiB chunk: the numbers and ids of its records, the offset where
 * its free space starts, and two CRC32 checksums. One covers the header (bytes 0–119 and
 * 128–511), the other the records (from byte 512 to the free space). The header also caches
 * string and template offsets in hash tables. The reader does not need them, because every
 * reference in the records carries its offset.
 */

export const CHUNK_SIZE = 65536;

export const CHUNK_HEADER_SIZE = 512;

export const CHUNK_SIGNATURE = Buffer.from('ElfChnk\0', 'latin1');

/** Most records a chunk can hold: each takes at least 28 bytes of header and trailer. */
export const MAX_RECORDS_PER_CHUNK = Math.floor((CHUNK_SIZE - CHUNK_HEADER_SIZE) / 28);

export interface ChunkHeader {
  signatureValid: boolean;
  firstRecordNumber: number;
  lastRecordNumber: number;
  firstRecordId: number;
  lastRecordId: number;
  lastRecordOffset: number;
  freeSpaceOffset: number;
  /** Whether the header checksum matches. */
  headerChecksumValid: boolean;
  /** Whether the records checksum matches; undefined when the records are not all present. */
  recordsChecksumValid: boolean | undefined;
}

/** Parses the header of a chunk of which `length` bytes (at least 512) are present. */
export function parseChunkHeader(chunk: Buffer, length: number): ChunkHeader {
  const freeSpaceOffset = chunk.readUInt32LE(48);
  const headerChecksum = crc32(
    chunk.subarray(128, CHUNK_HEADER_SIZE),
    crc32(chunk.subarray(0, 120)),
  );
  let recordsChecksumValid: boolean | undefined;
  if (freeSpaceOffset >= CHUNK_HEADER_SIZE && freeSpaceOffset <= length) {
    const recordsChecksum = crc32(chunk.subarray(CHUNK_HEADER_SIZE, freeSpaceOffset));
    recordsChecksumValid = recordsChecksum === chunk.readUInt32LE(52);
  }
  return {
    signatureValid: chunk.subarray(0, 8).equals(CHUNK_SIGNATURE),
    firstRecordNumber: readUInt64(chunk, 8),
    lastRecordNumber: readUInt64(chunk, 16),
    firstRecordId: readUInt64(chunk, 24),
    lastRecordId: readUInt64(chunk, 32),
    lastRecordOffset: chunk.readUInt32LE(44),
    freeSpaceOffset,
    headerChecksumValid: headerChecksum === chunk.readUInt32LE(124),
    recordsChecksumValid,
  };
}

/**
 * Returns the number of records the header declares, or undefined when its record numbers are
 * not a plausible range for one chunk.
 */
export function declaredRecordCount(header: ChunkHeader): number | undefined {
  const { firstRecordNumber: first, lastRecordNumber: last } = header;
  // Numbers past 2^53 are rounded, so two damaged ones could seem a short range.
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) return undefined;
  const count = last - first + 1;
  if (count < 1 || count > MAX_RECORDS_PER_CHUNK) return undefined;
  return count;
}
