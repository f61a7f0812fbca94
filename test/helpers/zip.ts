import { crc32, deflateRawSync } from 'node:zlib';

/** One entry of a zip archive written by `makeZip`. */
export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  /** The name's bytes when they are not its UTF-8 bytes (CP437 or damaged names). */
  rawName?: Buffer;
  /** General purpose flags, such as 0x800 for UTF-8 names. */
  flags?: number;
  /** Extra field bytes, in the local and the central header alike. */
  extra?: Buffer;
  /** 0 stores the data, 8 (the default) deflates it. */
  method?: 0 | 8;
  /** Size written as the content size in place of the data's, for crafted archives. */
  declaredSize?: number;
  /** CRC-32 written in place of the data's, for damaged archives. */
  declaredCrc?: number;
}

/** Writes a zip archive in memory, for input tests; entries are deflated unless set otherwise. */
export function makeZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = entry.rawName ?? Buffer.from(entry.name, 'utf8');
    const extra = entry.extra ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const stored = method === 0 ? entry.data : deflateRawSync(entry.data);
    const crc = entry.declaredCrc ?? crc32(entry.data);
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(Math.min(size, 0xffffffff), 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, stored);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(Math.min(size, 0xffffffff), 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name, extra);
    offset += local.length + name.length + extra.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Returns the offset of the local file header of the entry named `name` (its UTF-8 bytes). */
export function localHeaderOffset(zip: Buffer, name: string): number {
  const at = zip.indexOf(Buffer.from(name, 'utf8'));
  if (at < 30 || zip.readUInt32LE(at - 30) !== 0x04034b50) {
    throw new Error(`no local file header for ${name}`);
  }
  return at - 30;
}

/** Returns the offset of an entry's data, after its local file header, name and extra field. */
export function dataOffset(zip: Buffer, name: string): number {
  const header = localHeaderOffset(zip, name);
  return header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
}
