import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/input/crc32.js';
import { readFailure, readWarnings } from '../../src/input/gunzip.js';
import { gunzipIfCompressed } from '../../src/input/open.js';
import { REPO_ROOT } from './shared.js';

/** gzip inputs built in memory, and their decoding as a scan reads them. */

const OKTA = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
const OKTA_LINES = readFileSync(OKTA, 'utf8').split('\n').filter(Boolean);

/** Okta System Log records, one per line, `count` of them taken from the fixture in turn. */
export function oktaText(count: number): string {
  const lines = Array.from({ length: count }, (_, index) => OKTA_LINES[index % OKTA_LINES.length]);
  return `${lines.join('\n')}\n`;
}

export interface Decoded {
  bytes: Buffer;
  text: string;
  failure: string | undefined;
  warnings: readonly string[];
}

/** Decompresses `bytes` delivered in chunks of `chunkBytes`, as a pipe or a file read would. */
export async function decode(input: Buffer, chunkBytes = 64 * 1024): Promise<Decoded> {
  const chunks: Buffer[] = [];
  for (let start = 0; start < input.length; start += chunkBytes) {
    chunks.push(input.subarray(start, start + chunkBytes));
  }
  const stream = await gunzipIfCompressed(Readable.from(chunks, { objectMode: false }));
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  const bytes = Buffer.concat(parts);
  return {
    bytes,
    text: bytes.toString('utf8'),
    failure: readFailure(stream)?.message,
    warnings: readWarnings(stream),
  };
}

/** Builds a gzip member by hand, with the optional header fields that gzipSync never writes. */
export function member(
  text: string | Buffer,
  fields: { name?: string; comment?: string; extra?: Buffer; headerCrc?: boolean } = {},
): Buffer {
  const data = Buffer.from(text);
  let flags = 0;
  if (fields.headerCrc) flags |= 0x02;
  if (fields.extra) flags |= 0x04;
  if (fields.name !== undefined) flags |= 0x08;
  if (fields.comment !== undefined) flags |= 0x10;
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3])];
  if (fields.extra) {
    const length = Buffer.alloc(2);
    length.writeUInt16LE(fields.extra.length);
    parts.push(length, fields.extra);
  }
  if (fields.name !== undefined) parts.push(Buffer.from(`${fields.name}\0`, 'latin1'));
  if (fields.comment !== undefined) parts.push(Buffer.from(`${fields.comment}\0`, 'latin1'));
  if (fields.headerCrc) {
    const crc = Buffer.alloc(2);
    crc.writeUInt16LE(crc32(Buffer.concat(parts)) & 0xffff);
    parts.push(crc);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([...parts, deflateRawSync(data), trailer]);
}
