import * as zlib from 'node:zlib';

/** CRC-32 of `data`, continued from `previous`: the checksum of gzip (RFC 1952). */
export type Crc32 = (data: Buffer, previous?: number) => number;

/**
 * zlib's CRC-32 where Node has it (20.15 and later), else a table-driven one in JavaScript. The
 * namespace import leaves `crc32` undefined on older Node, where a named import would fail.
 */
export const crc32: Crc32 =
  typeof zlib.crc32 === 'function' ? (data, previous) => zlib.crc32(data, previous) : tableCrc32;

let table: Uint32Array | undefined;

/** CRC-32 computed with a byte table, for Node without `zlib.crc32`. */
export function tableCrc32(data: Buffer, previous = 0): number {
  table ??= buildTable();
  let crc = ~previous >>> 0;
  for (let index = 0; index < data.length; index++) {
    crc = (table[(crc ^ (data[index] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

/** Builds the byte table of the reflected polynomial 0xedb88320. */
function buildTable(): Uint32Array {
  const built = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    built[byte] = crc >>> 0;
  }
  return built;
}
