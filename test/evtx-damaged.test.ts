import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { HEAD_BYTES } from '../src/input/opened.js';
import { type LogFields, MemoryLogger } from '../src/model/logger.js';
import { readEvtx } from '../src/sources/evtx/evtx-reader.js';
import type { Rejection } from '../src/sources/format.js';
import {
  CHUNK_SIZE,
  chunkOf,
  FILE_HEADER_SIZE,
  FIXTURES,
  joinChunks,
  readFixture,
  recordOffsets,
  sealChunk,
  sealFileHeader,
  writeTempFiles,
} from './helpers/evtx-files.js';
import { readInput, TEST_SETTINGS } from './helpers/read-input.js';

/**
 * Damaged EVTX files built from the bundled fixtures in a temporary folder: cut off, with
 * flipped bytes, with damaged headers. Every record that can still be read must be yielded,
 * the others rejected with a code and a message naming the file offset, and nothing may throw.
 */

const TIMEOUT = { timeout: 20_000 };

/** Three chunks from three fixtures: 8, 12 and 30 records. */
function threeChunks(): Buffer[] {
  return [
    chunkOf(readFixture(FIXTURES.passTheHash)),
    chunkOf(readFixture(FIXTURES.atExec)),
    chunkOf(readFixture(FIXTURES.psExec)),
  ];
}

async function readBytes(t: TestContext, bytes: Buffer, format?: string) {
  const folder = writeTempFiles(t, { 'damaged.evtx': bytes });
  return readInput(join(folder, 'damaged.evtx'), format);
}

function recordIds(result: Awaited<ReturnType<typeof readInput>>): number[] {
  return result.events.map((event) => event.origin.record);
}

function assertNamesOffsets(rejections: Rejection[]): void {
  for (const rejection of rejections) assert.match(rejection.message, /offset \d+/);
}

/** File offset of the second chunk, after the file header and the first chunk. */
const CHUNK_1 = FILE_HEADER_SIZE + CHUNK_SIZE;

/** Returns the offset in the chunk of its record at `index`. */
function recordAt(chunk: Buffer, index: number): number {
  const record = recordOffsets(chunk)[index];
  if (!record) throw new Error(`the chunk has no record ${index}`);
  return record.offset;
}

/** Adds 2^40 to the id in the record header at `offset`, as one flipped bit would. */
function flipIdBit40(chunk: Buffer, offset: number): void {
  const at = offset + 8 + 5;
  chunk.writeUInt8(chunk.readUInt8(at) ^ 0x01, at);
}

/** Returns the id in the record header at `offset` of a chunk. */
function headerId(chunk: Buffer, offset: number): number {
  return Number(chunk.readBigUInt64LE(offset + 8));
}

/** Returns the fields of the warnings about record header ids that were replaced. */
function replacedIdWarnings(entries: MemoryLogger['entries']): LogFields[] {
  const message = 'EVTX record header id not trusted; numbering the record by its position';
  return entries.filter((entry) => entry.message === message).map((entry) => entry.fields);
}

/** Returns the fields of the warnings about damaged chunk headers. */
function chunkWarnings(entries: MemoryLogger['entries']): LogFields[] {
  const message = 'EVTX chunk header damaged; its records are read by their own headers';
  return entries.filter((entry) => entry.message === message).map((entry) => entry.fields);
}

function codes(rejections: Rejection[]): string[] {
  return rejections.map((rejection) => rejection.code);
}

describe('evtx damaged input', () => {
  it('reads a joined three-chunk file', TIMEOUT, async (t) => {
    const result = await readBytes(t, joinChunks(threeChunks()));
    assert.equal(result.format, 'evtx');
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
  });

  it('rejects a file cut inside its header', TIMEOUT, async (t) => {
    const result = await readBytes(t, joinChunks(threeChunks()).subarray(0, 100));
    assert.equal(result.events.length, 0);
    assert.deepEqual(codes(result.rejections), ['evtx_truncated']);
    assert.match(result.rejections[0]?.message ?? '', /offset 100\b/);
  });

  it('reports chunks lost after a cut', TIMEOUT, async (t) => {
    const file = joinChunks(threeChunks()).subarray(0, FILE_HEADER_SIZE + CHUNK_SIZE);
    const result = await readBytes(t, file);
    assert.equal(result.events.length, 8);
    assert.deepEqual(codes(result.rejections), ['evtx_truncated']);
    assert.match(result.rejections[0]?.message ?? '', /counts 3 chunks/);
    assertNamesOffsets(result.rejections);
  });

  it('yields the records before a cut inside a chunk', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const full = await readBytes(t, joinChunks(chunks));
    const records = recordOffsets(chunks[1] as Buffer);
    const cutRecord = records[5] as { offset: number; size: number };
    const cut = FILE_HEADER_SIZE + CHUNK_SIZE + cutRecord.offset + 40;

    const result = await readBytes(t, joinChunks(chunks).subarray(0, cut));
    assert.deepEqual(recordIds(result), recordIds(full).slice(0, 8 + 5));
    assert.deepEqual(codes(result.rejections), [
      ...new Array(12 - 5).fill('evtx_truncated'),
      'evtx_truncated',
    ]);
    assertNamesOffsets(result.rejections);
  });

  it('reads a chunk with a bad checksum', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[0] as Buffer;
    const host = Buffer.from('FS03.offsec', 'utf16le');
    const at = chunk.lastIndexOf(host, chunk.readUInt32LE(48));
    assert.ok(at > recordOffsets(chunk)[1]!.offset, 'the host name is a value of a later record');
    chunk[at] = 'G'.charCodeAt(0);

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    assert.ok(result.events.some((event) => event.fields.Computer === 'GS03.offsec.lan'));
    const warnings = result.logger.entries.map((entry) => entry.message);
    assert.ok(warnings.includes('EVTX chunk checksum mismatch; its records are read anyway'));
  });

  it('rejects only records a damaged template breaks', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[1] as Buffer;
    const first = recordOffsets(chunk)[0] as { offset: number };
    const definition = chunk.readUInt32LE(first.offset + 24 + 4 + 6);
    chunk[definition + 24 + 4] = 0x7f; // the definition's first element token

    const result = await readBytes(t, joinChunks(chunks));
    assert.ok(result.rejections.length > 0);
    assert.equal(result.events.length + result.rejections.length, 50);
    assert.ok(codes(result.rejections).every((code) => code === 'evtx_invalid_binxml'));
    assert.match(result.rejections[0]?.message ?? '', /unexpected token 0x7f/);
    assertNamesOffsets(result.rejections);
  });

  it('skips a record with an oversized size field', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const damaged = recordOffsets(chunk)[10] as { offset: number };
    chunk.writeUInt32LE(0x00ffffff, damaged.offset + 4);
    const full = await readBytes(t, joinChunks(threeChunks()));

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 49);
    assert.deepEqual(codes(result.rejections), ['evtx_invalid_record']);
    assert.match(result.rejections[0]?.message ?? '', /record size 16777215 does not fit/);
    const missing = recordIds(full).filter((id) => !recordIds(result).includes(id));
    assert.equal(missing.length, 1);
  });

  it('reads records after a damaged header and id', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[1] as Buffer;
    const damaged = recordAt(chunk, 3);
    const renumbered = recordAt(chunk, 4);
    const damagedId = headerId(chunk, damaged);
    chunk.fill(0, damaged, damaged + 4);
    flipIdBit40(chunk, renumbered);
    const full = await readBytes(t, joinChunks(threeChunks()));

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 49);
    assert.deepEqual(codes(result.rejections), ['evtx_invalid_record']);
    assert.equal(result.rejections[0]?.origin.record, damagedId);
    assert.equal(
      result.rejections[0]?.message,
      `record ${damagedId} at offset ${CHUNK_1 + damaged} (chunk 1 at offset ${CHUNK_1}): ` +
        'no record signature (2a 2a 00 00)',
    );
    const missing = recordIds(full).filter((id) => !recordIds(result).includes(id));
    assert.equal(missing.length, 1);
    const replaced = replacedIdWarnings(result.logger.entries);
    assert.equal(replaced.length, 1);
    assert.equal(replaced[0]?.chunk_offset, CHUNK_1);
    assert.equal(replaced[0]?.offset, CHUNK_1 + renumbered);
    assert.equal(replaced[0]?.stored_id, String(damagedId + 1 + 2 ** 40));
    assert.equal(replaced[0]?.record, damagedId + 1);
  });

  it('rejects a record after a damaged id by position', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const renumbered = recordAt(chunk, 6);
    const cut = recordAt(chunk, 7);
    const cutId = headerId(chunk, cut);
    flipIdBit40(chunk, renumbered);
    chunk.writeUInt32LE(0x00ffffff, cut + 4);

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 49);
    assert.deepEqual(codes(result.rejections), ['evtx_invalid_record']);
    assert.equal(result.rejections[0]?.origin.record, cutId);
    assert.equal(
      result.rejections[0]?.message,
      `record ${cutId} at offset ${CHUNK_1 + CHUNK_SIZE + cut} (chunk 2 at offset ` +
        `${CHUNK_1 + CHUNK_SIZE}): record size 16777215 does not fit in the chunk`,
    );
    assert.equal(replacedIdWarnings(result.logger.entries)[0]?.record, cutId - 1);
  });

  it('rejects unreadable content with the position id', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[0] as Buffer;
    const damaged = recordAt(chunk, 2);
    const damagedId = headerId(chunk, damaged);
    chunk[damaged + 15] = 0x7f;
    chunk[damaged + 24] = 0x7f;

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 49);
    assert.deepEqual(codes(result.rejections), ['evtx_invalid_binxml']);
    assert.equal(result.rejections[0]?.origin.record, damagedId);
    assert.match(result.rejections[0]?.message ?? '', /unexpected token 0x7f/);
    assert.equal(replacedIdWarnings(result.logger.entries).length, 1);
  });

  it('keeps intact record ids after a damaged one', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const offsets = recordOffsets(chunk).map((record) => record.offset);
    const ids = offsets.map((offset) => headerId(chunk, offset));
    const last = offsets.length - 1;
    // A jump forward inside the chunk's range, a step back, and the last record's id zeroed.
    chunk.writeBigUInt64LE(BigInt((ids[5] as number) + 7), recordAt(chunk, 5) + 8);
    chunk.writeBigUInt64LE(BigInt(ids[0] as number), recordAt(chunk, 9) + 8);
    chunk.writeBigUInt64LE(0n, recordAt(chunk, last) + 8);

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    const replaced = replacedIdWarnings(result.logger.entries);
    assert.deepEqual(
      replaced.map((fields) => fields.record),
      [ids[5], ids[9], ids[last]],
    );
    assert.deepEqual(
      replaced.map((fields) => fields.stored_id),
      [String((ids[5] as number) + 7), String(ids[0]), '0'],
    );
  });

  it('prints damaged 64-bit ids exactly', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const ids = recordOffsets(chunk).map((record) => headerId(chunk, record.offset));
    // Past 2^53 a double rounds these: the max 64-bit id would print as 18446744073709552000.
    const stored = [0xffff_ffff_ffff_ffffn, 2n ** 53n + 1n, 0x8000_0000_0000_0001n];
    chunk.writeBigUInt64LE(stored[0] as bigint, recordAt(chunk, 4) + 8);
    chunk.writeBigUInt64LE(stored[1] as bigint, recordAt(chunk, 8) + 8);
    chunk.writeBigUInt64LE(stored[2] as bigint, recordAt(chunk, 12) + 8);

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    const replaced = replacedIdWarnings(result.logger.entries);
    assert.deepEqual(
      replaced.map((fields) => fields.stored_id),
      ['18446744073709551615', '9007199254740993', '9223372036854775809'],
    );
    assert.deepEqual(
      replaced.map((fields) => fields.record),
      [ids[4], ids[8], ids[12]],
    );
  });

  it('prints damaged chunk record numbers exactly', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[1] as Buffer;
    // Both numbers round to 2^64 as doubles, so they must not pass for a one-record range.
    chunk.writeBigUInt64LE(0xffff_ffff_ffff_fff0n, 8);
    chunk.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 16);
    sealChunk(chunk);

    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    const warnings = chunkWarnings(result.logger.entries);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.chunk_offset, CHUNK_1);
    assert.equal(
      warnings[0]?.reason,
      'the chunk header declares records 18446744073709551600 to 18446744073709551615, not ' +
        'a range one chunk can hold; its records are read without the count',
    );
  });

  it('reads a chunk with a damaged signature', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    (chunks[1] as Buffer).write('XXXXXXX', 0, 'latin1');
    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    const warnings = chunkWarnings(result.logger.entries);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.chunk_offset, 69632);
    assert.match(String(warnings[0]?.reason), /no ElfChnk signature/);
  });

  it('detects and reads a damaged file header', TIMEOUT, async (t) => {
    const file = joinChunks(threeChunks());
    file.write('Damaged', 0, 'latin1');
    for (const format of [undefined, 'evtx']) {
      const result = await readBytes(t, file, format);
      assert.equal(result.format, 'evtx');
      assert.equal(result.events.length, 50);
      assert.deepEqual(result.rejections, []);
      const messages = result.logger.entries.map((entry) => entry.message);
      assert.ok(
        messages.includes('EVTX file header has no ElfFile signature; its chunks are read'),
      );
    }
  });

  it('leaves a file without chunk signature undetected', TIMEOUT, async (t) => {
    const file = joinChunks(threeChunks());
    file.write('Damaged', 0, 'latin1');
    file.write('Damaged', FILE_HEADER_SIZE, 'latin1');
    assert.equal((await readBytes(t, file)).format, undefined);
  });

  it('reads every chunk of a dirty file', TIMEOUT, async (t) => {
    const file = joinChunks(threeChunks(), { chunkCount: 1, flags: 1 });
    file.writeUInt32LE(0x12345678, 124);
    const result = await readBytes(t, file);
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.rejections, []);
    const warnings = result.logger.entries.map((entry) => entry.message);
    assert.ok(warnings.includes('EVTX file header checksum mismatch; its chunks are read anyway'));
  });

  it('skips unused zero chunks', TIMEOUT, async (t) => {
    const [first, second] = threeChunks();
    const file = joinChunks([first as Buffer, Buffer.alloc(CHUNK_SIZE), second as Buffer]);
    const result = await readBytes(t, file);
    assert.equal(result.events.length, 20);
    assert.deepEqual(result.rejections, []);
  });

  it('rejects records the chunk header counts but lacks', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[0] as Buffer;
    chunk.writeBigUInt64LE(chunk.readBigUInt64LE(16) + 3n, 16);
    sealChunk(chunk);
    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    assert.deepEqual(codes(result.rejections), new Array(3).fill('evtx_missing_record'));
    assertNamesOffsets(result.rejections);
  });

  it('never reads records from slack space', TIMEOUT, async (t) => {
    const result = await readBytes(t, readFixture(FIXTURES.userCreated));
    assert.deepEqual(recordIds(result), [2775247, 2775256]);
    assert.deepEqual(result.rejections, []);
  });

  it('yields what a truncated head contains', TIMEOUT, async () => {
    const file = readFixture(FIXTURES.psExec);
    const logger = new MemoryLogger();
    const context = { file: 'head.evtx', mtimeMs: undefined, settings: TEST_SETTINGS, logger };
    const head = (async function* () {
      yield file.subarray(0, HEAD_BYTES);
    })();
    let events = 0;
    const rejected: Rejection[] = [];
    for await (const output of readEvtx(head, context)) {
      events += output.events.length;
      rejected.push(...output.rejections);
    }
    assert.ok(events > 20);
    assert.equal(events + rejected.length, 30);
    assert.ok(codes(rejected).every((code) => code === 'evtx_truncated'));
    assert.deepEqual(logger.entries, []);
  });

  it('reads a file header rewritten by a sealed edit', TIMEOUT, async (t) => {
    const file = joinChunks(threeChunks());
    file.writeBigUInt64LE(99n, 24);
    sealFileHeader(file);
    const result = await readBytes(t, file);
    assert.equal(result.events.length, 50);
    assert.deepEqual(result.logger.entries, []);
  });
  it('reads records past a low record count', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const full = await readBytes(t, joinChunks(threeChunks()));
    const chunk = chunks[2] as Buffer;
    // The last record number, and also the last record id, as a hand edit would change both.
    for (const field of [16, 32]) chunk.writeBigUInt64LE(chunk.readBigUInt64LE(field) - 20n, field);
    const result = await readBytes(t, joinChunks(chunks));
    assert.deepEqual(recordIds(result), recordIds(full));
    assert.deepEqual(result.rejections, []);
    const warnings = chunkWarnings(result.logger.entries);
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.reason), /\(10\) but the chunk holds 30 records/);
  });

  it('reads records past a low free-space offset', TIMEOUT, async (t) => {
    const full = await readBytes(t, joinChunks(threeChunks()));
    for (const freeSpace of [600, recordAt(threeChunks()[2] as Buffer, 3) + 8, 0, 0xffffffff]) {
      const chunks = threeChunks();
      (chunks[2] as Buffer).writeUInt32LE(freeSpace, 48);
      const result = await readBytes(t, joinChunks(chunks));
      assert.deepEqual(recordIds(result), recordIds(full), `free space ${freeSpace}`);
      assert.deepEqual(result.rejections, [], `free space ${freeSpace}`);
      const warnings = chunkWarnings(result.logger.entries);
      assert.equal(warnings.length, 1, `free space ${freeSpace}`);
      assert.match(
        String(warnings[0]?.reason),
        new RegExp(`free space at chunk offset ${freeSpace}`),
      );
    }
  });

  it('reads no slack past a high free-space offset', TIMEOUT, async (t) => {
    const file = readFixture(FIXTURES.userCreated);
    file.writeUInt32LE(file.readUInt32LE(FILE_HEADER_SIZE + 48) + 4096, FILE_HEADER_SIZE + 48);
    const result = await readBytes(t, file);
    assert.deepEqual(recordIds(result), [2775247, 2775256]);
    assert.deepEqual(result.rejections, []);
  });

  it('places records lost in a damaged span', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const [, second, third, fourth] = recordOffsets(chunk);
    if (!second || !third || !fourth) throw new Error('the chunk has too few records');
    chunk.writeUInt32LE(0, second.offset + 4);
    chunk.writeUInt32LE(0, third.offset + 4);
    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 48);
    assert.deepEqual(codes(result.rejections), ['evtx_invalid_record', 'evtx_invalid_record']);
    const base = FILE_HEADER_SIZE + 2 * CHUNK_SIZE;
    assert.match(
      result.rejections[0]?.message ?? '',
      new RegExp(`at offset ${base + second.offset} `),
    );
    assert.match(
      result.rejections[1]?.message ?? '',
      new RegExp(`at offset ${base + third.offset} `),
    );
    assert.match(
      result.rejections[1]?.message ?? '',
      new RegExp(`from offset ${base + second.offset} to ${base + fourth.offset}$`),
    );
  });

  it('names a duplicate record header id', TIMEOUT, async (t) => {
    const chunks = threeChunks();
    const chunk = chunks[2] as Buffer;
    const offset = recordAt(chunk, 4);
    chunk.writeBigUInt64LE(BigInt(headerId(chunk, recordAt(chunk, 5))), offset + 8);
    const result = await readBytes(t, joinChunks(chunks));
    assert.equal(result.events.length, 50);
    const replaced = replacedIdWarnings(result.logger.entries);
    assert.equal(replaced.length, 1);
    assert.equal(replaced[0]?.reason, 'the next record has the same id');
  });
});
