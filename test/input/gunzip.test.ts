import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { crc32, tableCrc32 } from '../../src/input/crc32.js';
import { GzipHeaderError, GzipHeaderParser } from '../../src/input/gzip-header.js';
import { quoteBytes } from '../../src/input/gzip-skip.js';
import { decode, member, oktaText } from '../helpers/gzip.js';
import { REPO_ROOT } from '../helpers/shared.js';

const OKTA = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
const EVTX_FOLDER = join(REPO_ROOT, 'test', 'fixtures', 'evtx');

const JUNK_1MIB = Buffer.from(
  Array.from({ length: 1024 * 1024 }, (_, index) => (index * 7919 + 13) % 256),
);
const HTML_PAGE = Buffer.from(
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
    '<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
);

describe('gunzip of damaged input', () => {
  const text = oktaText(73);
  const whole = gzipSync(text);

  // Each case is what a damaged or hand-edited file shows after its last member. The members
  // before it decompress whole, so the input still counts as read.
  const trailing = [
    { name: 'junk text', bytes: Buffer.from('junk bytes here'), quoted: '"junk bytes here"' },
    { name: 'one newline', bytes: Buffer.from('\n'), quoted: '"\\n"' },
    { name: 'an HTML error page', bytes: HTML_PAGE, quoted: '"<html>\\r\\n<head><title>502 Bad' },
    { name: '1 MiB of binary junk', bytes: JUNK_1MIB, quoted: '"\\r' },
    { name: 'a 0x1f not followed by 0x8b', bytes: Buffer.from([0x1f, 0x41]), quoted: '"\\x1fA"' },
    { name: 'a lone 0x1f', bytes: Buffer.from([0x1f]), quoted: '"\\x1f"' },
  ];

  for (const { name, bytes, quoted } of trailing) {
    it(`reads every record before ${name}`, async () => {
      // One-byte chunks put every boundary, such as 0x1f then 0x8b, between two reads.
      const chunkSizes = bytes.length < 1000 ? [64 * 1024, 1] : [64 * 1024];
      for (const chunkBytes of chunkSizes) {
        const decoded = await decode(Buffer.concat([whole, bytes]), chunkBytes);

        assert.equal(decoded.text, text);
        assert.equal(decoded.failure, undefined);
        assert.equal(decoded.warnings.length, 1);
        const from = `after the last gzip member, from byte ${whole.length}`;
        const count =
          bytes.length === 1
            ? `1 byte ${from}, is not gzip data and was`
            : `${bytes.length} bytes ${from}, are not gzip data and were`;
        const warning = decoded.warnings[0] ?? '';
        assert.ok(warning.startsWith(`${count} ignored: ${quoted}`), warning);
      }
    });
  }

  it('reads two members then junk', async () => {
    const second = oktaText(20);
    const first = gzipSync(text);
    const input = Buffer.concat([first, gzipSync(second), Buffer.from('junk bytes here')]);
    const decoded = await decode(input);

    assert.equal(decoded.text, text + second);
    assert.equal(decoded.failure, undefined);
    assert.deepEqual(decoded.warnings, [
      `15 bytes after the last gzip member, from byte ${input.length - 15}, are not gzip data ` +
        'and were ignored: "junk bytes here"',
    ]);
  });

  it('ignores zero padding after the last member', async () => {
    const decoded = await decode(Buffer.concat([whole, Buffer.alloc(512)]));

    assert.equal(decoded.text, text);
    assert.equal(decoded.failure, undefined);
    assert.deepEqual(decoded.warnings, []);
  });

  it('reads a truncated second member up to its cut', async () => {
    const second = gzipSync(oktaText(40));
    const cut = Math.floor(second.length / 2);
    // zlib's sync flush returns all that the deflate data before the cut decodes to.
    const decodable = inflateRawSync(second.subarray(10, cut), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const decoded = await decode(Buffer.concat([whole, second.subarray(0, cut)]));

    assert.equal(decoded.failure, 'unexpected end of file');
    assert.equal(decoded.text, text + decodable.toString('utf8'));
    assert.ok(decodable.includes('\n'), 'the cut must leave a whole record');
  });

  // Bytes after a whole member that start with the magic 1f 8b but form no valid member header
  // carry no records, so they are junk like any other, with the reason in the warning.
  const magicJunk = [
    {
      name: 'a second member cut inside its header',
      bytes: gzipSync(oktaText(40)).subarray(0, 5),
      quoted: '"\\x1f\\x8b\\x08\\x00\\x00"',
      reason: 'the input ends inside their member header',
    },
    {
      name: 'text after the magic',
      bytes: Buffer.from('\x1f\x8bHELLO junk', 'latin1'),
      quoted: '"\\x1f\\x8bHELLO junk"',
      reason:
        'their member header is invalid: unknown compression method 72 (gzip uses 8, deflate)',
    },
    {
      name: 'a second member of an unknown method',
      bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 7]), gzipSync(oktaText(40)).subarray(3)]),
      // The first 32 bytes run into the deflate data, so only the header part is checked.
      quoted: '"\\x1f\\x8b\\x07\\x00\\x00\\x00\\x00\\x00\\x00\\x03',
      reason: 'their member header is invalid: unknown compression method 7 (gzip uses 8, deflate)',
    },
    {
      name: 'reserved flag bits',
      bytes: Buffer.from([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3, 0x41, 0x42]),
      quoted: '"\\x1f\\x8b\\x08 \\x00\\x00\\x00\\x00\\x00\\x03AB"',
      reason: 'their member header is invalid: reserved flag bits set (flags 0x20)',
    },
    {
      name: 'a header CRC-16 mismatch',
      bytes: Buffer.from([0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0x41]),
      quoted: '"\\x1f\\x8b\\x08\\x02\\x00\\x00\\x00\\x00\\x00\\x03\\xde\\xadA"',
      reason: 'their member header is invalid: header CRC-16 mismatch',
    },
    {
      name: 'a name the input cuts',
      bytes: Buffer.from('\x1f\x8b\x08\x08\0\0\0\0\0\x03okta-2024-05-01.ndjs', 'latin1'),
      quoted: '"\\x1f\\x8b\\x08\\x08\\x00\\x00\\x00\\x00\\x00\\x03okta-2024-05-01.ndjs"',
      reason: 'the input ends inside their member header',
    },
  ];

  for (const { name, bytes, quoted, reason } of magicJunk) {
    it(`warns of magic junk: ${name}`, async () => {
      const input = Buffer.concat([whole, bytes]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, text);
        const warning = junkWarning(decoded, bytes.length, whole.length, quoted);
        assert.ok(warning.includes(`. They start with the gzip magic, but ${reason}`), warning);
      }
    });
  }

  it('reads two members then magic junk', async () => {
    const second = oktaText(20);
    const junk = Buffer.from('\x1f\x8bHELLO junk', 'latin1');
    const input = Buffer.concat([whole, gzipSync(second), junk]);
    const decoded = await decode(input);

    assert.equal(decoded.text, text + second);
    assert.equal(decoded.failure, undefined);
    assert.deepEqual(decoded.warnings, [
      `12 bytes after the last gzip member, from byte ${input.length - 12}, are not gzip data ` +
        'and were ignored: "\\x1f\\x8bHELLO junk". They start with the gzip magic, but ' +
        'their member header is invalid: unknown compression method 72 (gzip uses 8, deflate)',
    ]);
  });

  // Without a valid member, the input is no gzip data at all.
  it('fails as not gzip on a sole member of an unknown method', async () => {
    const damaged = Buffer.from(whole);
    damaged[2] = 7;
    const decoded = await decode(damaged);

    assert.equal(decoded.text, '');
    assert.equal(
      decoded.failure,
      `not gzip: no valid gzip member was found in the ${whole.length} bytes of the input, ` +
        `which may be damaged throughout: ${quoteStart(damaged)} …. They start with the gzip ` +
        'magic, but their member header is invalid: unknown compression method 7 (gzip uses 8, ' +
        'deflate)',
    );
    assert.deepEqual(decoded.warnings, []);
  });

  it('fails as not gzip on a sole member cut inside its header', async () => {
    const decoded = await decode(whole.subarray(0, 5));

    assert.equal(decoded.text, '');
    assert.equal(
      decoded.failure,
      'not gzip: no valid gzip member was found in the 5 bytes of the input, which may be ' +
        'damaged throughout: "\\x1f\\x8b\\x08\\x00\\x00". They start with the gzip magic, but ' +
        'the input ends inside their member header',
    );
  });

  // A valid header whose deflate data fails before a whole line has no record, so it is junk.
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const partial = '{"uuid":"2a0c6e1e-0f3a","eventType":"user.session.start"';
  const partialDeflate = deflateRawSync(partial, { finishFlush: constants.Z_FULL_FLUSH });
  const headerJunk = [
    {
      name: 'bytes that are not deflate',
      bytes: Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff])]),
      quoted: '"\\x1f\\x8b\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\xff\\xff\\xff"',
      reason: 'invalid block type',
    },
    {
      name: 'text that passes as a header',
      bytes: Buffer.from('\x1f\x8b\x08\x00junkjunkjunk', 'latin1'),
      quoted: '"\\x1f\\x8b\\x08\\x00junkjunkjunk"',
      reason: 'invalid block type',
    },
    {
      name: 'deflate data cut at once',
      bytes: Buffer.concat([header, Buffer.from([0xab])]),
      quoted: '"\\x1f\\x8b\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\xab"',
      reason: 'unexpected end of file',
    },
    {
      name: 'a partial line then damage',
      bytes: Buffer.concat([header, partialDeflate, Buffer.from([0x07, 0x41])]),
      quoted: '"\\x1f\\x8b\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x03',
      reason:
        `invalid block type. The ${partial.length} bytes of text that they decompress to ` +
        'before the failure contain no line break and were ignored too',
    },
  ];

  for (const { name, bytes, quoted, reason } of headerJunk) {
    it(`warns of a valid header then ${name}`, async () => {
      const input = Buffer.concat([whole, bytes]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, text, `chunks of ${chunkBytes} bytes`);
        const warning = junkWarning(decoded, bytes.length, whole.length, quoted);
        const because = 'They start with the gzip magic, but their deflate data failed before a ';
        assert.ok(warning.endsWith(`. ${because}whole line of text: ${reason}`), warning);
      }
    });
  }

  it('fails as not gzip on a sole member of junk deflate data', async () => {
    const decoded = await decode(Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff])]));

    assert.equal(decoded.text, '');
    assert.equal(
      decoded.failure,
      'not gzip: no valid gzip member was found in the 13 bytes of the input, which may be ' +
        'damaged throughout: "\\x1f\\x8b\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\xff\\xff\\xff". ' +
        'They start with the gzip magic, but their deflate data failed before a whole line of ' +
        'text: invalid block type',
    );
    assert.deepEqual(decoded.warnings, []);
  });

  it('fails on damage after a whole line', async () => {
    // The member gave a record, so the records after the damage are lost.
    const lines = `${oktaText(1)}${partial}`;
    const flushed = deflateRawSync(lines, { finishFlush: constants.Z_FULL_FLUSH });
    const input = Buffer.concat([whole, header, flushed, Buffer.from([0x07, 0x41])]);
    for (const chunkBytes of [64 * 1024, 7, 1]) {
      const decoded = await decode(input, chunkBytes);

      assert.equal(decoded.failure, 'invalid block type', `chunks of ${chunkBytes} bytes`);
      assert.equal(decoded.text, text + lines);
      assert.deepEqual(decoded.warnings, []);
    }
  });

  it('fails on damage after a long line', async () => {
    // A line past the 64 KiB held back is written on, as a record rather than junk.
    const line = `{"message":"${'x'.repeat(70 * 1024)}"`;
    const flushed = deflateRawSync(line, { finishFlush: constants.Z_FULL_FLUSH });
    const input = Buffer.concat([whole, header, flushed, Buffer.from([0x07, 0x41])]);
    const decoded = await decode(input, 4093);

    assert.equal(decoded.failure, 'invalid block type');
    assert.equal(decoded.text, text + line);
  });

  it('reads a second member without a line break', async () => {
    const last = '{"uuid":"2a0c6e1e-0f3a"}';
    for (const chunkBytes of [64 * 1024, 7, 1]) {
      const decoded = await decode(Buffer.concat([whole, member(last)]), chunkBytes);

      assert.equal(decoded.text, text + last, `chunks of ${chunkBytes} bytes`);
      assert.equal(decoded.failure, undefined);
      assert.deepEqual(decoded.warnings, []);
    }
  });

  it('keeps the text before damaged deflate data', async () => {
    // The first part ends with a full flush, so it is byte-aligned and decodes alone. The byte
    // after it starts a final block of the reserved type 3, which zlib rejects.
    const before = oktaText(40);
    const flushed = deflateRawSync(before, { finishFlush: constants.Z_FULL_FLUSH });
    const after = deflateRawSync(oktaText(30));
    const damaged = Buffer.concat([flushed, Buffer.from([0x07]), after.subarray(1)]);
    assert.ok(before.length > 16 * 1024, 'the text must be longer than one zlib output buffer');

    for (const chunkBytes of [64 * 1024, 1000]) {
      const decoded = await decode(Buffer.concat([whole, header, damaged]), chunkBytes);

      assert.equal(decoded.failure, 'invalid block type');
      assert.equal(decoded.text, text + before);
    }
  });

  it('warns of a CRC-32 mismatch and keeps the text', async () => {
    const damaged = Buffer.from(whole);
    damaged.writeUInt32LE(0xefbeadde, damaged.length - 8);
    const decoded = await decode(damaged);

    assert.equal(decoded.text, text);
    assert.equal(decoded.failure, undefined);
    assert.equal(decoded.warnings.length, 1);
    assert.match(
      decoded.warnings[0] ?? '',
      /^CRC-32 mismatch in the gzip member at byte 0 \(stored 0xefbeadde, computed 0x[0-9a-f]{8}\)/,
    );
  });

  it('warns of a length mismatch and keeps the text', async () => {
    const damaged = Buffer.from(whole);
    damaged.writeUInt32LE(12, damaged.length - 4);
    const decoded = await decode(damaged);

    assert.equal(decoded.text, text);
    assert.equal(decoded.failure, undefined);
    assert.deepEqual(decoded.warnings, [
      `length mismatch in the gzip member at byte 0 (stored 12 bytes modulo 2^32, decompressed ` +
        `${text.length}): its records were read, but the trailer or the text is damaged`,
    ]);
  });

  for (const cut of [4, 8]) {
    it(`warns of a trailer cut by ${cut} bytes and keeps the text`, async () => {
      const decoded = await decode(whole.subarray(0, whole.length - cut));

      assert.equal(decoded.text, text);
      assert.equal(decoded.failure, undefined);
      const where = cut === 8 ? 'before' : `${8 - cut} bytes into`;
      assert.deepEqual(decoded.warnings, [
        `the input ends ${where} the 8-byte trailer of the gzip member at byte 0, so its CRC-32 ` +
          'and length were not checked',
      ]);
    });
  }
});

/** Builds a gzip member of `text` whose trailer stores a wrong CRC-32, as damaged text gives. */
function damagedMember(text: string): Buffer {
  const bytes = member(text);
  bytes.writeUInt32LE((bytes.readUInt32LE(bytes.length - 8) ^ 0xffffffff) >>> 0, bytes.length - 8);
  return bytes;
}

describe('gunzip of a damaged member before another', () => {
  const lines = oktaText(6).split('\n');
  const head = `${lines.slice(0, 3).join('\n')}\n${(lines[3] ?? '').slice(0, 40)}`;
  const next = oktaText(4);
  const breakWarning = (first: Buffer) =>
    'the damaged text of the gzip member at byte 0 ends inside a line, so a line break was ' +
    `added before the next member at byte ${first.length}: that partial line is read apart ` +
    'from the first record of the next member';

  it('starts the next member on a new line', async () => {
    const first = damagedMember(head);
    for (const chunkBytes of [64 * 1024, 1]) {
      const decoded = await decode(Buffer.concat([first, member(next)]), chunkBytes);

      assert.equal(decoded.text, `${head}\n${next}`);
      assert.equal(decoded.failure, undefined);
      assert.equal(decoded.warnings.length, 2);
      assert.match(decoded.warnings[0] ?? '', /^CRC-32 mismatch in the gzip member at byte 0 /);
      assert.equal(decoded.warnings[1], breakWarning(first));
    }
  });

  it('starts a new line after a length mismatch', async () => {
    const first = member(head);
    first.writeUInt32LE(head.length + 1, first.length - 4);
    const decoded = await decode(Buffer.concat([first, member(next)]));

    assert.equal(decoded.text, `${head}\n${next}`);
    assert.equal(decoded.warnings.length, 2);
    assert.equal(decoded.warnings[1], breakWarning(first));
  });

  it('starts a new line after zero padding', async () => {
    const first = damagedMember(head);
    const decoded = await decode(Buffer.concat([first, Buffer.alloc(16), member(next)]));

    assert.equal(decoded.text, `${head}\n${next}`);
    assert.equal(decoded.warnings.length, 2);
  });

  it('adds no line break after a whole line', async () => {
    const whole = `${head}\n`;
    const decoded = await decode(Buffer.concat([damagedMember(whole), member(next)]));

    assert.equal(decoded.text, whole + next);
    assert.equal(decoded.warnings.length, 1);
  });

  it('adds no line break at the end of the input', async () => {
    const decoded = await decode(damagedMember(head));

    assert.equal(decoded.text, head);
    assert.equal(decoded.warnings.length, 1);
  });

  it('joins a line split by intact members', async () => {
    const rest = `${(lines[3] ?? '').slice(40)}\n${lines.slice(4).join('\n')}`;
    const decoded = await decode(Buffer.concat([member(head), member(rest)]));

    assert.equal(decoded.text, oktaText(6));
    assert.deepEqual(decoded.warnings, []);
  });
});

describe('gunzip junk preview', () => {
  it('escapes every byte outside printable ASCII', async () => {
    const whole = member(oktaText(2));
    const junk = Buffer.from([0x03, 0x00, 0x09, 0x0a, 0x0d, 0x22, 0x5c, 0x41, 0x7f, 0x80, 0xe9]);
    const decoded = await decode(Buffer.concat([whole, junk]));

    assert.deepEqual(decoded.warnings, [
      `11 bytes after the last gzip member, from byte ${whole.length}, are not gzip data and ` +
        'were ignored: "\\x03\\x00\\t\\n\\r\\"\\\\A\\x7f\\x80\\xe9"',
    ]);
  });
});

describe('gunzip of valid input', () => {
  it('reads members of every header field a byte at a time', async () => {
    const first = oktaText(3);
    const second = oktaText(5);
    const input = Buffer.concat([
      member(first, { name: 'okta.ndjson', comment: 'System Log export', headerCrc: true }),
      member(second, { extra: Buffer.from('AP\x04\x00tw01', 'latin1'), name: '' }),
      Buffer.alloc(3),
      member(''),
    ]);

    for (const chunkBytes of [1, 2, 7, input.length]) {
      const decoded = await decode(input, chunkBytes);

      assert.equal(decoded.text, first + second, `chunks of ${chunkBytes} bytes`);
      assert.equal(decoded.failure, undefined);
      assert.deepEqual(decoded.warnings, []);
    }
  });

  it('reads members longer than a zlib slice', async () => {
    const evtx = readdirSync(EVTX_FOLDER).filter((name) => name.endsWith('.evtx'));
    const first = Buffer.concat(evtx.map((name) => readFileSync(join(EVTX_FOLDER, name))));
    const second = Buffer.concat(
      evtx.reverse().map((name) => readFileSync(join(EVTX_FOLDER, name))),
    );
    const input = Buffer.concat([gzipSync(first, { level: 1 }), gzipSync(second, { level: 1 })]);
    assert.ok(input.length > 2 * 16 * 1024, 'each member must span more than one slice');

    for (const chunkBytes of [256 * 1024, 16 * 1024, 4093]) {
      const decoded = await decode(input, chunkBytes);

      assert.deepEqual(decoded.bytes, Buffer.concat([first, second]));
      assert.equal(decoded.failure, undefined);
      assert.deepEqual(decoded.warnings, []);
    }
  });
});

describe('GzipHeaderParser', () => {
  it('rejects reserved flag bits', () => {
    const parser = new GzipHeaderParser();
    const header = Buffer.from([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]);
    assert.throws(() => parser.parse(header, 0), {
      name: 'Error',
      message: 'reserved flag bits set (flags 0x20)',
    });
  });

  it('rejects a header CRC-16 mismatch', () => {
    const header = member('x', { name: 'a.json', headerCrc: true });
    const crcOffset = 10 + 'a.json'.length + 1;
    header.writeUInt16LE(header.readUInt16LE(crcOffset) ^ 0xffff, crcOffset);
    assert.throws(() => new GzipHeaderParser().parse(header, 0), GzipHeaderError);
  });

  it('returns the index after the header', () => {
    const parser = new GzipHeaderParser();
    const bytes = member('x', { name: 'a.json', comment: '' });
    assert.equal(parser.parse(bytes, 0), 10 + 7 + 1);
    assert.equal(parser.done, true);
  });
});

describe('crc32', () => {
  it('matches zlib in the table version', () => {
    const bytes = readFileSync(OKTA);
    assert.equal(tableCrc32(bytes), crc32(bytes));
    assert.equal(tableCrc32(bytes.subarray(100), tableCrc32(bytes.subarray(0, 100))), crc32(bytes));
    assert.equal(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
  });
});

/** Quotes the first 32 bytes as a gzip warning does. */
function quoteStart(bytes: Buffer): string {
  return quoteBytes(bytes.subarray(0, 32));
}

/**
 * Asserts that decoding ended without failure and with one warning about junk after the last
 * member, which starts as the warning of that junk does, and returns the warning.
 */
function junkWarning(
  decoded: { failure: unknown; warnings: readonly string[] },
  junkBytes: number,
  offset: number,
  quoted: string,
): string {
  assert.equal(decoded.failure, undefined);
  assert.equal(decoded.warnings.length, 1);
  const warning = decoded.warnings[0] ?? '';
  const prefix =
    `${junkBytes} bytes after the last gzip member, from byte ${offset}, are not ` +
    `gzip data and were ignored: ${quoted}`;
  assert.ok(warning.startsWith(prefix), `${warning}\nexpected: ${prefix}`);
  return warning;
}
