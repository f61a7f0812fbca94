import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../src/model/logger.js';
import { evtxFormat } from '../src/sources/evtx/evtx.js';
import { readEvtx } from '../src/sources/evtx/evtx-reader.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import {
  chunkOf,
  FIXTURE_COUNTS,
  FIXTURES,
  joinChunks,
  readFixture,
  writeTempFiles,
} from './helpers/evtx-files.js';
import { readInput, TEST_SETTINGS } from './helpers/read-input.js';

/** The evtx source format as the rest of trustwatch uses it: registry, detection, stream. */

const CONTEXT = { file: 'logs/Security.evtx', mtimeMs: undefined, settings: TEST_SETTINGS };

/** Reads bytes fed in pieces of the given sizes, repeated until the input ends. */
async function readInPieces(bytes: Buffer, sizes: number[]) {
  const pieces = (async function* () {
    let offset = 0;
    for (let index = 0; offset < bytes.length; index++) {
      const size = sizes[index % sizes.length] as number;
      yield bytes.subarray(offset, offset + size);
      offset += size;
    }
  })();
  const fields: unknown[] = [];
  let rejections = 0;
  for await (const output of readEvtx(pieces, { ...CONTEXT, logger: silentLogger })) {
    for (const event of output.events) fields.push(event.fields);
    rejections += output.rejections.length;
  }
  return { fields, rejections };
}

describe('evtx format', () => {
  it('is registered as evtx', () => {
    const format = createFormatRegistry().get('evtx');
    assert.equal(format, evtxFormat);
    assert.equal(format?.framing, 'binary');
    assert.match(format?.description ?? '', /\.evtx files of every channel/);
  });

  it('detects the file signature', () => {
    const head = readFixture(FIXTURES.passTheHash).subarray(0, 4096);
    assert.equal(evtxFormat.detect({ head, name: 'Security.evtx' }), 1);
    assert.equal(evtxFormat.detect({ head: Buffer.from('ElfChnk\0'), name: 'x.evtx' }), 0);
    assert.equal(evtxFormat.detect({ head: Buffer.from('Elf'), name: 'x.evtx' }), 0);
    assert.equal(evtxFormat.detect({ head: new Uint8Array(0), name: 'x.evtx' }), 0);
  });

  it('yields the same events whatever the piece sizes', async () => {
    const file = joinChunks([
      chunkOf(readFixture(FIXTURES.passTheHash)),
      chunkOf(readFixture(FIXTURES.psExec)),
    ]);
    const whole = await readInPieces(file, [file.length]);
    assert.equal(whole.fields.length, 38);
    for (const sizes of [[1, 4095, 65536], [7, 100_003], [4096], [65537, 3]]) {
      const pieces = await readInPieces(file, sizes);
      assert.deepEqual(pieces.fields, whole.fields, `pieces of ${sizes.join(', ')} bytes`);
      assert.equal(pieces.rejections, 0);
    }
  });

  it('yields nothing for an empty input', async () => {
    const result = await readInPieces(Buffer.alloc(0), [1]);
    assert.deepEqual(result, { fields: [], rejections: 0 });
  });

  it('sets format, origin and log source', async (t) => {
    const folder = writeTempFiles(t, { 'Security.evtx': readFixture(FIXTURES.passTheHash) });
    const path = join(folder, 'Security.evtx');
    const { events } = await readInput(path);
    assert.equal(events.length, FIXTURE_COUNTS[FIXTURES.passTheHash]);
    for (const event of events) {
      assert.equal(event.format, 'evtx');
      assert.equal(event.origin.file, path);
      assert.equal(event.origin.line, 0);
      assert.deepEqual(event.logsource, { product: 'windows' });
      assert.equal(event.timeText, event.fields.TimeCreated);
    }
    const ids = events.map((event) => event.origin.record);
    assert.deepEqual(
      ids,
      [...ids].sort((left, right) => left - right),
    );
  });

  it('reads a gzip-compressed file', async (t) => {
    const folder = writeTempFiles(t, {
      'Security.evtx.gz': gzipSync(readFixture(FIXTURES.atExec)),
    });
    const result = await readInput(join(folder, 'Security.evtx.gz'));
    assert.equal(result.format, 'evtx');
    assert.equal(result.events.length, FIXTURE_COUNTS[FIXTURES.atExec]);
  });

  it('gives the Windows field names', async (t) => {
    const folder = writeTempFiles(t, { 'a.evtx': readFixture(FIXTURES.passTheHash) });
    const { events } = await readInput(join(folder, 'a.evtx'));
    const logon = events.find((event) => event.fields.EventID === '4624');
    assert.ok(logon);
    assert.equal(logon.fields.Channel, 'Security');
    assert.equal(logon.fields.Provider_Name, 'Microsoft-Windows-Security-Auditing');
    assert.match(String(logon.fields.TargetLogonId), /^0x[0-9a-f]+$/);
    assert.match(String(logon.fields.TimeCreated), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.equal(logon.core.action, '4624');
    assert.equal(logon.core.host, logon.fields.Computer);
  });
});
