import { readFile } from 'node:fs/promises';

/**
 * The IPv4 ASN table of ip-location-db: CSV lines `start,end,asn,org`, sorted by start, with
 * the addresses as numbers. Written by hand because no ASN database in MaxMind format is
 * published on npm.
 *
 * The file is kept as bytes and only the first line of each block of `BLOCK_BYTES` is read when
 * it loads. A lookup finds the block by binary search and reads its lines. A scan looks up each
 * distinct source address once, a few thousand at most, whereas parsing all 410,000 lines into
 * arrays took 0.18 s of every scan that saw a public address.
 */

/** Bytes per block. A lookup reads about 160 lines of the shipped table (52 bytes a line). */
const BLOCK_BYTES = 8192;

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const COMMA = 0x2c;

/** One line of the table, as `readLine` finds it. */
interface AsnLine {
  start: number;
  end: number;
  asn: number;
  /** Offsets of the organisation name in the bytes. */
  orgFrom: number;
  orgTo: number;
  /** Offset of the next line. */
  next: number;
}

export class Ipv4AsnTable {
  /** Offset of the first well-formed line of each block, and that line's start address. */
  private readonly blockOffsets: number[] = [];
  private readonly blockStarts: number[] = [];

  constructor(private readonly bytes: Buffer) {
    for (let block = 0; block < bytes.length; block += BLOCK_BYTES) {
      let offset = lineStartFrom(bytes, block);
      // A line that does not parse (a header, a blank line) is passed over, here and below.
      while (offset < bytes.length && offset < block + BLOCK_BYTES) {
        const line = readLine(bytes, offset);
        if (line) {
          this.blockOffsets.push(offset);
          this.blockStarts.push(line.start);
          break;
        }
        offset = nextLine(bytes, offset);
      }
    }
  }

  /** Returns the AS of the range that contains the address, given as a 32-bit number. */
  lookup(value: number): { asn: number; asOrg: string } | undefined {
    // The last block whose first range starts at or before the address.
    let low = 0;
    let high = this.blockStarts.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if ((this.blockStarts[middle] as number) <= value) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return undefined;

    // Its last range that starts at or before the address; it may end in the next block.
    const limit = this.blockOffsets[high + 1] ?? this.bytes.length;
    let found: AsnLine | undefined;
    for (let offset = this.blockOffsets[high] as number; offset < limit; ) {
      const line = readLine(this.bytes, offset);
      if (line) {
        if (line.start > value) break;
        found = line;
        offset = line.next;
      } else {
        offset = nextLine(this.bytes, offset);
      }
    }
    if (!found || value > found.end) return undefined;
    const org = this.bytes.toString('utf8', found.orgFrom, found.orgTo);
    return { asn: found.asn, asOrg: unquote(org) };
  }
}

/** Reads the CSV file of the table. */
export async function loadIpv4AsnTable(path: string): Promise<Ipv4AsnTable> {
  return new Ipv4AsnTable(await readFile(path));
}

/** Returns the offset of the first line that starts at or after `offset`. */
function lineStartFrom(bytes: Uint8Array, offset: number): number {
  if (offset === 0 || bytes[offset - 1] === NEWLINE) return offset;
  return nextLine(bytes, offset);
}

/** Returns the offset after the end of the line that contains `offset`. */
function nextLine(bytes: Uint8Array, offset: number): number {
  const end = bytes.indexOf(NEWLINE, offset);
  return end < 0 ? bytes.length : end + 1;
}

/** Parses the line at `offset`; undefined when its first three fields are not numbers. */
function readLine(bytes: Uint8Array, offset: number): AsnLine | undefined {
  const fields: number[] = [];
  let at = offset;
  while (fields.length < 3) {
    let number = 0;
    const from = at;
    for (let byte = bytes[at]; byte !== undefined && byte >= 0x30 && byte <= 0x39; ) {
      number = number * 10 + (byte - 0x30);
      byte = bytes[++at];
    }
    if (at === from || bytes[at] !== COMMA) return undefined;
    fields.push(number);
    at++;
  }
  let end = bytes.indexOf(NEWLINE, at);
  const next = end < 0 ? bytes.length : end + 1;
  if (end < 0) end = bytes.length;
  if (end > at && bytes[end - 1] === RETURN) end--;
  const [start, last, asn] = fields as [number, number, number];
  return { start, end: last, asn, orgFrom: at, orgTo: end, next };
}

function unquote(field: string): string {
  return field.startsWith('"') && field.endsWith('"')
    ? field.slice(1, -1).replace(/""/g, '"')
    : field;
}
