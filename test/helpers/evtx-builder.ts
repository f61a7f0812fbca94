import { crc32 } from 'node:zlib';
import { joinChunks } from './evtx-files.js';

/**
 * Writes synthetic EVTX chunks, for tests of token and value types that the real fixtures do
 * not contain. Names are written inline on first use and referred to by offset afterwards, and
 * a template is defined inline by its first instance and referred to by offset afterwards, as
 * Windows writes them. Checksums are computed, so the chunks are valid.
 */

export type XmlNode =
  | { element: string; attributes?: [string, XmlNode[]][]; children?: XmlNode[] }
  | { text: string }
  | { substitution: number; type: number; optional?: boolean }
  | { cdata: string }
  | { charRef: number }
  | { entity: string }
  | { pi: string; data: string }
  | { template: string; content: XmlNode[]; values: ValueSpec[] };

/** A substitution value: its type and bytes, or for BinXml its nested nodes. */
export interface ValueSpec {
  type: number;
  bytes?: Buffer;
  binxml?: XmlNode[];
}

const CHUNK_SIZE = 65536;

export class ChunkBuilder {
  private readonly chunk = Buffer.alloc(CHUNK_SIZE);
  private position = 512;
  private readonly names = new Map<string, number>();
  private readonly templates = new Map<string, number>();
  private readonly firstRecordId: number;
  private nextRecordId: number;
  private lastRecordOffset = 0;

  constructor(private readonly options: { dependencyIds?: boolean; firstRecordId?: number } = {}) {
    this.firstRecordId = options.firstRecordId ?? 1;
    this.nextRecordId = this.firstRecordId;
  }

  /** Appends a record whose event data is a fragment with `content`. */
  addRecord(content: XmlNode[], writtenTime = 0n): this {
    const start = this.position;
    this.lastRecordOffset = start;
    this.u32(0x2a2a);
    this.u32(0);
    this.u64(BigInt(this.nextRecordId++));
    this.u64(writtenTime);
    this.fragment(content, this.options.dependencyIds ?? true);
    const size = this.position + 4 - start;
    this.chunk.writeUInt32LE(size, start + 4);
    this.u32(size);
    return this;
  }

  /** Returns the chunk with its header and both checksums. */
  finish(): Buffer {
    const chunk = this.chunk;
    chunk.write('ElfChnk\0', 0, 'latin1');
    const lastRecordId = BigInt(this.nextRecordId - 1);
    chunk.writeBigUInt64LE(BigInt(this.firstRecordId), 8);
    chunk.writeBigUInt64LE(lastRecordId, 16);
    chunk.writeBigUInt64LE(BigInt(this.firstRecordId), 24);
    chunk.writeBigUInt64LE(lastRecordId, 32);
    chunk.writeUInt32LE(128, 40);
    chunk.writeUInt32LE(this.lastRecordOffset, 44);
    chunk.writeUInt32LE(this.position, 48);
    chunk.writeUInt32LE(crc32(chunk.subarray(512, this.position)), 52);
    chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
    return Buffer.from(chunk);
  }

  private fragment(nodes: XmlNode[], dependencyIds: boolean): void {
    this.u8(0x0f);
    this.u8(1);
    this.u8(1);
    this.u8(0);
    for (const node of nodes) this.node(node, dependencyIds);
    this.u8(0x00);
  }

  private node(node: XmlNode, dependencyIds: boolean): void {
    if ('element' in node) {
      this.element(node, dependencyIds);
    } else if ('text' in node) {
      this.u8(0x05);
      this.u8(0x01);
      this.lengthPrefixed(node.text);
    } else if ('substitution' in node) {
      this.u8(node.optional ? 0x0e : 0x0d);
      this.u16(node.substitution);
      this.u8(node.type);
    } else if ('cdata' in node) {
      this.u8(0x07);
      this.lengthPrefixed(node.cdata);
    } else if ('charRef' in node) {
      this.u8(0x08);
      this.u16(node.charRef);
    } else if ('entity' in node) {
      this.u8(0x09);
      this.name(node.entity);
    } else if ('pi' in node) {
      this.u8(0x0a);
      this.name(node.pi);
      this.u8(0x0b);
      this.lengthPrefixed(node.data);
    } else {
      this.templateInstance(node);
    }
  }

  private element(node: Extract<XmlNode, { element: string }>, dependencyIds: boolean): void {
    const attributes = node.attributes ?? [];
    this.u8(attributes.length > 0 ? 0x41 : 0x01);
    if (dependencyIds) this.u16(0xffff);
    const sizeAt = this.position;
    this.u32(0);
    this.name(node.element);
    if (attributes.length > 0) {
      const listAt = this.position;
      this.u32(0);
      attributes.forEach(([name, value], index) => {
        this.u8(index < attributes.length - 1 ? 0x46 : 0x06);
        this.name(name);
        for (const part of value) this.node(part, dependencyIds);
      });
      this.chunk.writeUInt32LE(this.position - listAt - 4, listAt);
    }
    if (node.children && node.children.length > 0) {
      this.u8(0x02);
      for (const child of node.children) this.node(child, dependencyIds);
      this.u8(0x04);
    } else {
      this.u8(0x03);
    }
    this.chunk.writeUInt32LE(this.position - sizeAt - 4, sizeAt);
  }

  private templateInstance(node: Extract<XmlNode, { template: string }>): void {
    this.u8(0x0c);
    this.u8(0x01);
    this.u32(0x1234);
    const known = this.templates.get(node.template);
    if (known === undefined) {
      const offset = this.position + 4;
      this.templates.set(node.template, offset);
      this.u32(offset);
      this.u32(0);
      this.chunk.fill(0xab, this.position, this.position + 16);
      this.position += 16;
      const sizeAt = this.position;
      this.u32(0);
      this.fragment(node.content, this.options.dependencyIds ?? true);
      this.chunk.writeUInt32LE(this.position - sizeAt - 4, sizeAt);
    } else {
      this.u32(known);
    }

    this.u32(node.values.length);
    const descriptors = this.position;
    this.position += node.values.length * 4;
    node.values.forEach((value, index) => {
      const start = this.position;
      if (value.binxml) this.fragment(value.binxml, false);
      else if (value.bytes) {
        value.bytes.copy(this.chunk, this.position);
        this.position += value.bytes.length;
      }
      this.chunk.writeUInt16LE(this.position - start, descriptors + index * 4);
      this.chunk[descriptors + index * 4 + 2] = value.type;
    });
  }

  private name(name: string): void {
    const known = this.names.get(name);
    if (known !== undefined) {
      this.u32(known);
      return;
    }
    const offset = this.position + 4;
    this.names.set(name, offset);
    this.u32(offset);
    this.u32(0);
    let hash = 0;
    for (let index = 0; index < name.length; index++) {
      hash = (Math.imul(hash, 65599) + name.charCodeAt(index)) >>> 0;
    }
    this.u16(hash & 0xffff);
    this.u16(name.length);
    this.position += this.chunk.write(name, this.position, 'utf16le');
    this.u16(0);
  }

  private lengthPrefixed(text: string): void {
    this.u16(text.length);
    this.position += this.chunk.write(text, this.position, 'utf16le');
  }

  private u8(value: number): void {
    this.chunk[this.position++] = value;
  }

  private u16(value: number): void {
    this.position = this.chunk.writeUInt16LE(value, this.position);
  }

  private u32(value: number): void {
    this.position = this.chunk.writeUInt32LE(value, this.position);
  }

  private u64(value: bigint): void {
    this.position = this.chunk.writeBigUInt64LE(value, this.position);
  }
}

/** Builds a file of the given chunks. */
export function buildEvtx(chunks: Buffer[]): Buffer {
  return joinChunks(chunks);
}

/** Value encoders, one per substitution value type. */
export const value = {
  null: (): ValueSpec => ({ type: 0x00, bytes: Buffer.alloc(0) }),
  string: (text: string): ValueSpec => ({ type: 0x01, bytes: Buffer.from(`${text}\0`, 'utf16le') }),
  ansi: (bytes: number[]): ValueSpec => ({ type: 0x02, bytes: Buffer.from(bytes) }),
  int8: (number: number): ValueSpec => fixed(0x03, 1, (buffer) => buffer.writeInt8(number)),
  uint8: (number: number): ValueSpec => fixed(0x04, 1, (buffer) => buffer.writeUInt8(number)),
  int16: (number: number): ValueSpec => fixed(0x05, 2, (buffer) => buffer.writeInt16LE(number)),
  uint16: (number: number): ValueSpec => fixed(0x06, 2, (buffer) => buffer.writeUInt16LE(number)),
  int32: (number: number): ValueSpec => fixed(0x07, 4, (buffer) => buffer.writeInt32LE(number)),
  uint32: (number: number): ValueSpec => fixed(0x08, 4, (buffer) => buffer.writeUInt32LE(number)),
  int64: (number: bigint): ValueSpec => fixed(0x09, 8, (buffer) => buffer.writeBigInt64LE(number)),
  uint64: (number: bigint): ValueSpec =>
    fixed(0x0a, 8, (buffer) => buffer.writeBigUInt64LE(number)),
  real32: (number: number): ValueSpec => fixed(0x0b, 4, (buffer) => buffer.writeFloatLE(number)),
  real64: (number: number): ValueSpec => fixed(0x0c, 8, (buffer) => buffer.writeDoubleLE(number)),
  bool: (flag: boolean): ValueSpec =>
    fixed(0x0d, 4, (buffer) => buffer.writeUInt32LE(flag ? 1 : 0)),
  binary: (hex: string): ValueSpec => ({ type: 0x0e, bytes: Buffer.from(hex, 'hex') }),
  guid: (text: string): ValueSpec => ({ type: 0x0f, bytes: guidBytes(text) }),
  sizeT: (number: bigint): ValueSpec => fixed(0x10, 8, (buffer) => buffer.writeBigUInt64LE(number)),
  fileTime: (iso: string, extraTicks = 0n): ValueSpec =>
    fixed(0x11, 8, (buffer) => buffer.writeBigUInt64LE(fileTimeTicks(iso) + extraTicks)),
  systemTime: (parts: number[]): ValueSpec =>
    fixed(0x12, 16, (buffer) =>
      parts.forEach((part, index) => {
        buffer.writeUInt16LE(part, index * 2);
      }),
    ),
  sid: (text: string): ValueSpec => ({ type: 0x13, bytes: sidBytes(text) }),
  hex32: (number: number): ValueSpec => fixed(0x14, 4, (buffer) => buffer.writeUInt32LE(number)),
  hex64: (number: bigint): ValueSpec => fixed(0x15, 8, (buffer) => buffer.writeBigUInt64LE(number)),
  binxml: (nodes: XmlNode[]): ValueSpec => ({ type: 0x21, binxml: nodes }),
  stringArray: (items: string[]): ValueSpec => ({
    type: 0x81,
    bytes: Buffer.from(items.map((item) => `${item}\0`).join(''), 'utf16le'),
  }),
  uint16Array: (items: number[]): ValueSpec =>
    fixed(0x86, items.length * 2, (buffer) =>
      items.forEach((item, index) => {
        buffer.writeUInt16LE(item, index * 2);
      }),
    ),
  sidArray: (items: string[]): ValueSpec => ({
    type: 0x93,
    bytes: Buffer.concat(items.map(sidBytes)),
  }),
};

function fixed(type: number, size: number, write: (buffer: Buffer) => void): ValueSpec {
  const bytes = Buffer.alloc(size);
  write(bytes);
  return { type, bytes };
}

function guidBytes(text: string): Buffer {
  const hex = text.replace(/[{}-]/g, '');
  const bytes = Buffer.from(hex, 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}

function sidBytes(text: string): Buffer {
  const [, revision, authority, ...subAuthorities] = text.split('-');
  const bytes = Buffer.alloc(8 + subAuthorities.length * 4);
  bytes[0] = Number(revision);
  bytes[1] = subAuthorities.length;
  bytes.writeUIntBE(Number(authority), 2, 6);
  subAuthorities.forEach((part, index) => {
    bytes.writeUInt32LE(Number(part), 8 + index * 4);
  });
  return bytes;
}

/** 100-nanosecond ticks since 1601 of an ISO time with at most millisecond precision. */
export function fileTimeTicks(iso: string): bigint {
  return (BigInt(Date.parse(iso)) + 11644473600000n) * 10000n;
}
