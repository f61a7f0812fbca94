import { readFile } from 'node:fs/promises';

/**
 * The IPv4 ASN table of ip-location-db: CSV lines `start,end,asn,org`, with the addresses as
 * numbers. Written by hand because no ASN database in MaxMind format is published on npm.
 *
 * The file is kept as bytes. Loading reads only the start address of each line, keeping it and
 * the line's offset in arrays sorted by start, and a lookup parses the one line that a binary
 * search finds. A scan looks up each distinct source address once, a few thousand at most,
 * whereas parsing all 410,000 lines and their names took 0.18 s of every scan that saw a public
 * address. The cost is memory: the 21 MB file and 5 MB of arrays, where the parsed table took
 * about 11 MB. A user's own table may list its lines in any order: they are sorted by start when
 * they are not already.
 */

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const COMMA = 0x2c;
const SPACE = 0x20;

/** Largest IPv4 address as a number. */
const MAX_ADDRESS = 0xffffffff;

/** One line of the table, as `readLine` parses it. */
interface AsnLine {
  end: number;
  asn: number;
  /** Offsets of the organisation name in the bytes. */
  orgFrom: number;
  orgTo: number;
}

export class Ipv4AsnTable {
  /** Offset and start address of each line that starts with a number, sorted by start. */
  private readonly offsets: Uint32Array;
  private readonly starts: Float64Array;

  constructor(private readonly bytes: Buffer) {
    // One pass over the bytes, without a Latin-1 copy and a line count, which took 35 ms of the
    // 100 to 130 ms of CPU time of loading the shipped table (Node 20). The arrays are sized for
    // lines of 48 bytes (the shipped table's average is 52), and they double when full.
    let offsets = new Uint32Array(Math.max(1024, Math.ceil(bytes.length / 48)));
    let starts = new Float64Array(offsets.length);

    // A line that does not start with a number and a comma (a header, a blank line) is passed
    // over. The rest of a line is read when a lookup finds it.
    let count = 0;
    let sorted = true;
    for (let offset = 0; offset < bytes.length; ) {
      const start = lineStart(bytes, offset);
      if (start >= 0) {
        if (count === offsets.length) {
          offsets = grown(offsets, new Uint32Array(count * 2));
          starts = grown(starts, new Float64Array(count * 2));
        }
        if (count > 0 && start < (starts[count - 1] as number)) sorted = false;
        offsets[count] = offset;
        starts[count] = start;
        count++;
      }
      const end = bytes.indexOf(NEWLINE, offset);
      offset = end < 0 ? bytes.length : end + 1;
    }

    if (sorted) {
      this.offsets = offsets.slice(0, count);
      this.starts = starts.slice(0, count);
      return;
    }
    // A stable sort keeps the file's order among lines with the same start.
    const order = Array.from({ length: count }, (_, index) => index);
    order.sort((a, b) => (starts[a] as number) - (starts[b] as number));
    this.offsets = Uint32Array.from(order, (index) => offsets[index] as number);
    this.starts = Float64Array.from(order, (index) => starts[index] as number);
  }

  /** Returns the AS of the range that contains the address, given as a 32-bit number. */
  lookup(value: number): { asn: number; asOrg: string } | undefined {
    // The last line whose range starts at or before the address.
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if ((this.starts[middle] as number) <= value) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return undefined;

    const line = readLine(this.bytes, this.offsets[high] as number);
    if (!line || value > line.end) return undefined;
    const org = this.bytes.toString('utf8', line.orgFrom, line.orgTo);
    return { asn: line.asn, asOrg: unquote(org) };
  }
}

/** Reads the CSV file of the table. */
export async function loadIpv4AsnTable(path: string): Promise<Ipv4AsnTable> {
  return new Ipv4AsnTable(await readFile(path));
}

/**
 * Reads the decimal number at `offset`, with spaces around it, up to the comma that ends its
 * field. Returns it with the offset after the comma, or undefined when the field is no number.
 */
function readNumber(
  bytes: Uint8Array,
  offset: number,
): { value: number; next: number } | undefined {
  let at = offset;
  while (bytes[at] === SPACE) at++;
  const from = at;
  let value = 0;
  for (let byte = bytes[at]; byte !== undefined && byte >= 0x30 && byte <= 0x39; ) {
    value = value * 10 + (byte - 0x30);
    byte = bytes[++at];
  }
  if (at === from) return undefined;
  while (bytes[at] === SPACE) at++;
  return bytes[at] === COMMA ? { value, next: at + 1 } : undefined;
}

/**
 * Returns the number that starts the line at `offset`, with spaces around it and a comma after,
 * or -1 when there is none or it is no IPv4 address. It runs for every line as the table loads,
 * so it allocates nothing, unlike `readNumber`.
 */
function lineStart(bytes: Uint8Array, offset: number): number {
  let at = offset;
  while (bytes[at] === SPACE) at++;
  const from = at;
  let value = 0;
  let byte = bytes[at] as number;
  while (byte >= 0x30 && byte <= 0x39) {
    value = value * 10 + (byte - 0x30);
    byte = bytes[++at] as number;
  }
  if (at === from) return -1;
  while (bytes[at] === SPACE) at++;
  if (bytes[at] !== COMMA) return -1;
  return value > MAX_ADDRESS ? -1 : value;
}

/** Copies `from` to the start of the larger `into` and returns `into`. */
function grown<T extends Uint32Array | Float64Array>(from: T, into: T): T {
  into.set(from);
  return into;
}

/** Parses the line at `offset`, or gives undefined when its first three fields are not numbers. */
function readLine(bytes: Uint8Array, offset: number): AsnLine | undefined {
  const start = readNumber(bytes, offset);
  const end = start && readNumber(bytes, start.next);
  const asn = end && readNumber(bytes, end.next);
  if (!start || !end || !asn) return undefined;
  let to = bytes.indexOf(NEWLINE, asn.next);
  if (to < 0) to = bytes.length;
  if (to > asn.next && bytes[to - 1] === RETURN) to--;
  return { end: end.value, asn: asn.value, orgFrom: asn.next, orgTo: to };
}

function unquote(field: string): string {
  return field.startsWith('"') && field.endsWith('"')
    ? field.slice(1, -1).replace(/""/g, '"')
    : field;
}
