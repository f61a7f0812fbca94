import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HEAD_BYTES } from '../src/input/opened.js';
import { runCli } from './helpers/cli.js';
import { type ReadResult, readAll, readOne, TEST_SETTINGS } from './helpers/read.js';
import { fixturePath, REPO_ROOT } from './helpers/shared.js';

const LIMIT = TEST_SETTINGS.limits.maxRecordLength;
/** Longer than the detection head, shorter than the record limit. */
const PAST_HEAD = HEAD_BYTES + 40_000;
/** Longer than the record limit. */
const PAST_LIMIT = LIMIT + 1000;

const CASE_LOG = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain', 'logs');

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-detect-'));
}

function flat(index: number, padding = 0): string {
  return JSON.stringify({
    EventID: 4688,
    Channel: 'Security',
    Hostname: 'h1',
    '@timestamp': `2024-03-12T10:00:0${index}Z`,
    CommandLine: `cmd ${'x'.repeat(padding)}`,
    SubjectUserName: `u${index}`,
  });
}

function cloudTrail(index: number, padding = 0): string {
  return JSON.stringify({
    eventVersion: '1.08',
    eventTime: `2024-03-12T10:00:0${index}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/u${index}` },
    requestParameters: { padding: 'p'.repeat(padding) },
  });
}

function windowsEvents(): string[] {
  const xml = readFileSync(join(CASE_LOG, 'app01-security.xml'), 'utf8');
  return [...xml.matchAll(/<Event[\s>][\s\S]*?<\/Event>/g)].map((match) => match[0]).slice(0, 4);
}

function syslog(index: number, padding = 0): string {
  const tail = padding > 0 ? ` ${'z'.repeat(padding)}` : '';
  return `Mar 22 09:02:1${index} web01 sshd[42${index}]: Accepted password for bob from 10.0.0.${index} port 22 ssh2${tail}`;
}

/** Inputs whose first record is `padding` characters long, in each framing, and their format. */
const SHAPES: Record<string, { format: string; build: (padding: number) => string }> = {
  NDJSON: {
    format: 'windows-flat',
    build: (padding) => `${[flat(0, padding), flat(1), flat(2), flat(3)].join('\n')}\n`,
  },
  'a JSON array': {
    format: 'windows-flat',
    build: (padding) => `[${[flat(0, padding), flat(1), flat(2), flat(3)].join(',')}]`,
  },
  'a one-line record array': {
    format: 'aws-cloudtrail',
    build: (padding) =>
      `{"Records":[${[cloudTrail(0, padding), cloudTrail(1), cloudTrail(2), cloudTrail(3)].join(',')}]}`,
  },
  'bare XML events': {
    format: 'windows-xml',
    build: (padding) => {
      const [first, ...rest] = windowsEvents() as [string, ...string[]];
      const blob = `<Data Name="Blob">${'y'.repeat(padding)}</Data></EventData>`;
      return [first.replace('</EventData>', blob), ...rest].join('\n');
    },
  },
  'syslog lines': {
    format: 'linux-syslog',
    build: (padding) =>
      `${[0, 1, 2, 3].map((index) => syslog(index, index === 0 ? padding : 0)).join('\n')}\n`,
  },
};

function assertRead(result: ReadResult, format: string, parsed: number, tooLarge: number): void {
  assert.equal(result.format, format, result.reason);
  assert.equal(result.events.length, parsed);
  assert.deepEqual(
    result.rejections.map((rejection) => [rejection.code, rejection.origin.record]),
    tooLarge > 0 ? [['record_too_large', 1]] : [],
  );
}

describe('format detection past the first record', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`reads ${name} whose first record is longer than the head`, async () => {
      const file = join(temp(), 'input');
      writeFileSync(file, shape.build(PAST_HEAD));
      assertRead(await readOne(file), shape.format, 4, 0);
    });

    it(`rejects only the first record of ${name} past the limit`, async () => {
      const file = join(temp(), 'input');
      writeFileSync(file, shape.build(PAST_LIMIT));
      const result = await readOne(file);
      assertRead(result, shape.format, 3, 1);
      assert.equal(result.rejections[0]?.origin.line, 1);
    });
  }

  it('applies a lowered settings.limits.max_record_length', async () => {
    const settings = {
      ...TEST_SETTINGS,
      limits: { ...TEST_SETTINGS.limits, maxRecordLength: 1000 },
    };
    // A first record past the limit but inside the head, and one past both.
    for (const padding of [5000, 150_000]) {
      const file = join(temp(), 'input.json');
      const rest = Array.from({ length: 2000 }, (_, index) => flat(index % 10));
      writeFileSync(file, `${[flat(0, padding), ...rest].join('\n')}\n`);
      const result = await readOne(file, { settings });
      assertRead(result, 'windows-flat', 2000, 1);
    }
  });

  it('reads gzip and standard input past a first record over the limit', async () => {
    const text = SHAPES.NDJSON?.build(PAST_LIMIT) ?? '';
    const file = join(temp(), 'input.json.gz');
    writeFileSync(file, gzipSync(text));
    assertRead(await readOne(file), 'windows-flat', 3, 1);

    const [stdin] = await readAll(['-'], { stdin: () => Readable.from([Buffer.from(text)]) });
    assert.ok(stdin);
    assertRead(stdin, 'windows-flat', 3, 1);
    assert.deepEqual(
      stdin.events.map((event) => event.origin.record),
      [2, 3, 4],
    );
  });

  it('keeps NDJSON line numbers past a long first line', async () => {
    const file = join(temp(), 'input.json');
    writeFileSync(file, `${flat(0, PAST_LIMIT)}\n\n${flat(1)}\n\n${flat(2)}\n`);
    const result = await readOne(file);
    assert.deepEqual(
      result.events.map((event) => event.origin.record),
      [3, 5],
    );
  });

  it('reports a one-line input over the limit as one rejected record', async () => {
    // A syslog line shows its format in its first characters; a JSON record does not.
    const inputs: [string, string | undefined][] = [
      [flat(0, PAST_LIMIT), undefined],
      [`[${flat(0, PAST_LIMIT)}]`, undefined],
      [syslog(0, PAST_LIMIT), 'linux-syslog'],
    ];
    for (const [text, format] of inputs) {
      const file = join(temp(), 'input');
      writeFileSync(file, text);
      const result = await readOne(file);
      assert.equal(result.format, format);
      assert.equal(result.reason, undefined);
      assert.equal(result.events.length, 0);
      assert.deepEqual(
        result.rejections.map((rejection) => [rejection.code, rejection.origin.line]),
        [['record_too_large', 1]],
      );
    }
  });

  it('summarises a one-line input over the limit as a rejection', () => {
    const dir = temp();
    const file = join(dir, 'one-line.json');
    writeFileSync(file, flat(0, PAST_LIMIT));
    const result = runCli([
      'scan',
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      '--no-progress',
      file,
    ]);
    // Its one record was rejected, so the input gave no record and the scan scanned nothing.
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /one-line\.json 1 read, 0 parsed, 1 rejected \(record_too_large 1\)/,
    );
    assert.match(
      result.stderr,
      /warn: record rejected file=\S+one-line\.json line=1 record=1 code=record_too_large/,
    );
    assert.doesNotMatch(result.stderr, /no known format/);
  });
});

describe('format detection in a head that is all of the input', () => {
  it('reads a bare array of one record', async () => {
    // The record is held until the array closes, which is at the end of the input.
    const fixture = fixturePath(
      'aws',
      '218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
    );
    const [record] = (JSON.parse(readFileSync(fixture, 'utf8')) as { Records: unknown[] }).Records;
    const texts = [
      `[\n${JSON.stringify(record, null, 2)}\n]\n`,
      `[\n${JSON.stringify(record)}\n]`,
      `[${JSON.stringify(record)}]`,
    ];
    for (const text of texts) {
      const file = join(temp(), 'input.json');
      writeFileSync(file, text);
      const result = await readOne(file);
      assert.equal(result.format, 'aws-cloudtrail', result.reason);
      assert.equal(result.events.length, 1);
      assert.deepEqual(result.rejections, []);
    }
  });
});
