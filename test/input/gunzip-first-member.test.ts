import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isGzip } from '../../src/input/gzip-detect.js';
import { quoteBytes } from '../../src/input/gzip-skip.js';
import { runCli } from '../helpers/cli.js';
import { decode, member, oktaText } from '../helpers/gzip.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * gzip inputs whose first member has a damaged header, or that start with junk. The reader
 * skips what comes before the first valid member, reads every member from there, and warns
 * once with the offset and length of the skipped bytes. An input without any valid member
 * fails as not gzip.
 */

const FIRST = oktaText(6);
const SECOND = oktaText(7);
const THIRD = oktaText(3);
const EVTX_FOLDER = join(REPO_ROOT, 'test', 'fixtures', 'evtx');

/** Returns the warning for `count` bytes skipped before a first member at byte `count`. */
function leadingWarning(count: number, quoted: string): string {
  const verbs = count === 1 ? 'is not gzip data and was' : 'are not gzip data and were';
  const bytes = count === 1 ? '1 byte' : `${count} bytes`;
  return (
    `${bytes} before the first gzip member, from byte 0 to the member at byte ${count}, ` +
    `${verbs} skipped: ${quoted}`
  );
}

/** Returns a copy of `bytes` with the byte at `index` set to `value`. */
function withByte(bytes: Buffer, index: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = value;
  return copy;
}

/** Returns the quoted preview of skipped bytes, as the warning gives it. */
function preview(bytes: Buffer): string {
  return `${quoteBytes(bytes.subarray(0, 32))}${bytes.length > 32 ? ' …' : ''}`;
}

describe('gunzip of a damaged first member', () => {
  const first = member(FIRST, { name: 'okta.ndjson' });
  const withExtra = member(FIRST, { extra: Buffer.from('AP\x04\x00tw01', 'latin1') });
  const withCrc = member(FIRST, {
    extra: Buffer.from('AP\x04\x00tw01', 'latin1'),
    headerCrc: true,
  });
  const rest = Buffer.concat([gzipSync(SECOND), gzipSync(THIRD)]);

  // Each damaged first member is skipped as a whole, up to the second member. The reason, if
  // any, is the one that the warning gives after the quoted bytes.
  const damages = [
    { name: 'the first magic byte flipped', bytes: withByte(first, 0, 0x1e) },
    { name: 'the second magic byte flipped', bytes: withByte(first, 1, 0x8a) },
    {
      name: 'an unknown method',
      bytes: withByte(first, 2, 7),
      reason: 'their member header is invalid: unknown compression method 7 (gzip uses 8, deflate)',
    },
    {
      name: 'a reserved flag bit',
      bytes: withByte(first, 3, 0x28),
      reason: 'their member header is invalid: reserved flag bits set (flags 0x28)',
    },
    {
      // The name flag cleared: the name is read as deflate data, which fails.
      name: 'the name flag cleared',
      bytes: withByte(first, 3, 0),
      reason: 'their deflate data failed before a whole line of text: ',
    },
    {
      // A header CRC-16 that the member does not have: two deflate bytes are taken for it.
      name: 'the header CRC flag set',
      bytes: withByte(first, 3, 0x0a),
      reason: 'their member header is invalid: header CRC-16 mismatch',
    },
    {
      // The extra field then seems to run 4 bytes longer, into the deflate data.
      name: 'a longer extra field length',
      bytes: withByte(withExtra, 10, 12),
      reason: 'their deflate data failed before a whole line of text: ',
    },
    {
      name: 'a shorter extra field length',
      bytes: withByte(withExtra, 10, 4),
      reason: 'their deflate data failed before a whole line of text: ',
    },
    {
      name: 'a flipped extra byte under a header CRC',
      bytes: withByte(withCrc, 14, 0x78),
      reason: 'their member header is invalid: header CRC-16 mismatch',
    },
  ];

  for (const { name, bytes, reason } of damages) {
    it(`reads the members after ${name}`, async () => {
      const input = Buffer.concat([bytes, rest]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, SECOND + THIRD, `chunks of ${chunkBytes} bytes`);
        assert.equal(decoded.failure, undefined);
        assert.equal(decoded.warnings.length, 1);
        const warning = decoded.warnings[0] ?? '';
        const expected = leadingWarning(bytes.length, preview(bytes));
        assert.ok(warning.startsWith(expected), `${warning}\nexpected: ${expected}`);
        if (reason) {
          const because = `. They start with the gzip magic, but ${reason}`;
          assert.ok(warning.includes(because), warning);
        } else {
          assert.ok(warning.endsWith(' …'), warning);
        }
      }
    });
  }

  it('reads a flipped byte inside the extra field', async () => {
    // Without a header CRC-16, nothing checks the extra field's bytes.
    const bytes = withByte(withExtra, 14, 0x78);
    const decoded = await decode(Buffer.concat([bytes, rest]));

    assert.equal(decoded.text, FIRST + SECOND + THIRD);
    assert.deepEqual(decoded.warnings, []);
  });

  it('fails as not gzip without a valid member', async () => {
    const damaged = withByte(gzipSync(FIRST), 0, 0x1e);
    for (const chunkBytes of [64 * 1024, 1]) {
      const decoded = await decode(damaged, chunkBytes);

      assert.equal(decoded.text, '');
      assert.equal(
        decoded.failure,
        `not gzip: no valid gzip member was found in the ${damaged.length} bytes of the input, ` +
          `which may be damaged throughout: ${preview(damaged)}`,
      );
      assert.deepEqual(decoded.warnings, []);
    }
  });
});

describe('gunzip of junk before the first member', () => {
  const members = Buffer.concat([gzipSync(FIRST), gzipSync(SECOND)]);

  const junks = [
    { name: 'text', bytes: Buffer.from('JUNK BYTES\n') },
    { name: 'one byte', bytes: Buffer.from('x') },
    { name: 'zero bytes', bytes: Buffer.alloc(512) },
    {
      name: 'HTTP response headers',
      bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\n\r\n'),
    },
    {
      name: 'binary junk',
      bytes: Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919 + 13) % 256)),
    },
    {
      name: 'magic junk',
      bytes: Buffer.from('\x1f\x8b\x08\x00junk\x1f\x8bHELLO', 'latin1'),
    },
  ];

  for (const { name, bytes } of junks) {
    it(`reads the members after ${name}`, async () => {
      const input = Buffer.concat([bytes, members]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        if (chunkBytes === 1 && bytes.length > 1024) continue;
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, FIRST + SECOND, `chunks of ${chunkBytes} bytes`);
        assert.equal(decoded.failure, undefined);
        assert.equal(decoded.warnings.length, 1);
        const warning = decoded.warnings[0] ?? '';
        const expected = leadingWarning(bytes.length, preview(bytes));
        assert.ok(warning.startsWith(expected), `${warning}\nexpected: ${expected}`);
      }
    });
  }

  it('reads junk then a damaged first member', async () => {
    const junk = Buffer.from('JUNK');
    const damaged = withByte(gzipSync(THIRD), 3, 0x20);
    const decoded = await decode(Buffer.concat([junk, damaged, members]));

    assert.equal(decoded.text, FIRST + SECOND);
    const skipped = junk.length + damaged.length;
    assert.deepEqual(decoded.warnings, [
      leadingWarning(skipped, preview(Buffer.concat([junk, damaged]))),
    ]);
  });
});

describe('isGzip', () => {
  it('finds a member after junk in the head', () => {
    const member = gzipSync(FIRST);
    assert.equal(isGzip(member), true);
    assert.equal(isGzip(Buffer.concat([Buffer.from('JUNK'), member])), true);
    assert.equal(isGzip(Buffer.concat([Buffer.alloc(60 * 1024, 0x41), member])), true);
  });

  it('takes a damaged magic for gzip', () => {
    const member = gzipSync(FIRST);
    assert.equal(isGzip(withByte(member, 0, 0x1e)), true);
    assert.equal(isGzip(withByte(member, 1, 0x8a)), true);
  });

  it('leaves text and binary logs alone', () => {
    assert.equal(isGzip(Buffer.from(FIRST)), false);
    assert.equal(isGzip(Buffer.from('this is not gzip, whatever its name says\n')), false);
    for (const name of readdirSync(EVTX_FOLDER).filter((entry) => entry.endsWith('.evtx'))) {
      assert.equal(isGzip(readFileSync(join(EVTX_FOLDER, name)).subarray(0, 64 * 1024)), false);
    }
  });

  it('leaves archives of gzip files alone', () => {
    const member = gzipSync(FIRST);
    // A POSIX tar header of 512 bytes names the format at byte 257, before the file's bytes.
    const tarHeader = Buffer.alloc(512);
    tarHeader.write('logs/okta.ndjson.gz', 0, 'latin1');
    tarHeader.write('ustar\x0000', 257, 'latin1');
    assert.equal(isGzip(Buffer.concat([tarHeader, member])), false);
    // A zip local file header of an entry stored without compression, then the entry's bytes.
    const name = Buffer.from('okta.ndjson.gz', 'latin1');
    const zipHeader = Buffer.alloc(30);
    zipHeader.write('PK\x03\x04', 0, 'latin1');
    zipHeader.writeUInt32LE(member.length, 18);
    zipHeader.writeUInt32LE(member.length, 22);
    zipHeader.writeUInt16LE(name.length, 26);
    assert.equal(isGzip(Buffer.concat([zipHeader, name, member])), false);
  });

  it('leaves the magic without a valid member alone', () => {
    // A header that parses, but is followed by bytes that are no deflate data.
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const bytes = Buffer.concat([Buffer.from('xx'), header, Buffer.alloc(64, 0xff)]);
    assert.equal(isGzip(bytes), false);
  });
});

describe('scan of a .gz with a damaged first member', () => {
  const okta = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
  // The last line of the fixture has no event time, so it is left out.
  const timed = readFileSync(okta, 'utf8').split('\n').filter(Boolean).slice(0, 8);
  const records = (count: number) => `${timed.slice(0, count).join('\n')}\n`;

  function scan(file: string) {
    return runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'hits', file]);
  }

  it('reads the members after the damage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-gzip-'));
    const damaged = withByte(gzipSync(records(3)), 0, 0x00);
    const file = join(dir, 'okta.ndjson.gz');
    writeFileSync(file, Buffer.concat([damaged, gzipSync(records(5)), gzipSync(records(4))]));

    const result = scan(file);

    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`)) ?? '';
    assert.ok(line.startsWith(`  ${file} [okta-system-log] 9 read, 9 parsed, 0 rejected`), line);
    const warning = leadingWarning(damaged.length, preview(damaged));
    assert.ok(line.includes(`; damaged: ${warning}`), line);
  });

  it('fails as not gzip without a valid member', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-gzip-'));
    const damaged = withByte(gzipSync(records(3)), 3, 0x40);
    const file = join(dir, 'okta.ndjson.gz');
    writeFileSync(file, damaged);

    const result = scan(file);

    assert.equal(result.status, 2, result.stderr);
    assert.ok(
      result.stderr.includes(
        `  ${file}: not read: not gzip: no valid gzip member was found in the ` +
          `${damaged.length} bytes of the input`,
      ),
      result.stderr,
    );
    assert.match(result.stderr, /reserved flag bits set \(flags 0x40\)/);
  });
});
