import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { decode, member, oktaText } from '../helpers/gzip.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * gzip inputs damaged between members: junk bytes, and members whose deflate data fails part
 * way. The reader skips the damage up to the next valid member, so the records of every member
 * around it are read, and it warns once per skipped range with its offset and length.
 */

const FIRST = oktaText(5);
const SECOND = oktaText(7);
const THIRD = oktaText(3);
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** Returns the warning for junk of `count` bytes from `start` up to a member at `next`. */
function junkWarning(start: number, next: number, quoted: string): string {
  const count = next - start;
  const bytes = count === 1 ? '1 byte' : `${count} bytes`;
  const verbs = count === 1 ? 'is not gzip data and was' : 'are not gzip data and were';
  return (
    `${bytes} between gzip members, from byte ${start} to the next member at byte ${next}, ` +
    `${verbs} skipped: ${quoted}`
  );
}

const LINE_NOTE =
  'ends inside a line, so a line break was added before the next member: that partial line is ' +
  'read apart from the first record of the next member';

/**
 * Builds a member whose deflate data gives `text`, then fails at a byte that starts a block of
 * the reserved type 3, followed by more deflate data and a trailer. Returns the member and the
 * offset of the failing byte in it.
 */
function damagedMember(text: string): { bytes: Buffer; failsAt: number } {
  const flushed = deflateRawSync(text, { finishFlush: constants.Z_FULL_FLUSH });
  const rest = deflateRawSync(oktaText(30)).subarray(1);
  const bytes = Buffer.concat([HEADER, flushed, Buffer.from([0x07]), rest, Buffer.alloc(8, 0x55)]);
  return { bytes, failsAt: HEADER.length + flushed.length };
}

describe('gunzip of junk between members', () => {
  const first = gzipSync(FIRST);
  const second = gzipSync(SECOND);

  const junks = [
    { name: 'text', bytes: Buffer.from('JUNK BYTES\n'), quoted: '"JUNK BYTES\\n"' },
    { name: 'one newline', bytes: Buffer.from('\n'), quoted: '"\\n"' },
    { name: 'a lone 0x1f', bytes: Buffer.from([0x1f]), quoted: '"\\x1f"' },
    { name: 'a 0x1f then text', bytes: Buffer.from('\x1fAB', 'latin1'), quoted: '"\\x1fAB"' },
    {
      name: 'an HTML page',
      bytes: Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>\r\n'),
      quoted: '"<html><body><h1>502 Bad Gateway<" …',
    },
    {
      name: 'zero padding then text',
      bytes: Buffer.concat([Buffer.alloc(4), Buffer.from('junk')]),
      quoted: '"junk"',
      skippedFrom: 4,
    },
  ];

  for (const { name, bytes, quoted, skippedFrom = 0 } of junks) {
    it(`reads the members around ${name}`, async () => {
      const input = Buffer.concat([first, bytes, second]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, FIRST + SECOND, `chunks of ${chunkBytes} bytes`);
        assert.equal(decoded.failure, undefined);
        const start = first.length + skippedFrom;
        const next = first.length + bytes.length;
        assert.deepEqual(decoded.warnings, [junkWarning(start, next, quoted)]);
      }
    });
  }

  it('reads the members around 1 MiB of binary junk', async () => {
    const junk = Buffer.from(
      Array.from({ length: 1024 * 1024 }, (_, index) => (index * 7919 + 13) % 256),
    );
    const input = Buffer.concat([first, junk, second]);
    const decoded = await decode(input, 4093);

    assert.equal(decoded.text, FIRST + SECOND);
    assert.equal(decoded.failure, undefined);
    assert.equal(decoded.warnings.length, 1);
    const prefix = junkWarning(first.length, first.length + junk.length, '"\\r');
    assert.ok(decoded.warnings[0]?.startsWith(prefix), decoded.warnings[0]);
  });

  // Junk that starts with the magic 1f 8b, or contains it, and forms no valid member.
  const magicJunks = [
    {
      name: 'an unknown method',
      bytes: Buffer.from('\x1f\x8bHELLO junk', 'latin1'),
      reason:
        'their member header is invalid: unknown compression method 72 (gzip uses 8, deflate)',
    },
    {
      name: 'a valid header then text',
      bytes: Buffer.from('\x1f\x8b\x08\x00junkjunkjunk', 'latin1'),
      reason: 'their deflate data failed before a whole line of text: invalid block type',
    },
    {
      name: 'reserved flag bits',
      bytes: Buffer.from([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3, 0x41, 0x42]),
      reason: 'their member header is invalid: reserved flag bits set (flags 0x20)',
    },
    {
      name: 'a header CRC-16 mismatch',
      bytes: Buffer.from([0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0x41]),
      reason: 'their member header is invalid: header CRC-16 mismatch (stored 0xadde',
    },
    {
      // The name runs on into the next member's header, up to its first zero byte.
      name: 'a name without its end',
      bytes: Buffer.from('\x1f\x8b\x08\x08\0\0\0\0\0\x03okta-2024-05-01.ndjs', 'latin1'),
      reason: 'their deflate data failed before a whole line of text',
    },
    {
      // Deflate data of one empty final block, then a trailer of the wrong text.
      name: 'an empty member with a wrong trailer',
      bytes: Buffer.concat([HEADER, Buffer.from([0x03, 0x00]), Buffer.from('trailer!')]),
      reason:
        'their deflate data ends before a whole line of text, and their trailer does not ' +
        'match it',
    },
  ];

  for (const { name, bytes, reason } of magicJunks) {
    it(`skips magic junk of ${name}`, async () => {
      const input = Buffer.concat([first, bytes, second]);
      for (const chunkBytes of [64 * 1024, 7, 1]) {
        const decoded = await decode(input, chunkBytes);

        assert.equal(decoded.text, FIRST + SECOND, `chunks of ${chunkBytes} bytes`);
        assert.equal(decoded.failure, undefined);
        assert.equal(decoded.warnings.length, 1);
        const warning = decoded.warnings[0] ?? '';
        const prefix = junkWarning(first.length, first.length + bytes.length, '"\\x1f\\x8b');
        assert.ok(warning.startsWith(prefix), warning);
        assert.ok(warning.includes(`. They start with the gzip magic, but ${reason}`), warning);
      }
    });
  }

  it('skips junk that contains the magic', async () => {
    const junk = Buffer.from(
      'xx\x1f\x8bHELLO\x1f\x8b\x08\x00junk\x1f\x8b\x08\x08name-without-end\x1f',
      'latin1',
    );
    for (const chunkBytes of [64 * 1024, 7, 1]) {
      const decoded = await decode(Buffer.concat([first, junk, second]), chunkBytes);

      assert.equal(decoded.text, FIRST + SECOND, `chunks of ${chunkBytes} bytes`);
      assert.deepEqual(decoded.warnings, [
        junkWarning(
          first.length,
          first.length + junk.length,
          '"xx\\x1f\\x8bHELLO\\x1f\\x8b\\x08\\x00junk\\x1f\\x8b\\x08\\x08name-withou" …',
        ),
      ]);
    }
  });

  it('reads the members around several damaged places', async () => {
    const third = gzipSync(THIRD);
    const junk = Buffer.from('JUNK');
    const magic = Buffer.from('\x1f\x8b\x08\x00junk', 'latin1');
    const input = Buffer.concat([first, junk, second, magic, third, junk]);
    const decoded = await decode(input);

    assert.equal(decoded.text, FIRST + SECOND + THIRD);
    assert.equal(decoded.failure, undefined);
    const secondAt = first.length + junk.length;
    const magicAt = secondAt + second.length;
    const thirdAt = magicAt + magic.length;
    assert.equal(decoded.warnings.length, 3);
    assert.equal(decoded.warnings[0], junkWarning(first.length, secondAt, '"JUNK"'));
    assert.ok(
      decoded.warnings[1]?.startsWith(junkWarning(magicAt, thirdAt, '"\\x1f\\x8b\\x08\\x00junk"')),
      decoded.warnings[1],
    );
    assert.equal(
      decoded.warnings[2],
      `4 bytes after the last gzip member, from byte ${thirdAt + third.length}, are not gzip ` +
        'data and were ignored: "JUNK"',
    );
  });

  it('ends a line that junk cuts', async () => {
    const lines = oktaText(4).split('\n');
    const head = `${lines.slice(0, 2).join('\n')}\n${(lines[2] ?? '').slice(0, 40)}`;
    const cut = member(head);
    const junk = Buffer.from('JUNK');
    for (const chunkBytes of [64 * 1024, 1]) {
      const decoded = await decode(Buffer.concat([cut, junk, second]), chunkBytes);

      assert.equal(decoded.text, `${head}\n${SECOND}`);
      const next = cut.length + junk.length;
      assert.deepEqual(decoded.warnings, [
        `${junkWarning(cut.length, next, '"JUNK"')}. The text read before them ${LINE_NOTE}`,
      ]);
    }
  });

  it('keeps no line open across intact members', async () => {
    // Only damage breaks a line: members written apart may split one.
    const lines = oktaText(4).split('\n');
    const head = `${lines.slice(0, 2).join('\n')}\n${(lines[2] ?? '').slice(0, 40)}`;
    const rest = `${(lines[2] ?? '').slice(40)}\n${lines[3]}\n`;
    const decoded = await decode(Buffer.concat([member(head), member(rest)]));

    assert.equal(decoded.text, oktaText(4));
    assert.deepEqual(decoded.warnings, []);
  });

  it('finds a member after a candidate past the kept bytes', async () => {
    // A header whose name has no end keeps more than the 1 MiB kept of a candidate member.
    const junk = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]),
      Buffer.alloc(1536 * 1024, 0x61),
    ]);
    const decoded = await decode(Buffer.concat([first, junk, second]), 256 * 1024);

    assert.equal(decoded.text, FIRST + SECOND);
    assert.equal(decoded.warnings.length, 1);
    const prefix = junkWarning(first.length, first.length + junk.length, '"\\x1f\\x8b');
    assert.ok(decoded.warnings[0]?.startsWith(prefix), decoded.warnings[0]);
    assert.ok(
      decoded.warnings[0]?.endsWith(
        'They start with the gzip magic, but their first 1048576 bytes give no line of text',
      ),
      decoded.warnings[0],
    );
  });
});

describe('gunzip of damaged deflate data before a member', () => {
  const second = gzipSync(SECOND);

  it('reads the member after a damaged first member', async () => {
    const damaged = damagedMember(FIRST);
    const input = Buffer.concat([damaged.bytes, second]);
    for (const chunkBytes of [64 * 1024, 1000, 7]) {
      const decoded = await decode(input, chunkBytes);

      assert.equal(decoded.text, FIRST + SECOND, `chunks of ${chunkBytes} bytes`);
      assert.equal(decoded.failure, undefined);
      const next = damaged.bytes.length;
      assert.deepEqual(decoded.warnings, [
        `the deflate data of the gzip member at byte 0 failed at byte ${damaged.failsAt}: ` +
          'invalid block type. Its text before the damage was read, and the ' +
          `${next - damaged.failsAt} bytes from byte ${damaged.failsAt} to the next gzip ` +
          `member at byte ${next} were skipped, with the records in them`,
      ]);
    }
  });

  it('reads the member after a damaged middle member', async () => {
    const third = gzipSync(THIRD);
    const damaged = damagedMember(FIRST);
    const decoded = await decode(Buffer.concat([third, damaged.bytes, second]));

    assert.equal(decoded.text, THIRD + FIRST + SECOND);
    assert.equal(decoded.failure, undefined);
    assert.equal(decoded.warnings.length, 1);
    const failsAt = third.length + damaged.failsAt;
    assert.ok(
      decoded.warnings[0]?.startsWith(
        `the deflate data of the gzip member at byte ${third.length} failed at byte ${failsAt}`,
      ),
      decoded.warnings[0],
    );
  });

  it('ends the line that the damage cuts', async () => {
    const partial = '{"uuid":"2a0c6e1e-0f3a","eventType":"user.session.start"';
    const damaged = damagedMember(FIRST + partial);
    for (const chunkBytes of [64 * 1024, 7]) {
      const decoded = await decode(Buffer.concat([damaged.bytes, second]), chunkBytes);

      assert.equal(decoded.text, `${FIRST}${partial}\n${SECOND}`);
      assert.equal(decoded.warnings.length, 1);
      assert.ok(
        decoded.warnings[0]?.endsWith(`. The text read before the damage ${LINE_NOTE}`),
        decoded.warnings[0],
      );
    }
  });

  it('reads the members after two damaged ones', async () => {
    const one = damagedMember(FIRST);
    const two = damagedMember(THIRD);
    const decoded = await decode(Buffer.concat([one.bytes, two.bytes, second]));

    assert.equal(decoded.text, FIRST + THIRD + SECOND);
    assert.equal(decoded.failure, undefined);
    assert.equal(decoded.warnings.length, 2);
    assert.match(decoded.warnings[0] ?? '', /^the deflate data of the gzip member at byte 0 /);
    assert.ok(
      decoded.warnings[1]?.startsWith(
        `the deflate data of the gzip member at byte ${one.bytes.length} failed at byte ` +
          `${one.bytes.length + two.failsAt}`,
      ),
      decoded.warnings[1],
    );
  });

  it('reads the member after a member cut short', async () => {
    // The cut member's inflater reads on into the next member's header before it fails, so
    // the search for the next member starts at the cut member's deflate data.
    const whole = gzipSync(oktaText(20));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const decodable = inflateRawSync(cut.subarray(10), { finishFlush: constants.Z_SYNC_FLUSH });
    const wholeLines = decodable.subarray(0, decodable.lastIndexOf(0x0a) + 1).toString('utf8');
    for (const chunkBytes of [64 * 1024, 7]) {
      const decoded = await decode(Buffer.concat([cut, second]), chunkBytes);

      assert.equal(decoded.failure, undefined);
      assert.ok(decoded.text.startsWith(wholeLines), 'the lines before the cut are lost');
      assert.ok(decoded.text.endsWith(`\n${SECOND}`), 'the next member is lost');
      assert.equal(decoded.warnings.length, 1);
      assert.match(
        decoded.warnings[0] ?? '',
        new RegExp(
          '^the deflate data of the gzip member at byte 0 failed at byte \\d+: .*\\. Its text ' +
            `before the damage was read, and the next gzip member starts at byte ${cut.length}, ` +
            'inside the bytes read as its deflate data, so the damaged member was cut off there',
        ),
      );
    }
  });

  it('fails when junk follows the damage', async () => {
    const damaged = damagedMember(FIRST);
    const decoded = await decode(Buffer.concat([damaged.bytes, Buffer.from('\x1f\x8bjunk')]));

    assert.equal(decoded.text, FIRST);
    assert.equal(decoded.failure, 'invalid block type');
    assert.deepEqual(decoded.warnings, []);
  });
});

describe('scan of a .gz damaged between members', () => {
  it('reads the records of every member', () => {
    const okta = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
    // The last line of the fixture has no event time, so it is left out.
    const timed = readFileSync(okta, 'utf8').split('\n').filter(Boolean).slice(0, 8);
    const records = (count: number) => `${timed.slice(0, count).join('\n')}\n`;
    const first = gzipSync(records(3));
    const junk = Buffer.from('JUNK BYTES\n');
    const partial = (timed[3] ?? '').slice(0, 50);
    const damaged = damagedMember(`${records(4)}${partial}`);
    const third = gzipSync(records(5));
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-gzip-'));
    const file = join(dir, 'okta.ndjson.gz');
    writeFileSync(file, Buffer.concat([first, junk, damaged.bytes, third]));

    const result = runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'hits', file]);

    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`)) ?? '';
    // 3 + 4 + 5 records, and the partial line that the damage cuts, rejected alone.
    assert.ok(
      line.startsWith(
        `  ${file} [okta-system-log] 13 read, 12 parsed, 1 rejected (invalid_json 1)`,
      ),
      line,
    );
    const damagedAt = first.length + junk.length;
    assert.ok(
      line.includes(
        `; damaged: ${junkWarning(first.length, damagedAt, '"JUNK BYTES\\n"')}; damaged: the ` +
          `deflate data of the gzip member at byte ${damagedAt} failed at byte ` +
          `${damagedAt + damaged.failsAt}: invalid block type.`,
      ),
      line,
    );
    assert.match(result.stderr, /warn: record rejected file=\S+ line=8 record=8 code=invalid_json/);
  });
});
