import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, crc32, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { InputWindow } from '../../src/input/gzip-window.js';
import { decode, oktaText } from '../helpers/gzip.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * gzip members cut short and followed by another member, as when a truncated file had more
 * members appended. The cut member's inflater reads on into the next member, until those bytes
 * fail as deflate data or seem to end it with a trailer that does not match. Either way the
 * reader searches the bytes read so for the next member, and reads it.
 */

const SECOND = oktaText(7);
const THIRD = oktaText(3);
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * Fixtures copied from public sources (the OTRF, invictus-ir and panther-analysis records, each
 * with its source and license in its folder's README). They are named one by one, because the
 * cases below cut the compressed text at places chosen for it, which another file would move.
 */
const REAL_FILES = [
  'identity/otrf-aad-audit-events.json',
  'identity/otrf-office-activity.json',
  'identity/panther-azure-signin-audit.ndjson',
  'identity/panther-microsoft365-audit.ndjson',
  'identity/panther-okta-systemlog.ndjson',
  'aws/218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
  'aws/panther-sharing-records.ndjson',
  'gcp/panther-auditlog.ndjson',
  'github/panther-audit.ndjson',
  'azure-activity/panther-monitoractivity.ndjson',
];

/**
 * Real text, about 230 KB: the fixtures of `REAL_FILES` and the OTRF Windows slice of the
 * examples (source and license in examples/README.md).
 */
function realText(): Buffer {
  const files = REAL_FILES.map((file) => join(REPO_ROOT, 'test', 'fixtures', file));
  files.push(
    join(REPO_ROOT, 'examples/logs/windows-otrf/empire-psexec-dcerpc-svcctl.auth-slice.json'),
  );
  return Buffer.concat(files.map((path) => readFileSync(path)));
}

/** Returns the text that the deflate data of a member cut at `cut` gives, up to its last line. */
function wholeLinesBefore(memberBytes: Buffer, cut: number): string {
  const decodable = inflateRawSync(memberBytes.subarray(HEADER.length, cut), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  return decodable.subarray(0, decodable.lastIndexOf(0x0a) + 1).toString('utf8');
}

/** Asserts that one warning reports the member at `next` inside the member at byte 0. */
function assertFoundInside(warnings: readonly string[], next: number): void {
  const failed =
    `the next gzip member starts at byte ${next}, inside the bytes read as its deflate data, ` +
    'so the damaged member was cut off there';
  const lookedBack =
    `a gzip member starts at byte ${next}, inside the bytes read as the deflate data of the ` +
    'damaged gzip member at byte 0. That member was cut short there';
  const found = warnings.filter(
    (warning) => warning.includes(failed) || warning.startsWith(lookedBack),
  );
  assert.equal(found.length, 1, warnings.join('\n'));
}

describe('gunzip of a member cut short before another', () => {
  const text = realText();
  const whole = gzipSync(text, { level: 6 });
  // A next member long enough for the cut member's inflater to stop inside it.
  const nextText = text.subarray(0, text.indexOf(0x0a, 100_000) + 1).toString('utf8');
  const next = Buffer.concat([gzipSync(nextText), gzipSync(SECOND), gzipSync(THIRD)]);

  it('reads the next member after a cut at any point', async () => {
    // The cut member's deflate data ends seemingly at some of these cuts and fails at others.
    const step = Math.floor((whole.length - 2020) / 60);
    let lookedBack = 0;
    for (let cut = 2000; cut < whole.length - 20; cut += step) {
      const decoded = await decode(Buffer.concat([whole.subarray(0, cut), next]), 4093);

      assert.equal(decoded.failure, undefined, `cut at ${cut}`);
      assert.ok(decoded.text.startsWith(wholeLinesBefore(whole, cut)), `cut at ${cut}`);
      assert.ok(decoded.text.endsWith(nextText + SECOND + THIRD), `cut at ${cut}`);
      assertFoundInside(decoded.warnings, cut);
      if (decoded.warnings.some((warning) => warning.startsWith('a gzip member starts'))) {
        lookedBack++;
      }
    }
    assert.ok(lookedBack > 0, 'no cut made the deflate data seem to end');
  });
});

describe('gunzip of damage more than 16 MiB into a member', () => {
  // A member of 17 MiB of stored real text, then 6 MiB of it compressed, in one deflate stream.
  // The stored part ends with a full flush, so the compressed part starts on a byte boundary.
  const text = realText();
  const stored = Buffer.concat(
    Array.from({ length: Math.ceil((17 << 20) / text.length) }, () => text),
  );
  const compressed = Buffer.concat(
    Array.from({ length: Math.ceil((6 << 20) / text.length) }, () => text),
  );
  const storedDeflate = deflateRawSync(stored, { level: 0, finishFlush: constants.Z_FULL_FLUSH });
  const compressedDeflate = deflateRawSync(compressed, { level: 6 });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(compressed, crc32(stored)), 0);
  trailer.writeUInt32LE((stored.length + compressed.length) % 2 ** 32, 4);
  const member = Buffer.concat([HEADER, storedDeflate, compressedDeflate, trailer]);
  const compressedStart = HEADER.length + storedDeflate.length;
  const nextText = text.subarray(0, text.indexOf(0x0a, 100_000) + 1).toString('utf8');
  const next = Buffer.concat([gzipSync(nextText), gzipSync(SECOND), gzipSync(THIRD)]);
  const readBytes = 256 * 1024;

  // Cuts just before a 256 KiB read ends, so that the cut member's inflater reads on into the
  // next read before it stops, and one in the middle of a read.
  const boundaries = [1, 2, 3].map(
    (count) => (Math.floor(compressedStart / readBytes) + count) * readBytes - 40,
  );
  const cuts = [...boundaries, compressedStart + 100_000];

  it('reads the next member after a cut', async () => {
    assert.ok(compressedStart > 16 << 20, 'the damage must be more than 16 MiB in');
    for (const cut of cuts) {
      assert.ok(cut < compressedStart + compressedDeflate.length, `cut at ${cut}`);
      const decoded = await decode(Buffer.concat([member.subarray(0, cut), next]), readBytes);

      assert.equal(decoded.failure, undefined, `cut at ${cut}`);
      assert.ok(decoded.text.startsWith(stored.toString('utf8')), `cut at ${cut}`);
      assert.ok(decoded.text.endsWith(nextText + SECOND + THIRD), `cut at ${cut}`);
      assertFoundInside(decoded.warnings, cut);
    }
  });

  it('reads the member after flipped bytes', async () => {
    const damaged = Buffer.from(member);
    const at = compressedStart + 300_000;
    for (let index = at; index < at + 16; index++) damaged[index] = (damaged[index] ?? 0) ^ 0x5a;
    const decoded = await decode(Buffer.concat([damaged, next]), readBytes);

    assert.equal(decoded.failure, undefined);
    assert.ok(decoded.text.startsWith(stored.toString('utf8')));
    assert.ok(decoded.text.endsWith(nextText + SECOND + THIRD));
    assert.ok(decoded.warnings.length >= 1, decoded.warnings.join('\n'));
  });
});

describe('InputWindow', () => {
  /** Returns a part of `length` bytes of `value` at `offset`. */
  const part = (offset: number, length: number, value: number) => ({
    bytes: Buffer.alloc(length, value),
    offset,
  });

  it('keeps the bytes before the last chunk', () => {
    const window = new InputWindow(10);
    for (let index = 0; index < 10; index++) window.append(part(index * 4, 4, index), 1000);

    // Chunks at 24 and 28 end within 10 bytes of the last chunk, at 36; the one at 20 does not.
    assert.equal(window.start, 24);
    assert.equal(window.range(20, 30), undefined);
    assert.deepEqual(window.range(26, 30), Buffer.from([6, 6, 7, 7]));
    const from = window.from(27);
    assert.deepEqual(
      from.map((entry) => entry.offset),
      [27, 28, 32, 36],
    );
    assert.equal(from[0]?.bytes.length, 1);
  });

  it('keeps the chunks from the pinned offset', () => {
    const window = new InputWindow(4);
    for (let index = 0; index < 10; index++) window.append(part(index * 4, 4, index), 9);

    assert.equal(window.start, 8);
    assert.deepEqual(window.range(9, 13), Buffer.from([2, 2, 2, 3]));
  });

  it('rejects a chunk out of order', () => {
    const window = new InputWindow(4);
    window.append(part(0, 4, 0), 0);
    assert.throws(() => window.append(part(5, 4, 1), 0), {
      message: 'input chunk at byte 5 does not follow byte 4',
    });
  });
});
