import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, gzipSync, inflateRawSync } from 'node:zlib';
import { parseAlerts, runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const CASE_LOG = join(
  REPO_ROOT,
  'examples',
  'scenario-an1344-rdp-msp-chain',
  'logs',
  'app01-security.xml',
);

const ALL_SECURITY_RULE = `title: every Security event
id: 0c8a52f4-1f65-4f0b-9d55-7a1c5e0f3b21
logsource: {product: windows, service: security}
detection:
  sel: {EventID|exists: true}
  condition: sel
level: low
`;

/** Lines of the Okta System Log fixture; the last has no event time. */
function oktaLines(): string[] {
  const okta = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
  return readFileSync(okta, 'utf8').split('\n').filter(Boolean);
}

function scan(dir: string, ...args: string[]) {
  const rule = join(dir, 'all.yml');
  writeFileSync(rule, ALL_SECURITY_RULE);
  return runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-default-rules',
    '--rules',
    rule,
    '--output',
    'ndjson',
    '--no-progress',
    ...args,
  ]);
}

describe('scan summary of inputs', () => {
  it('counts the records of a truncated .gz before its failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const file = join(dir, 'cut.xml.gz');
    const whole = gzipSync(readFileSync(CASE_LOG));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.7)));

    const result = scan(dir, file);
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout).length;
    assert.ok(alerts > 0, 'no record was read before the cut');
    assert.ok(alerts < 165, 'every record was read despite the cut');
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`));
    assert.equal(
      line,
      `  ${file} [windows-xml] ${alerts + 1} read, ${alerts} parsed, 1 rejected (invalid_xml 1); then failed: unexpected end of file`,
    );
    assert.match(result.stderr, /error: input read failed file=\S+cut\.xml\.gz/);
  });

  it('reads a short truncated .gz', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const okta = join(REPO_ROOT, 'test', 'fixtures', 'identity', 'panther-okta-systemlog.ndjson');
    const lines = readFileSync(okta, 'utf8').split('\n').filter(Boolean);
    const text = `${Array.from({ length: 5 }, () => lines)
      .flat()
      .join('\n')}\n`;
    const whole = gzipSync(text);
    assert.ok(text.length < 64 * 1024, 'the text must fit in the head that detection reads');
    const file = join(dir, 'cut.ndjson.gz');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));

    const result = scan(dir, file);
    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`)) ?? '';
    assert.match(line, /\[okta-system-log\] \d+ read, .*; then failed: unexpected end of file$/);
    const read = Number(/ (\d+) read,/.exec(line)?.[1]);
    assert.ok(read > 0, line);
    assert.ok(read < 5 * lines.length, line);
  });

  it('counts a .gz with junk after its last member as read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const timed = oktaLines().slice(0, 8);
    const text = `${Array.from({ length: 73 }, (_, index) => timed[index % timed.length]).join('\n')}\n`;
    const first = gzipSync(text.slice(0, text.length / 2));
    const second = gzipSync(text.slice(text.length / 2));
    const files = [
      {
        name: 'junk.ndjson.gz',
        bytes: Buffer.concat([gzipSync(text), Buffer.from('junk bytes here')]),
      },
      {
        name: 'two.ndjson.gz',
        bytes: Buffer.concat([first, second, Buffer.from('junk bytes here')]),
      },
    ];
    for (const { name, bytes } of files) writeFileSync(join(dir, name), bytes);

    // Two workers read the two inputs, so the warning also crosses from a worker thread.
    const paths = files.map(({ name }) => join(dir, name));
    const result = scan(dir, '--workers', '2', ...paths);
    assert.equal(result.status, 0, result.stderr);
    for (const [index, path] of paths.entries()) {
      const junkAt = (files[index]?.bytes.length ?? 0) - 15;
      const reason =
        `15 bytes after the last gzip member, from byte ${junkAt}, are not gzip data and were ` +
        'ignored: "junk bytes here"';
      const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${path}`));
      assert.equal(
        line,
        `  ${path} [okta-system-log] 73 read, 73 parsed, 0 rejected; damaged: ${reason}`,
      );
      assert.ok(
        result.stderr.includes(`warn: input damaged file=${path} reason=${JSON.stringify(reason)}`),
        result.stderr,
      );
    }
    assert.match(result.stderr, /: 146 records read, 146 parsed, 0 rejected \(/);
  });

  const junkCases = [
    {
      name: 'magic junk after its last member',
      junk: '\x1f\x8bHELLO junk',
      reason: (offset: number) =>
        `12 bytes after the last gzip member, from byte ${offset}, are not gzip data and ` +
        'were ignored: "\\x1f\\x8bHELLO junk". They start with the gzip magic, but their ' +
        'member header is invalid: unknown compression method 72 (gzip uses 8, deflate)',
    },
    {
      name: 'a valid header then junk',
      junk: '\x1f\x8b\x08\x00junkjunkjunk',
      reason: (offset: number) =>
        `16 bytes after the last gzip member, from byte ${offset}, are not gzip data and ` +
        'were ignored: "\\x1f\\x8b\\x08\\x00junkjunkjunk". They start with the gzip magic, but ' +
        'their deflate data failed before a whole line of text: invalid block type',
    },
  ];

  for (const { name, junk, reason: reasonAt } of junkCases) {
    it(`counts a .gz with ${name} as read`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
      const timed = oktaLines().slice(0, 8);
      const lines = Array.from({ length: 73 }, (_, index) => timed[index % timed.length]);
      const whole = gzipSync(`${lines.join('\n')}\n`);
      const path = join(dir, 'junk.ndjson.gz');
      writeFileSync(path, Buffer.concat([whole, Buffer.from(junk, 'latin1')]));

      const result = scan(dir, path);

      assert.equal(result.status, 0, result.stderr);
      const reason = reasonAt(whole.length);
      const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${path}`));
      assert.equal(
        line,
        `  ${path} [okta-system-log] 73 read, 73 parsed, 0 rejected; damaged: ${reason}`,
      );
      const warning = `warn: input damaged file=${path} reason=${JSON.stringify(reason)}`;
      assert.ok(result.stderr.includes(warning), result.stderr);
      assert.doesNotMatch(result.stderr, /input read failed/);
    });
  }

  it('reads the member after a damaged .gz member apart from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const timed = oktaLines().slice(0, 8);
    const records = (count: number) =>
      `${Array.from({ length: count }, (_, index) => timed[index % timed.length]).join('\n')}\n`;
    // The first member ends 30 bytes into its 11th record, and its trailer stores a wrong CRC-32.
    const head = records(11);
    const partial = head.slice(0, head.length - (timed[2] ?? '').length - 1 + 30);
    const first = gzipSync(partial);
    first.writeUInt32LE((first.readUInt32LE(first.length - 8) ^ 1) >>> 0, first.length - 8);
    const file = join(dir, 'damaged-member.ndjson.gz');
    writeFileSync(file, Buffer.concat([first, gzipSync(records(9))]));

    const result = scan(dir, '--log-rejections', 'all', file);
    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`)) ?? '';
    // 10 whole records, the partial 11th rejected alone, then all 9 of the next member.
    assert.ok(line.startsWith(`  ${file} [okta-system-log] 20 read, 19 parsed, 1 rejected `), line);
    assert.ok(line.includes('damaged: CRC-32 mismatch in the gzip member at byte 0 '), line);
    assert.ok(line.includes('a line break was added before the next member at byte'), line);
    assert.match(
      result.stderr,
      new RegExp(`warn: record rejected file=${file} line=11 record=11 `),
    );
  });

  it('rejects the record cut in a truncated second .gz member', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const timed = oktaLines().slice(0, 8);
    const records = (count: number) =>
      `${Array.from({ length: count }, (_, index) => timed[index % timed.length]).join('\n')}\n`;
    const second = gzipSync(records(37), { level: 9 });
    const cut = Math.floor(second.length / 2);
    const file = join(dir, 'cut-member.ndjson.gz');
    const first = gzipSync(records(36), { level: 9 });
    writeFileSync(file, Buffer.concat([first, second.subarray(0, cut)]));
    // What the cut deflate data decodes to: whole lines, then the start of the cut one.
    const decodable = inflateRawSync(second.subarray(10, cut), {
      finishFlush: constants.Z_SYNC_FLUSH,
    }).toString('utf8');
    const whole = 36 + decodable.split('\n').length - 1;
    assert.ok(!decodable.endsWith('\n'), 'the cut must fall inside a record');

    const result = scan(dir, file);
    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`));
    assert.equal(
      line,
      `  ${file} [okta-system-log] ${whole + 1} read, ${whole} parsed, 1 rejected ` +
        '(invalid_json 1); then failed: unexpected end of file',
    );
    assert.match(
      result.stderr,
      new RegExp(`warn: record rejected file=\\S+cut-member\\.ndjson\\.gz line=${whole + 1} `),
    );
  });

  it('warns when a forced format finds no record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const file = join(dir, 'flat.json');
    const text = `${JSON.stringify({ EventID: 4688, Channel: 'Security', Hostname: 'h1', '@timestamp': '2024-03-12T10:00:00Z' })}\n`;
    writeFileSync(file, text);

    const result = scan(dir, '--format', 'windows-xml', file);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `warn: no records found in the input in the format given file=\\S+flat\\.json format=windows-xml bytes=${Buffer.byteLength(text)}`,
      ),
    );
    assert.match(result.stderr, /flat\.json \[windows-xml\] 0 read, 0 parsed, 0 rejected/);

    const detected = scan(dir, file);
    assert.doesNotMatch(detected.stderr, /no records found/);
  });

  it('counts the log show summary as skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const file = join(REPO_ROOT, 'test', 'fixtures', 'macos', 'unifiedlog.ndjson');
    const result = scan(dir, file);
    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`));
    assert.equal(
      line,
      `  ${file} [macos-unified-log] 7 read, 6 parsed, 0 rejected, 1 skipped (log show summary 1)`,
    );
    assert.match(result.stderr, /: 7 records read, 6 parsed, 0 rejected, 1 skipped \(/);
    assert.doesNotMatch(result.stderr, /record rejected/);
  });

  it('counts a text line between pretty records once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-summary-'));
    const file = join(dir, 'signins.json');
    const record = (id: string, minute: string, user: string) =>
      `{\n  "id": "${id}",\n  "createdDateTime": "2024-01-01T00:${minute}:00Z",\n` +
      `  "userPrincipalName": "${user}"\n}`;
    const text = [
      record('a1', '00', 'a@example.com'),
      'this line is not json at all',
      record('a2', '01', 'b@example.com'),
    ];
    writeFileSync(file, `${text.join('\n')}\n`);

    const result = scan(dir, '--log-rejections', 'all', file);
    assert.equal(result.status, 0, result.stderr);
    const line = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`));
    assert.equal(line, `  ${file} [entra-graph] 3 read, 2 parsed, 1 rejected (invalid_json 1)`);
    const logged = result.stderr.split('\n').filter((entry) => entry.includes('record rejected'));
    assert.deepEqual(logged, [
      `warn: record rejected file=${file} line=6 record=2 code=invalid_json ` +
        'reason="text between records is not JSON" text="this line is not json at all"',
    ]);
  });
});
