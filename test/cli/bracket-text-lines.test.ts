import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * Lines of text that start with a bracket, written between the records of a JSON input, as a
 * user scans them: each line is rejected once with its own line number, and every record is read.
 */

const RULE = `title: every sign-in
id: 6c0f3f58-8b59-4c64-9b0e-2f3c1d2b7a10
logsource: {product: azure, service: signinlogs}
detection:
  sel: {userPrincipalName|exists: true}
  condition: sel
level: low
`;

/** Builds an Entra ID sign-in record as Microsoft Graph returns it. */
function signIn(index: number): Record<string, unknown> {
  return {
    id: `a${index}`,
    createdDateTime: `2024-01-01T00:0${index}:00Z`,
    userPrincipalName: `user${index}@example.com`,
  };
}

/** The text lines written between records, and the record each one follows. */
const TEXT_LINES: [number, string][] = [
  [1, '['],
  [2, '[1'],
  [3, '],'],
  [4, '[ {'],
];

interface Built {
  text: string;
  /** Line numbers of the text lines, in order. */
  textLines: number[];
}

/** Writes five records in a layout, with each text line after the record that it follows. */
function build(layout: 'ndjson' | 'pretty' | 'array' | 'page'): Built {
  const lines: string[] = [];
  const textLines: number[] = [];
  if (layout === 'array') lines.push('[');
  if (layout === 'page') lines.push('{', '  "@odata.context": "x",', '  "value": [');
  for (let index = 1; index <= 5; index++) {
    const record = signIn(index);
    const inArray = layout === 'array' || layout === 'page';
    const comma = inArray && index < 5 ? ',' : '';
    const text = layout === 'ndjson' ? JSON.stringify(record) : JSON.stringify(record, null, 2);
    lines.push(...`${text}${comma}`.split('\n'));
    for (const [after, line] of TEXT_LINES) {
      if (after !== index) continue;
      lines.push(line);
      textLines.push(lines.length);
    }
  }
  if (layout === 'array') lines.push(']');
  if (layout === 'page') lines.push('  ],', '  "@odata.nextLink": "y"', '}');
  return { text: `${lines.join('\n')}\n`, textLines };
}

/** Returns the `text` field of a logged rejection, which is quoted when it contains a space. */
function loggedText(entry: string): string | undefined {
  const value = / text=(".*"|\S+)$/.exec(entry)?.[1];
  return value?.startsWith('"') ? (JSON.parse(value) as string) : value;
}

function scan(file: string) {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-brackets-'));
  const rule = join(dir, 'signins.yml');
  writeFileSync(rule, RULE);
  return runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-default-rules',
    '--rules',
    rule,
    '--output',
    'hits',
    '--no-progress',
    '--log-rejections',
    'all',
    file,
  ]);
}

describe('bracket text lines in a scan', () => {
  for (const layout of ['ndjson', 'pretty', 'array', 'page'] as const) {
    it(`rejects each line once in ${layout} input`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-brackets-'));
      const file = join(dir, `signins-${layout}.json`);
      const { text, textLines } = build(layout);
      writeFileSync(file, text);

      const result = scan(file);
      assert.equal(result.status, 0, result.stderr);
      const summary = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file}`));
      assert.equal(
        summary,
        `  ${file} [entra-graph] 9 read, 5 parsed, 4 rejected (invalid_json 4)`,
      );
      const logged = result.stderr.split('\n').filter((entry) => entry.includes('record rejected'));
      assert.deepEqual(
        logged.map((entry) => /line=(\d+)/.exec(entry)?.[1]),
        textLines.map(String),
      );
      assert.deepEqual(
        logged.map(loggedText),
        TEXT_LINES.map(([, line]) => line),
      );
    });
  }
});

const CLOUDTRAIL_RULE = `title: every CloudTrail call
id: 0b5f6d0e-3f7a-4a59-9a57-6f2b9f1d2c31
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName|exists: true}
  condition: sel
level: low
`;

/** The six CloudTrail records of the Invictus fixture, as the AWS API returned them. */
const CLOUDTRAIL = (
  JSON.parse(
    readFileSync(
      fixturePath('aws', '218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json'),
      'utf8',
    ),
  ) as { Records: Record<string, unknown>[] }
).Records;

/** Lines that exporters and shells write before the first record. */
const FIRST_LINES = [
  '[2026-12-01 10:00:00] export started',
  '[INFO] export started',
  '[',
  '[1',
  '[]x',
  '],',
];

interface FirstLayout {
  name: string;
  /** The text with `line` before the first record. */
  build: (line: string) => string;
  /** The line number of `line`. */
  textLine: number;
  /** The evidence record numbers of the records, in order. */
  records: number[];
}

const ONE_LINE = CLOUDTRAIL.map((record) => JSON.stringify(record));
const PRETTY = CLOUDTRAIL.map((record) => JSON.stringify(record, null, 2));
const FIRST_LAYOUTS: FirstLayout[] = [
  {
    name: 'ndjson',
    build: (line) => `${line}\n${ONE_LINE.join('\n')}\n`,
    textLine: 1,
    // NDJSON records are numbered by their line.
    records: [2, 3, 4, 5, 6, 7],
  },
  {
    name: 'pretty',
    build: (line) => `${line}\n${PRETTY.join('\n')}\n`,
    textLine: 1,
    records: [1, 2, 3, 4, 5, 6],
  },
  {
    name: 'page',
    build: (line) => `{\n  "Records": [\n${line}\n${PRETTY.join(',\n')}\n  ]\n}\n`,
    textLine: 3,
    records: [1, 2, 3, 4, 5, 6],
  },
];

describe('bracket text lines before the first record in a scan', () => {
  it('detects the format past an array line', () => {
    // The line is the first value, a bare array: its elements are records that no format reads.
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-brackets-'));
    const rule = join(dir, 'cloudtrail.yml');
    writeFileSync(rule, CLOUDTRAIL_RULE);
    const file = join(dir, 'cloudtrail-after-array.json');
    writeFileSync(file, `[1, 2]\n${PRETTY.join('\n')}\n`);

    const result = runCli([
      'scan',
      '--db',
      ':memory:',
      '--no-default-rules',
      '--rules',
      rule,
      file,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const summary = result.stderr.split('\n').find((entry) => entry.startsWith(`  ${file} `));
    assert.equal(
      summary,
      `  ${file} [aws-cloudtrail] 8 read, 6 parsed, 2 rejected (unexpected_shape 2)`,
    );
  });

  for (const layout of FIRST_LAYOUTS) {
    it(`reads every record in ${layout.name} input`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-brackets-'));
      const rule = join(dir, 'cloudtrail.yml');
      writeFileSync(rule, CLOUDTRAIL_RULE);
      const files = FIRST_LINES.map((line, index) => {
        const file = join(dir, `cloudtrail-${layout.name}-${index}.json`);
        writeFileSync(file, layout.build(line));
        return file;
      });

      const result = runCli([
        'scan',
        '--db',
        ':memory:',
        '--no-default-rules',
        '--rules',
        rule,
        '--output',
        'ndjson',
        '--no-progress',
        '--log-rejections',
        'all',
        ...files,
      ]);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stderr.split('\n');
      for (const [index, file] of files.entries()) {
        const where = `${layout.name}, ${JSON.stringify(FIRST_LINES[index])}`;
        const summary = lines.find((entry) => entry.startsWith(`  ${file} `));
        assert.equal(
          summary,
          `  ${file} [aws-cloudtrail] 7 read, 6 parsed, 1 rejected (invalid_json 1)`,
          where,
        );
        const logged = lines.filter(
          (entry) => entry.includes('record rejected') && entry.includes(`file=${file} `),
        );
        assert.deepEqual(
          logged.map((entry) => /line=(\d+)/.exec(entry)?.[1]),
          [String(layout.textLine)],
          where,
        );
        assert.deepEqual(logged.map(loggedText), [FIRST_LINES[index]], where);

        const evidence = result.stdout
          .trim()
          .split('\n')
          .map((entry) => JSON.parse(entry) as { evidence: { file: string; record: number }[] })
          .flatMap((alert) => alert.evidence)
          .filter((item) => item.file === file);
        assert.deepEqual(
          evidence.map((item) => item.record).sort((a, b) => a - b),
          layout.records,
          where,
        );
      }
    });
  }
});
