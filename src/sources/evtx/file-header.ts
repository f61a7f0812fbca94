import { crc32 } from 'node:zlib';

/**
 * The EVTX file header: the first 4096 bytes, of which the first 128 are defined. Its chunk
 * count and next record id lag behind the chunks while the file is dirty (not closed
 * cleanly), so the reader reads every chunk the file has and uses the count only to tell a
 * truncated file.
 */

export const FILE_HEADER_SIZE = 4096;

export const FILE_SIGNATURE = Buffer.from('ElfFile\0', 'latin1');

const FLAG_DIRTY = 0x1;
const FLAG_FULL = 0x2;

/** Bytes covered by the header checksum. */
const CHECKSUMMED_BYTES = 120;

export interface FileHeader {
  signatureValid: boolean;
  firstChunkNumber: number;
  lastChunkNumber: number;
  nextRecordId: number;
  majorVersion: number;
  minorVersion: number;
  headerBlockSize: number;
  chunkCount: number;
  dirty: boolean;
  full: boolean;
  checksumValid: boolean;
}

/** Parses the header from at least 128 bytes. */
export function parseFileHeader(bytes: Buffer): FileHeader {
  return {
    signatureValid: bytes.subarray(0, 8).equals(FILE_SIGNATURE),
    firstChunkNumber: readUInt64(bytes, 8),
    lastChunkNumber: readUInt64(bytes, 16),
    nextRecordId: readUInt64(bytes, 24),
    minorVersion: bytes.readUInt16LE(36),
    majorVersion: bytes.readUInt16LE(38),
    headerBlockSize: bytes.readUInt16LE(40),
    chunkCount: bytes.readUInt16LE(42),
    dirty: (bytes.readUInt32LE(120) & FLAG_DIRTY) !== 0,
    full: (bytes.readUInt32LE(120) & FLAG_FULL) !== 0,
    checksumValid: crc32(bytes.subarray(0, CHECKSUMMED_BYTES)) === bytes.readUInt32LE(124),
  };
}

/**
 * Reads a 64-bit count or id as a number. Values past 2^53 lose precision, which no intact file
 * reaches, so checks treat them as damaged and messages print them with formatUInt64.
 */
export function readUInt64(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset) + bytes.readUInt32LE(offset + 4) * 2 ** 32;
}

/** Formats a 64-bit count or id as exact decimal text, for messages about damaged values. */
export function formatUInt64(bytes: Buffer, offset: number): string {
  return bytes.readBigUInt64LE(offset).toString();
}
