import { EVTX_CODES, EvtxParseError } from './parse-error.js';

/**
 * Substitution values of Binary XML, rendered as text the way Windows writes them in event XML.
 * Integers are decimal, `HexInt32`/`HexInt64` are `0x` and lower-case digits without padding,
 * and GUIDs are `{xxxxxxxx-…}` in lower case. FILETIME is ISO 8601 UTC with 7 fraction digits,
 * SIDs are `S-1-…`, binary data is upper-case hex and booleans are `true`/`false`. Arrays
 * become one string per item.
 */

export const VALUE_TYPE = {
  null: 0x00,
  string: 0x01,
  ansiString: 0x02,
  int8: 0x03,
  uint8: 0x04,
  int16: 0x05,
  uint16: 0x06,
  int32: 0x07,
  uint32: 0x08,
  int64: 0x09,
  uint64: 0x0a,
  real32: 0x0b,
  real64: 0x0c,
  bool: 0x0d,
  binary: 0x0e,
  guid: 0x0f,
  sizeT: 0x10,
  fileTime: 0x11,
  systemTime: 0x12,
  sid: 0x13,
  hexInt32: 0x14,
  hexInt64: 0x15,
  evtHandle: 0x20,
  binXml: 0x21,
  evtXml: 0x23,
  arrayFlag: 0x80,
} as const;

/** Byte size of one item of each fixed-size type, for arrays. */
const ITEM_SIZES: Record<number, number> = {
  [VALUE_TYPE.int8]: 1,
  [VALUE_TYPE.uint8]: 1,
  [VALUE_TYPE.int16]: 2,
  [VALUE_TYPE.uint16]: 2,
  [VALUE_TYPE.int32]: 4,
  [VALUE_TYPE.uint32]: 4,
  [VALUE_TYPE.int64]: 8,
  [VALUE_TYPE.uint64]: 8,
  [VALUE_TYPE.real32]: 4,
  [VALUE_TYPE.real64]: 8,
  [VALUE_TYPE.bool]: 4,
  [VALUE_TYPE.guid]: 16,
  [VALUE_TYPE.sizeT]: 8,
  [VALUE_TYPE.fileTime]: 8,
  [VALUE_TYPE.systemTime]: 16,
  [VALUE_TYPE.hexInt32]: 4,
  [VALUE_TYPE.hexInt64]: 8,
};

const ansiDecoder = new TextDecoder('windows-1252');

/** Seconds between 1601-01-01 (the FILETIME epoch) and 1970-01-01. */
const FILETIME_EPOCH_SECONDS = 11644473600n;

/**
 * Renders one substitution value. Returns null for the null type and for empty values of
 * non-string types, a string array for array types, and a string otherwise. BinXml values are
 * not rendered here (the expander parses them as nested fragments).
 */
export function renderValue(
  buffer: Buffer,
  type: number,
  start: number,
  size: number,
): string | string[] | null {
  if (type & VALUE_TYPE.arrayFlag) return renderArray(buffer, type & 0x7f, start, size);
  if (type === VALUE_TYPE.string) return utf16Text(buffer, start, size);
  if (type === VALUE_TYPE.ansiString) return ansiText(buffer, start, size);
  if (type === VALUE_TYPE.null || size === 0) return null;
  return renderScalar(buffer, type, start, size);
}

function renderScalar(buffer: Buffer, type: number, start: number, size: number): string {
  switch (type) {
    case VALUE_TYPE.int8:
      return String(buffer.readInt8(start));
    case VALUE_TYPE.uint8:
      return String(buffer[start]);
    case VALUE_TYPE.int16:
      return String(fixed(buffer, start, size, 2, type).readInt16LE(start));
    case VALUE_TYPE.uint16:
      return String(fixed(buffer, start, size, 2, type).readUInt16LE(start));
    case VALUE_TYPE.int32:
      return String(fixed(buffer, start, size, 4, type).readInt32LE(start));
    case VALUE_TYPE.uint32:
      return String(fixed(buffer, start, size, 4, type).readUInt32LE(start));
    case VALUE_TYPE.int64:
      return String(fixed(buffer, start, size, 8, type).readBigInt64LE(start));
    case VALUE_TYPE.uint64:
      return String(fixed(buffer, start, size, 8, type).readBigUInt64LE(start));
    case VALUE_TYPE.real32:
      return formatReal32(fixed(buffer, start, size, 4, type).readFloatLE(start));
    case VALUE_TYPE.real64:
      return String(fixed(buffer, start, size, 8, type).readDoubleLE(start));
    case VALUE_TYPE.bool:
      return readBool(buffer, start, size) ? 'true' : 'false';
    case VALUE_TYPE.binary:
    case VALUE_TYPE.evtXml:
      return buffer.toString('hex', start, start + size).toUpperCase();
    case VALUE_TYPE.guid:
      return formatGuid(fixed(buffer, start, size, 16, type), start);
    case VALUE_TYPE.sizeT:
      return size >= 8 ? hex64(buffer, start) : hex32(fixed(buffer, start, size, 4, type), start);
    case VALUE_TYPE.fileTime:
      return fileTimeText(fixed(buffer, start, size, 8, type), start);
    case VALUE_TYPE.systemTime:
      return formatSystemTime(fixed(buffer, start, size, 16, type), start);
    case VALUE_TYPE.sid:
      return formatSid(buffer, start, size);
    case VALUE_TYPE.hexInt32:
      return hex32(fixed(buffer, start, size, 4, type), start);
    case VALUE_TYPE.hexInt64:
      return hex64(fixed(buffer, start, size, 8, type), start);
    case VALUE_TYPE.evtHandle:
      if (size >= 8) return String(buffer.readBigUInt64LE(start));
      return String(fixed(buffer, start, size, 4, type).readUInt32LE(start));
    default:
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `unknown value type 0x${type.toString(16)}`,
        start,
      );
  }
}

function renderArray(buffer: Buffer, type: number, start: number, size: number): string[] {
  if (type === VALUE_TYPE.string) return splitStrings(utf16Text(buffer, start, size));
  if (type === VALUE_TYPE.ansiString) return splitStrings(ansiText(buffer, start, size));
  const items: string[] = [];
  const end = start + size;

  if (type === VALUE_TYPE.sid) {
    let offset = start;
    while (offset + 8 <= end) {
      const length = 8 + 4 * (buffer[offset + 1] ?? 0);
      items.push(formatSid(buffer, offset, Math.min(length, end - offset)));
      offset += length;
    }
    return items;
  }

  const itemSize = ITEM_SIZES[type];
  if (itemSize === undefined) {
    throw new EvtxParseError(
      EVTX_CODES.invalidBinXml,
      `unsupported array of value type 0x${type.toString(16)}`,
      start,
    );
  }
  for (let offset = start; offset + itemSize <= end; offset += itemSize) {
    items.push(renderScalar(buffer, type, offset, itemSize));
  }
  return items;
}

/** Decodes UTF-16LE text without its trailing NUL characters. */
export function utf16Text(buffer: Buffer, start: number, size: number): string {
  let end = start + (size & ~1);
  while (end > start && buffer[end - 1] === 0 && buffer[end - 2] === 0) end -= 2;
  return buffer.toString('utf16le', start, end);
}

function ansiText(buffer: Buffer, start: number, size: number): string {
  let end = start + size;
  while (end > start && buffer[end - 1] === 0) end--;
  return ansiDecoder.decode(buffer.subarray(start, end));
}

/** Splits NUL-separated strings (of a string array whose trailing NULs were removed). */
function splitStrings(text: string): string[] {
  return text === '' ? [] : text.split('\0');
}

function fixed(buffer: Buffer, start: number, size: number, needed: number, type: number) {
  if (size < needed) {
    throw new EvtxParseError(
      EVTX_CODES.invalidBinXml,
      `value of type 0x${type.toString(16)} needs ${needed} bytes but has ${size}`,
      start,
    );
  }
  return buffer;
}

function readBool(buffer: Buffer, start: number, size: number): boolean {
  for (let offset = start; offset < start + Math.min(size, 8); offset++) {
    if (buffer[offset] !== 0) return true;
  }
  return false;
}

function hex32(buffer: Buffer, start: number): string {
  return `0x${buffer.readUInt32LE(start).toString(16)}`;
}

function hex64(buffer: Buffer, start: number): string {
  const high = buffer.readUInt32LE(start + 4);
  const low = buffer.readUInt32LE(start);
  if (high === 0) return `0x${low.toString(16)}`;
  return `0x${high.toString(16)}${padHex(low, 8)}`;
}

/** Shortest decimal text that reads back as the same 32-bit float. */
function formatReal32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let precision = 1; precision < 10; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(value);
}

export function formatGuid(buffer: Buffer, start: number): string {
  const data1 = padHex(buffer.readUInt32LE(start), 8);
  const data2 = padHex(buffer.readUInt16LE(start + 4), 4);
  const data3 = padHex(buffer.readUInt16LE(start + 6), 4);
  const data4 = buffer.toString('hex', start + 8, start + 10);
  const data5 = buffer.toString('hex', start + 10, start + 16);
  return `{${data1}-${data2}-${data3}-${data4}-${data5}}`;
}

function padHex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/**
 * Formats the FILETIME at `start`. Times before the year 16000 are split into seconds and
 * ticks with exact double arithmetic (2^32 = 429 * 10^7 + 4967296), which avoids BigInt.
 */
function fileTimeText(buffer: Buffer, start: number): string {
  const high = buffer.readUInt32LE(start + 4);
  if (high >= 2 ** 30) return formatFileTime(buffer.readBigUInt64LE(start));
  const rest = high * 4967296 + buffer.readUInt32LE(start);
  const seconds = high * 429 + Math.floor(rest / 10_000_000) - Number(FILETIME_EPOCH_SECONDS);
  return isoWithTicks(seconds, rest % 10_000_000);
}

/** Formats 100-nanosecond intervals since 1601-01-01 UTC as `YYYY-MM-DDThh:mm:ss.fffffffZ`. */
export function formatFileTime(ticks: bigint): string {
  const seconds = ticks / 10_000_000n - FILETIME_EPOCH_SECONDS;
  return isoWithTicks(Number(seconds), Number(ticks % 10_000_000n));
}

function isoWithTicks(seconds: number, ticks: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  if (iso.length !== 24) return iso;
  return `${iso.slice(0, 19)}.${String(ticks).padStart(7, '0')}Z`;
}

function formatSystemTime(buffer: Buffer, start: number): string {
  const year = buffer.readUInt16LE(start);
  const month = buffer.readUInt16LE(start + 2);
  const day = buffer.readUInt16LE(start + 6);
  const hour = buffer.readUInt16LE(start + 8);
  const minute = buffer.readUInt16LE(start + 10);
  const second = buffer.readUInt16LE(start + 12);
  const millisecond = buffer.readUInt16LE(start + 14);
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  const time = `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  return `${date}T${time}.${pad(millisecond, 3)}0000Z`;
}

/** Formats a binary SID: revision, 48-bit big-endian authority, then 32-bit sub-authorities. */
function formatSid(buffer: Buffer, start: number, size: number): string {
  if (size < 8) {
    throw new EvtxParseError(EVTX_CODES.invalidBinXml, `SID of ${size} bytes is too short`, start);
  }
  const count = buffer[start + 1] ?? 0;
  if (8 + 4 * count > size) {
    throw new EvtxParseError(
      EVTX_CODES.invalidBinXml,
      `SID with ${count} sub-authorities does not fit in ${size} bytes`,
      start,
    );
  }
  const authority = buffer.readUIntBE(start + 2, 6);
  const authorityText = authority < 2 ** 32 ? String(authority) : `0x${authority.toString(16)}`;
  let text = `S-${buffer[start]}-${authorityText}`;
  for (let index = 0; index < count; index++) {
    text += `-${buffer.readUInt32LE(start + 8 + 4 * index)}`;
  }
  return text;
}
