import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

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
