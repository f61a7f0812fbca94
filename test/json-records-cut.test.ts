import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JsonRecord } from '../src/input/json-records.js';
import { JsonStreamScanner } from '../src/input/json-stream.js';

/**
 * A pretty-printed record cut anywhere costs that record only. A cut right after a colon or a
 * `[` leaves a place where JSON allows a value, so the next record's `{` is read as that value
 * and the damage shows only later. The records it took must still be read, with the numbers
 * they have in the intact file.
 */

const FIXTURE = join(
  import.meta.dirname,
  'fixtures',
  'aws',
  '218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
);
const RECORDS = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { Records: unknown[] }).Records;

const LIMITS = { maxRecordLength: 100_000, maxDepth: 16 };

function scanInChunks(text: string, size: number): JsonRecord[] {
  const scanner = new JsonStreamScanner(LIMITS);
  const out: JsonRecord[] = [];
  for (let at = 0; at < text.length; at += size) {
    out.push(...scanner.push(text.slice(at, at + size)));
  }
  out.push(...scanner.finish());
  return out;
}

/** A layout: the text before the records, the indent of a record, between two, and after. */
interface Layout {
  name: string;
  head: string;
  indent: string;
  separator: string;
  tail: string;
}

const LAYOUTS: Layout[] = [
  { name: 'back-to-back values', head: '', indent: '', separator: '\n', tail: '\n' },
  { name: 'a bare array', head: '[\n', indent: '  ', separator: ',\n', tail: '\n]\n' },
  {
    name: 'a Records wrapper',
    head: '{\n  "Records": [\n',
    indent: '    ',
    separator: ',\n',
    tail: '\n  ]\n}\n',
  },
  {
    name: 'a Graph API page',
    head: '{\n  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs",\n  "value": [\n',
    indent: '    ',
    separator: ',\n',
    tail: '\n  ],\n  "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs?$skiptoken=2"\n}\n',
  },
  {
    name: 'an items page with a page token',
    head: '{\n  "kind": "admin#reports#activities",\n  "items": [\n',
    indent: '  ',
    separator: ',\n',
    tail: '\n  ],\n  "nextPageToken": "A:1688990000000000:-1"\n}\n',
  },
  {
    name: 'a one-line records wrapper',
    head: '{"records": [\n',
    indent: '',
    separator: ',\n',
    tail: '\n]}\n',
  },
];

function prettyLines(record: unknown, indent: string): string[] {
  return JSON.stringify(record, null, 2)
    .split('\n')
    .map((line) => indent + line);
}

/**
 * Builds the layout's text with record `cut` replaced by its text up to `line` and `column`. The
 * cut record is indented by `deeper` more than the others.
 */
function cutText(layout: Layout, cut: number, line: number, column: number, deeper = ''): string {
  const parts = RECORDS.map((record) => prettyLines(record, layout.indent).join('\n'));
  const lines = prettyLines(RECORDS[cut], layout.indent + deeper);
  const kept = [...lines.slice(0, line), (lines[line] as string).slice(0, column)].join('\n');
  const before = parts.slice(0, cut).join(layout.separator);
  const after = parts.slice(cut + 1).join(layout.separator);
  return `${layout.head}${before}${layout.separator}${kept}\n${after}${layout.tail}`;
}

/** Returns the columns where a line is cut: its start, after its indent, its middle, its end. */
function cutColumns(line: string): number[] {
  const indent = line.length - line.trimStart().length;
  const columns = [0, indent + 1, Math.floor((indent + line.length) / 2), line.length];
  return [...new Set(columns)].filter((column) => column <= line.length);
}

/**
 * Cuts record `cut`, indented by `deeper` more than the others, at each line and column, and
 * checks that only that record is lost.
 */
function checkCuts(layout: Layout, cut: number, deeper = ''): void {
  const lines = prettyLines(RECORDS[cut], layout.indent + deeper);
  const expected = RECORDS.flatMap((record, index) => (index === cut ? [] : [[index + 1, record]]));
  for (let line = 0; line < lines.length; line++) {
    for (const column of cutColumns(lines[line] as string)) {
      // Cut after its last `}`, the record is whole.
      if (line === lines.length - 1 && column === (lines[line] as string).length) continue;
      const text = cutText(layout, cut, line, column, deeper);
      for (const size of [text.length, 97]) {
        const where = `record ${cut + 1}, line ${line + 1}, column ${column}, chunks of ${size}`;
        const records = scanInChunks(text, size);
        const parsed = records.filter((record) => record.error === undefined);
        const rejected = records.filter((record) => record.error !== undefined);
        const kept = [...lines.slice(0, line), (lines[line] as string).slice(0, column)]
          .join('\n')
          .trim();

        // A record cut to nothing is gone, and a lone `{` takes no number of its own.
        if (kept === '') {
          assert.equal(rejected.length, 0, where);
        } else {
          assert.equal(rejected.length, 1, where);
          assert.equal(rejected[0]?.error?.code, 'invalid_json', where);
          assert.equal(rejected[0]?.record, cut + 1, where);
        }
        assert.deepEqual(
          parsed.map((record) => record.value),
          expected.map(([, record]) => record),
          where,
        );
        if (kept !== '' && kept !== '{') {
          assert.deepEqual(
            parsed.map((record) => record.record),
            expected.map(([number]) => number),
            where,
          );
        }
      }
    }
  }
}

describe('cut pretty-printed record', () => {
  for (const layout of LAYOUTS) {
    it(`reads every other record in ${layout.name}`, () => {
      for (let cut = 0; cut < RECORDS.length; cut++) checkCuts(layout, cut);
    });
  }

  for (const layout of LAYOUTS) {
    it(`reads past a deeper cut record in ${layout.name}`, () => {
      // The records after it start left of its column, where none of its nested objects starts.
      for (let cut = 0; cut < RECORDS.length; cut++) checkCuts(layout, cut, '      ');
    });
  }

  it('reads the page after a deeper cut record', () => {
    const layout = LAYOUTS[3] as Layout;
    const page = (records: unknown[]) =>
      `${layout.head}${records.map((record) => prettyLines(record, layout.indent).join('\n')).join(layout.separator)}${layout.tail}`;
    const first = RECORDS.slice(0, 2);
    const second = RECORDS.slice(2);
    // The last record of the first page is cut inside a string, and the page's end follows.
    const lines = prettyLines(RECORDS[1], `${layout.indent}      `);
    const cutLine = lines.findIndex((line) => line.includes('": "'));
    const cut = [...lines.slice(0, cutLine), (lines[cutLine] as string).slice(0, -3)].join('\n');
    const head = `${layout.head}${prettyLines(first[0], layout.indent).join('\n')}${layout.separator}`;
    const text = `${head}${cut}\n${layout.tail}${page(second)}`;
    for (const size of [text.length, 97]) {
      const records = scanInChunks(text, size);
      // The next page's `{` starts left of the record array, so it is no record of the first.
      assert.deepEqual(
        records.map((record) => [record.record, record.error?.code ?? record.value]),
        [
          [1, RECORDS[0]],
          [2, 'invalid_json'],
          ...second.map((record, index) => [index + 3, record]),
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('reads the records after a cut nested array', () => {
    const layout = LAYOUTS[1] as Layout;
    const lines = prettyLines(RECORDS[1], layout.indent);
    const open = lines.findIndex((line) => line.endsWith('['));
    assert.ok(open > 0, 'the second record has a nested array');

    // The records after the cut are read as elements of the nested array, up to the end.
    const text = cutText(layout, 1, open, (lines[open] as string).length);
    for (const size of [text.length, 97]) {
      const records = scanInChunks(text, size);
      assert.deepEqual(
        records.map((record) => [record.record, record.error?.code ?? 'parsed']),
        RECORDS.map((_, index) => [index + 1, index === 1 ? 'invalid_json' : 'parsed']),
      );
    }
  });

  it('reads what follows a page cut open', () => {
    const layout = LAYOUTS[2] as Layout;
    const cut = RECORDS.findIndex((record) =>
      prettyLines(record, layout.indent).some(
        (line) => line.startsWith(`${layout.indent}  "`) && line.endsWith('": ['),
      ),
    );
    assert.ok(cut >= 0, 'a record has a top-level key whose array is not empty');
    const lines = prettyLines(RECORDS[cut], layout.indent);
    const open = lines.findIndex(
      (line) => line.startsWith(`${layout.indent}  "`) && line.endsWith('": ['),
    );

    // The cut record takes the records after it, and the page's closing brackets close it.
    const page = cutText(layout, cut, open, (lines[open] as string).length);
    const expected = RECORDS.map((_, index) => [
      index + 1,
      index === cut ? 'invalid_json' : 'parsed',
    ]);
    const records = RECORDS.map((record) => prettyLines(record, layout.indent).join('\n'));
    const intact = `${layout.head}${records.join(layout.separator)}${layout.tail}`;
    const count = RECORDS.length;
    const following = [
      {
        name: 'an intact page',
        text: intact,
        after: RECORDS.map((_, index) => [count + index + 1, 'parsed']),
      },
      { name: 'a text line', text: '# end of page\n', after: [[count + 1, 'invalid_json']] },
    ];
    for (const { name, text, after } of following) {
      for (const size of [page.length + text.length, 97]) {
        const read = scanInChunks(page + text, size);
        assert.deepEqual(
          read.map((record) => [record.record, record.error?.code ?? 'parsed']),
          [...expected, ...after],
          `${name}, chunks of ${size}`,
        );
      }
    }
  });

  it('keeps the last record of a truncated page', () => {
    for (const layout of LAYOUTS.slice(2)) {
      // The page ends after its third record, before the record array closes.
      const parts = RECORDS.slice(0, 3).map((record) => prettyLines(record, layout.indent));
      const text = `${layout.head}${parts.map((lines) => lines.join('\n')).join(layout.separator)}\n`;
      for (const size of [text.length, 97]) {
        const records = scanInChunks(text, size);
        assert.deepEqual(
          records.map((record) => [record.record, record.error?.message ?? 'parsed']),
          [
            [1, 'parsed'],
            [2, 'parsed'],
            [3, 'parsed'],
            [4, 'input ends before the JSON document closes'],
          ],
          `${layout.name}, chunks of ${size}`,
        );
      }
    }
  });

  it('rejects the cut text only', () => {
    const layout = LAYOUTS[0] as Layout;
    const lines = prettyLines(RECORDS[1], layout.indent);
    const colon = lines.findIndex((line) => line.endsWith(': {'));
    // Cut after the colon, so that the next record's `{` is read as the key's value.
    const column = (lines[colon] as string).length - 1;
    const text = cutText(layout, 1, colon, column);
    const records = scanInChunks(text, text.length);
    const rejected = records.find((record) => record.error !== undefined);
    const firstLines = prettyLines(RECORDS[0], '').length;

    assert.equal(rejected?.line, firstLines + 1);
    const kept = [...lines.slice(0, colon), (lines[colon] as string).slice(0, column)].join('\n');
    assert.equal(rejected?.snippet, kept.trimEnd().slice(0, 120));
    assert.equal(
      rejected?.error?.message,
      `record is cut or damaged: the record at line ${firstLines + colon + 2} starts before it closes`,
    );
  });
});
