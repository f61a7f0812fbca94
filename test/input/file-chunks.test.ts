import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FileChunks } from '../../src/input/file-chunks.js';
import { gunzipIfCompressed, openFileBytes } from '../../src/input/open.js';

const folder = mkdtempSync(join(tmpdir(), 'trustwatch-file-chunks-'));

function writeInput(name: string, bytes: Uint8Array | string): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

async function collect(stream: Readable): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}

/** Returns bytes counting 0 to 250 in turn, so that a chunk out of place changes the whole. */
function countingBytes(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => index % 251));
}

describe('FileChunks', () => {
  it('reads fixed-size chunks', async () => {
    const bytes = countingBytes(10_000);
    const chunks = await collect(new FileChunks(writeInput('counting.bin', bytes), 4096));

    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [4096, 4096, 1808],
    );
    assert.deepEqual(Buffer.concat(chunks), bytes);
  });

  it('reads an empty file', async () => {
    assert.deepEqual(await collect(new FileChunks(writeInput('empty.bin', ''), 4096)), []);
  });

  it('fails on a missing file', async () => {
    const missing = join(folder, 'missing.json');
    await assert.rejects(collect(new FileChunks(missing, 4096)), { code: 'ENOENT' });
  });

  it('closes when the reader stops', async () => {
    const stream = new FileChunks(writeInput('early.bin', countingBytes(50_000)), 1024);
    for await (const chunk of stream) {
      assert.equal((chunk as Buffer).length, 1024);
      break;
    }
    assert.equal(stream.destroyed, true);
  });
});

describe('FileChunks and the event loop', () => {
  it('yields to the event loop', async () => {
    const path = writeInput('turns.bin', countingBytes(64 * 1024));
    let turned = false;
    let timed = false;
    setImmediate(() => {
      turned = true;
    });
    setTimeout(() => {
      timed = true;
    }, 0);
    let chunks = 0;
    let turnedBy40 = false;
    let timedBy40 = false;
    for await (const _ of new FileChunks(path, 1024)) {
      chunks++;
      if (chunks === 40) {
        turnedBy40 = turned;
        timedBy40 = timed;
      }
    }
    assert.equal(chunks, 64);
    assert.equal(turnedBy40, true);
    assert.equal(timedBy40, true);
  });

  it('closes with a chunk waiting for its turn', async () => {
    const path = writeInput('in-flight.bin', countingBytes(64 * 1024));
    const stream = new FileChunks(path, 1024);
    const chunks = stream[Symbol.asyncIterator]();
    for (let at = 0; at < 15; at++) await chunks.next();
    // The sixteenth chunk waits for a turn of the event loop when the stream is destroyed.
    const sixteenth = chunks.next();
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();
    await closed;
    await sixteenth.catch(() => undefined);

    assert.equal(stream.destroyed, true);
    const open = descriptorsOn(path);
    if (open !== undefined) assert.equal(open, 0);
  });
});

describe('openFileBytes', () => {
  it('reads plain and gzip files', async () => {
    const text = Array.from({ length: 3000 }, (_, index) => `{"n":${index}}`).join('\n');
    const plain = writeInput('plain.json', text);
    const packed = writeInput('packed.json.gz', gzipSync(text));

    const read = async (path: string) =>
      Buffer.concat(await collect(await openFileBytes(path))).toString('utf8');

    assert.equal(await read(plain), text);
    assert.equal(await read(packed), text);
  });

  it('reads a one-byte file', async () => {
    const path = writeInput('one-byte.json', '1');
    assert.equal(Buffer.concat(await collect(await openFileBytes(path))).toString('utf8'), '1');
  });

  it('rejects a missing file', async () => {
    await assert.rejects(openFileBytes(join(folder, 'nowhere.json')), { code: 'ENOENT' });
  });
});

describe('gunzipIfCompressed', () => {
  it('passes an empty stream', async () => {
    assert.deepEqual(await collect(await gunzipIfCompressed(Readable.from([]))), []);
  });
});

/** Counts this process's open descriptors on `path`; undefined where `/proc` is missing. */
function descriptorsOn(path: string): number | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  let count = 0;
  for (const entry of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${entry}`) === path) count++;
    } catch {
      // The descriptor that listed the folder is already closed.
    }
  }
  return count;
}

describe('closing an input early', () => {
  const text = Array.from({ length: 60_000 }, (_, index) => `{"n":${index},"pad":"${index}"}`);
  const cases = [
    { name: 'plain', path: () => writeInput('early-plain.json', text.join('\n')) },
    { name: 'gzip', path: () => writeInput('early-packed.json.gz', gzipSync(text.join('\n'))) },
  ];

  for (const { name, path: makePath } of cases) {
    it(`closes the file of a ${name} input`, async (t) => {
      const path = makePath();
      if (descriptorsOn(path) === undefined) {
        t.skip('no /proc/self/fd on this system');
        return;
      }
      const stream = await openFileBytes(path);
      for await (const _ of stream) break;
      await new Promise((resolve) => setImmediate(resolve));

      assert.equal(descriptorsOn(path), 0);
    });
  }
});

describe('gzip detection on a pipe', () => {
  it('sees the magic split across two reads', async () => {
    const text = '{"n":1}\n{"n":2}\n';
    const packed = gzipSync(text);
    const source = new PassThrough();
    const opened = gunzipIfCompressed(source);
    source.write(packed.subarray(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    source.end(packed.subarray(1));

    const read = Buffer.concat(await collect(await opened)).toString('utf8');
    assert.equal(read, text);
  });

  it('passes a stream of one byte', async () => {
    const source = new PassThrough();
    const opened = gunzipIfCompressed(source);
    source.end(Buffer.from([0x1f]));

    assert.deepEqual(Buffer.concat(await collect(await opened)), Buffer.from([0x1f]));
  });
});
