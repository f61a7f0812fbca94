import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { crc32 } from 'node:zlib';
import { fixturePath } from './shared.js';

/**
 * Builders of EVTX test files from the bundled fixtures: files joined from the chunks of
 * several fixtures, headers and checksums rewritten after an edit, and a temporary folder that
 * is removed when the test ends.
 */

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;

export const FIXTURES = {
  passTheHash: 'ID4624-Mimikatz_Pass_the_hash.evtx',
  rdpLogons: 'ID1149-RDP_success_logins_to_multiple_hosts.evtx',
  atExec: 'ID4688_4698_4699_5145_4624-ATexec_remote_trask_creation_GLOBAL.evtx',
  userCreated: 'ID4720-Local_user_created.evtx',
  psExec: 'ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx',
} as const;

export const FIXTURE_COUNTS: Record<string, number> = {
  [FIXTURES.passTheHash]: 8,
  [FIXTURES.rdpLogons]: 11,
  [FIXTURES.atExec]: 12,
  [FIXTURES.userCreated]: 2,
  [FIXTURES.psExec]: 30,
};

export function readFixture(name: string): Buffer {
  return readFileSync(fixturePath('evtx', name));
}

/** Returns the chunk at `index` of an EVTX file, as a copy. */
export function chunkOf(file: Buffer, index = 0): Buffer {
  const start = FILE_HEADER_SIZE + index * CHUNK_SIZE;
  return Buffer.from(file.subarray(start, start + CHUNK_SIZE));
}

/** Builds a file from chunks, with a clean file header that counts them. */
export function joinChunks(
  chunks: Buffer[],
  options: { chunkCount?: number; flags?: number } = {},
) {
  const header = Buffer.from(readFixture(FIXTURES.passTheHash).subarray(0, FILE_HEADER_SIZE));
  const count = options.chunkCount ?? chunks.length;
  header.writeBigUInt64LE(0n, 8);
  header.writeBigUInt64LE(BigInt(Math.max(count - 1, 0)), 16);
  header.writeUInt16LE(count, 42);
  header.writeUInt32LE(options.flags ?? 0, 120);
  sealFileHeader(header);
  return Buffer.concat([header, ...chunks]);
}

/** Rewrites the file header checksum after an edit. */
export function sealFileHeader(file: Buffer): void {
  file.writeUInt32LE(crc32(file.subarray(0, 120)), 124);
}

/** Rewrites both checksums of a chunk after an edit. */
export function sealChunk(chunk: Buffer): void {
  const freeSpace = chunk.readUInt32LE(48);
  chunk.writeUInt32LE(crc32(chunk.subarray(512, freeSpace)), 52);
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
}

/** Offsets (in the chunk) and sizes of the records up to the chunk's free-space offset. */
export function recordOffsets(chunk: Buffer): { offset: number; size: number }[] {
  const records: { offset: number; size: number }[] = [];
  const freeSpace = chunk.readUInt32LE(48);
  let offset = 512;
  while (offset + 24 <= freeSpace && chunk.readUInt32LE(offset) === 0x2a2a) {
    const size = chunk.readUInt32LE(offset + 4);
    records.push({ offset, size });
    offset += size;
  }
  return records;
}

/** Creates a temporary folder removed after the test, and writes `files` into it. */
export function writeTempFiles(t: TestContext, files: Record<string, Buffer>): string {
  const folder = mkdtempSync(join(tmpdir(), 'trustwatch-evtx-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
  return folder;
}
