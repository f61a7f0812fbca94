import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRecord } from '../src/input/json-records.js';
import { JsonStreamScanner } from '../src/input/json-stream.js';

/**
 * Text between the records of a JSON stream, as tools write it into their output: each line of it
 * is one rejected record, and the records around it read as if it were not there.
 */

const LIMITS = { maxRecordLength: 1000, maxDepth: 8 };

/** Feeds the text in chunks of `size` characters. */
function scanInChunks(text: string, size: number, limits = LIMITS): JsonRecord[] {
  const scanner = new JsonStreamScanner(limits);
  const out: JsonRecord[] = [];
  for (let at = 0; at < text.length; at += size) {
    out.push(...scanner.push(text.slice(at, at + size)));
  }
  out.push(...scanner.finish());
  return out;
}

/** Maps each record to [number, line, value], or to [number, line, code, snippet] if rejected. */
function framed(records: JsonRecord[]) {
  return records.map((record) =>
    record.error
      ? [record.record, record.line, record.error.code, record.snippet]
      : [record.record, record.line, record.value],
  );
}

describe('text between records', () => {
  const one = '{\n  "id": 1\n}';
  const two = '{\n  "id": 2\n}';
  const cases: [string, string, unknown[]][] = [
    [
      'a line between pretty records',
      `${one}\nthis line is not json at all\n${two}\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', 'this line is not json at all'],
        [2, 5, { id: 2 }],
      ],
    ],
    [
      'several lines with CRLF',
      `${one}\r\nWARNING: in preview.\r\n\r\n  Page 2 of 3  \r\n${two}\r\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', 'WARNING: in preview.'],
        [2, 6, 'invalid_json', 'Page 2 of 3'],
        [2, 7, { id: 2 }],
      ],
    ],
    [
      'a brace line after the last record of a page',
      `{"value": [\n${one},\n${two}\n{\n]}\n`,
      [
        [1, 2, { id: 1 }],
        [2, 5, { id: 2 }],
        [3, 8, 'invalid_json', '{'],
      ],
    ],
    [
      'text after a closing brace',
      `${one} trailing words\n${two},  x\n`,
      [
        [1, 1, { id: 1 }],
        [2, 3, 'invalid_json', 'trailing words'],
        [2, 4, { id: 2 }],
        [3, 6, 'invalid_json', 'x'],
      ],
    ],
    [
      'text before the first record',
      `Get-MgAuditLogSignIn output\n${one}\n`,
      [
        [1, 1, 'invalid_json', 'Get-MgAuditLogSignIn output'],
        [1, 2, { id: 1 }],
      ],
    ],
    [
      'text before a record on its line',
      `next: {"id": 1}\nnote: next record {\n  "id": 2\n}\nempty {}\n`,
      [
        [1, 1, 'invalid_json', 'next:'],
        [1, 1, { id: 1 }],
        [2, 2, 'invalid_json', 'note: next record'],
        [2, 2, { id: 2 }],
        [3, 5, 'invalid_json', 'empty'],
        [3, 5, {}],
      ],
    ],
    [
      'brackets and quotes in text',
      `${one}\nWARNING: value {x} is "deprecated" [see docs] {\n${two}\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', 'WARNING: value {x} is "deprecated" [see docs] {'],
        [2, 5, { id: 2 }],
      ],
    ],
    [
      'lines that start with a bracket',
      `${one}\n[INFO] fetching page 2\n[2024-05-01 12:00:00] done\n` +
        `["unterminated\n[ x ] {"id": 2}\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', '[INFO] fetching page 2'],
        [2, 5, 'invalid_json', '[2024-05-01 12:00:00] done'],
        [2, 6, 'invalid_json', '["unterminated'],
        [2, 7, 'invalid_json', '[ x ]'],
        [2, 7, { id: 2 }],
      ],
    ],
    [
      'JSON scalars between records',
      `${one}\nnull\n42\ntrue\n"done"\n1 2\nhello\n${two}\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'unexpected_shape', 'null'],
        [2, 5, 'unexpected_shape', '42'],
        [2, 6, 'unexpected_shape', 'true'],
        [2, 7, 'unexpected_shape', '"done"'],
        [2, 8, 'invalid_json', '1 2'],
        [2, 9, 'invalid_json', 'hello'],
        [2, 10, { id: 2 }],
      ],
    ],
    [
      'text inside a Records wrapper',
      '{"Records": [\n  {"id": 1},\n  this is not json\n  {"id": 2},\n  42 records lost,\n' +
        '  "a quoted line\n  null,\n  {"id": 3}\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', 'this is not json'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '42 records lost,'],
        [3, 6, 'invalid_json', '"a quoted line'],
        [3, 7, null],
        [4, 8, { id: 3 }],
      ],
    ],
    [
      'text around the elements of an array',
      '[\nPage 1 of 2\n  {"id": 1},\n  - \t\n  {"id": 2} done\n]\nend of output',
      [
        [1, 2, 'invalid_json', 'Page 1 of 2'],
        [1, 3, { id: 1 }],
        [2, 4, 'invalid_json', '-'],
        [2, 5, { id: 2 }],
        [3, 5, 'invalid_json', 'done'],
        [3, 7, 'invalid_json', 'end of output'],
      ],
    ],
    [
      'lines that start like JSON in a Records wrapper',
      '{"Records": [\n  {"id": 1},\n[INFO] done ]\n  {"id": 2},\n  [1] item\n' +
        '  [2024-05-01 12:00:00] ok,\n  ["a", "b"],\n  [1, [2]] ,\n  "x" y\n  12 z\n' +
        '  true that\n  {"id": 3}\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '[INFO] done ]'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '[1] item'],
        [3, 6, 'invalid_json', '[2024-05-01 12:00:00] ok,'],
        [3, 7, ['a', 'b']],
        [4, 8, [1, [2]]],
        [5, 9, 'invalid_json', '"x" y'],
        [5, 10, 'invalid_json', '12 z'],
        [5, 11, 'invalid_json', 'true that'],
        [5, 12, { id: 3 }],
      ],
    ],
    [
      'lines that start with a bracket in an array',
      '[\n  {"id": 1},\n[INFO] done ]\n  {"id": 2},\n  [1] item\n  [1, 2],\n  null, \n' +
        '  [x]\n  {"id": 3}\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '[INFO] done ]'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '[1] item'],
        [3, 6, [1, 2]],
        [4, 7, null],
        [5, 8, 'invalid_json', '[x]'],
        [5, 9, { id: 3 }],
      ],
    ],
    [
      'arrays between records',
      '{"id": 1}\n[1] item\nnull ] more\n[INFO] x\n{"id": 2}\n[1,2]\n{"id": 3}\n' +
        '[\n  1,\n  2\n]\n{"id": 4}\n[1, {"id": 5}]\n[] \n{"id": 6}\n',
      [
        [1, 1, { id: 1 }],
        [2, 2, 'invalid_json', '[1] item'],
        [2, 3, 'invalid_json', 'null ] more'],
        [2, 4, 'invalid_json', '[INFO] x'],
        [2, 5, { id: 2 }],
        [3, 6, 'unexpected_shape', '[1,2]'],
        [3, 7, { id: 3 }],
        [4, 8, 'unexpected_shape', '[\n  1,\n  2\n]'],
        [4, 12, { id: 4 }],
        [5, 13, 1],
        [6, 13, { id: 5 }],
        [7, 15, { id: 6 }],
      ],
    ],
    [
      'lines that start with a closing bracket',
      `${one}\n} trailing\n${two}\n  ], done\n}\n}}\n}{"id": 3}\n} {x}\n}, {"id": 4}\n`,
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', '} trailing'],
        [2, 5, { id: 2 }],
        [3, 8, 'invalid_json', '], done'],
        [3, 9, 'invalid_json', '}'],
        [3, 10, 'invalid_json', '}}'],
        [3, 11, 'invalid_json', '}'],
        [3, 11, { id: 3 }],
        [4, 12, 'invalid_json', '} {x}'],
        [4, 13, 'invalid_json', '},'],
        [4, 13, { id: 4 }],
      ],
    ],
    [
      'lines that start with a closing bracket in a Records wrapper',
      '{"Records": [\n  {"id": 1},\n    }, trailing\n  {"id": 2},\n  }} x\n  {"id": 3}\n  }]\n}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '}, trailing'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '}} x'],
        [3, 6, { id: 3 }],
        [4, 7, 'invalid_json', '}'],
      ],
    ],
    [
      'lines that start with a brace',
      `${one}\n{ WARNING: partial flush\n${two}\n{x} {"id": 3}\n{{"id": 4}\n{ \t\n  "id": 5\n}\n` +
        '{-1}\n{}\n{"id": 6, "cut\n{ "id": 7 }\n',
      [
        [1, 1, { id: 1 }],
        [2, 4, 'invalid_json', '{ WARNING: partial flush'],
        [2, 5, { id: 2 }],
        [3, 8, 'invalid_json', '{x}'],
        [3, 8, { id: 3 }],
        [4, 9, 'invalid_json', '{'],
        [4, 9, { id: 4 }],
        [5, 10, { id: 5 }],
        [6, 13, 'invalid_json', '{-1}'],
        [6, 14, {}],
        [7, 15, 'invalid_json', '{"id": 6, "cut'],
        [8, 16, { id: 7 }],
      ],
    ],
    [
      'lines that start with a brace in a Records wrapper',
      '{"Records": [\n  {"id": 1},\n  { WARNING\n  {"id": 2},\n  {x},\n  {\n' +
        '    "id": 3\n  },\n  {[1]} {"id": 4}\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '{ WARNING'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '{x},'],
        [3, 6, { id: 3 }],
        [4, 9, 'invalid_json', '{[1]}'],
        [4, 9, { id: 4 }],
      ],
    ],
    [
      'pretty-printed scalars in an array',
      '[\n  1,\n  "two" ,\n  -2.5e3\n  ,true,\n  null\n]\n',
      [
        [1, 2, 1],
        [2, 3, 'two'],
        [3, 4, -2500],
        [4, 5, true],
        [5, 6, null],
      ],
    ],
    [
      'a bracket line in an array',
      '[\n{"id": 1},\n{"id": 2},\n[\n{"id": 3}\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, { id: 2 }],
        [3, 4, 'invalid_json', '['],
        [3, 5, { id: 3 }],
      ],
    ],
    [
      'bracket lines that go on as JSON in an array',
      '[\n{"id": 1},\n[[\n{"id": 2},\n[ {\n{"id": 3},\n[1,\n  [\n{"id": 4}\n[\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '[['],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '[ {'],
        [3, 6, { id: 3 }],
        [4, 7, 'invalid_json', '[1,'],
        [4, 8, 'invalid_json', '['],
        [4, 9, { id: 4 }],
        [5, 10, 'invalid_json', '['],
      ],
    ],
    [
      'bracket lines between records written back to back',
      '{"id": 1}\n[1\n{"id": 2}\n[\n{"id": 3}\n["a"\n{"id": 4}\n[ {\n{"id": 5}\n[[\n',
      [
        [1, 1, { id: 1 }],
        [2, 2, 'invalid_json', '[1'],
        [2, 3, { id: 2 }],
        [3, 4, 'invalid_json', '['],
        [3, 5, { id: 3 }],
        [4, 6, 'invalid_json', '["a"'],
        [4, 7, { id: 4 }],
        [5, 8, 'invalid_json', '[ {'],
        [5, 9, { id: 5 }],
        [6, 10, 'invalid_json', '[['],
      ],
    ],
    [
      'a bracket line after the last record of a page',
      '{"Records": [\n{"id": 1},\n{"id": 2}\n[\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, { id: 2 }],
        [3, 4, 'invalid_json', '['],
      ],
    ],
    [
      'bracket lines in a page with keys after its records',
      '{\n  "@odata.context": "x",\n  "value": [\n    {"id": 1},\n  [1\n    {"id": 2},\n' +
        '    {"id": 3}\n  [[\n  ],\n  "@odata.nextLink": "y"\n}\n',
      [
        [1, 4, { id: 1 }],
        [2, 5, 'invalid_json', '[1'],
        [2, 6, { id: 2 }],
        [3, 7, { id: 3 }],
        [4, 8, 'invalid_json', '[['],
      ],
    ],
    [
      'closing bracket lines in an array',
      '[\n{"id": 1},\n]\n{"id": 2},\n],\n{"id": 3}\n]]\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', ']'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '],'],
        [3, 6, { id: 3 }],
        [4, 7, 'invalid_json', ']]'],
      ],
    ],
    [
      'closing bracket lines in a Records wrapper',
      '{"Records": [\n{"id": 1},\n]\n{"id": 2},\n}]\n{"id": 3}\n],\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', ']'],
        [2, 4, { id: 2 }],
        [3, 5, 'invalid_json', '}]'],
        [3, 6, { id: 3 }],
        [4, 7, 'invalid_json', '],'],
      ],
    ],
    [
      'empty arrays before text',
      '{"id": 1}\n[]x\n[] x\n[] {"id": 2}\n[] null\n{"id": 3}\n',
      [
        [1, 1, { id: 1 }],
        [2, 2, 'invalid_json', '[]x'],
        [2, 3, 'invalid_json', '[] x'],
        [2, 4, { id: 2 }],
        [3, 5, 'unexpected_shape', 'null'],
        [3, 6, { id: 3 }],
      ],
    ],
    [
      'brace lines before text',
      '{"id": 1}\n{\n["a"\n{\n  "id": 2\n}\n{\nWARNING\n{"id": 3}\n',
      [
        [1, 1, { id: 1 }],
        [2, 2, 'invalid_json', '{'],
        [2, 3, 'invalid_json', '["a"'],
        [2, 4, { id: 2 }],
        [3, 7, 'invalid_json', '{'],
        [3, 8, 'invalid_json', 'WARNING'],
        [3, 9, { id: 3 }],
      ],
    ],
    [
      'a brace line before text in a Records wrapper',
      '{"Records": [\n{"id": 1},\n{\n  WARNING\n{"id": 2}\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, 'invalid_json', '{'],
        [2, 4, 'invalid_json', 'WARNING'],
        [2, 5, { id: 2 }],
      ],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`rejects ${name} at every chunk boundary`, () => {
      for (let size = 1; size <= text.length; size++) {
        assert.deepEqual(framed(scanInChunks(text, size)), expected, `chunk size ${size}`);
      }
    });
  }

  it('rejects text longer than the record limit', () => {
    const long = `log: ${'x'.repeat(LIMITS.maxRecordLength + 500)}`;
    const text = `${one}\n${long}\n${two}\n`;
    for (const size of [1, 7, 64, 999, text.length]) {
      const records = scanInChunks(text, size);
      assert.deepEqual(
        framed(records),
        [
          [1, 1, { id: 1 }],
          [2, 4, 'record_too_large', long.slice(0, 120)],
          [2, 5, { id: 2 }],
        ],
        `chunk size ${size}`,
      );
    }
  });
});

describe('JSON arrays around records', () => {
  // Valid JSON whose brackets start lines as text lines do: it is read as JSON.
  const cases: [string, string, unknown[]][] = [
    [
      'an array element in a record array',
      '[\n{"id": 1},\n[\n{"id": 2}\n],\n{"id": 3}\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 3, [{ id: 2 }]],
        [3, 6, { id: 3 }],
      ],
    ],
    [
      'arrays of arrays',
      '[\n  [\n    1,\n    2\n  ],\n  [\n    {"id": 1}\n  ]\n]\n',
      [
        [1, 2, [1, 2]],
        [2, 6, [{ id: 1 }]],
      ],
    ],
    [
      'an array of records between records',
      '{"id": 1}\n[\n{"id": 2},\n{"id": 3}\n]\n{"id": 4}\n',
      [
        [1, 1, { id: 1 }],
        [2, 3, { id: 2 }],
        [3, 4, { id: 3 }],
        [4, 6, { id: 4 }],
      ],
    ],
    [
      'an array value that starts a line',
      '[\n{"id": 1, "list":\n[\n1\n]}\n]\n',
      [[1, 2, { id: 1, list: [1] }]],
    ],
    [
      'an empty array between records',
      '{"id": 1}\n[]\n{"id": 2}\n',
      [
        [1, 1, { id: 1 }],
        [2, 3, { id: 2 }],
      ],
    ],
    [
      'arrays written back to back',
      '[\n{"id": 1}\n]\n[\n{"id": 2}\n]\n',
      [
        [1, 2, { id: 1 }],
        [2, 5, { id: 2 }],
      ],
    ],
    [
      'pages written back to back',
      '{"Records": [\n{"id": 1}\n]}\n{"Records": [\n{"id": 2}\n]}\n',
      [
        [1, 2, { id: 1 }],
        [2, 5, { id: 2 }],
      ],
    ],
    ['an array with a comma before its end', '[\n{"id": 1},\n]\n', [[1, 2, { id: 1 }]]],
  ];
  for (const [name, text, expected] of cases) {
    it(`reads ${name} at every chunk boundary`, () => {
      for (let size = 1; size <= text.length; size++) {
        assert.deepEqual(framed(scanInChunks(text, size)), expected, `chunk size ${size}`);
      }
    });
  }
});

/** Lines before the first record that start with a bracket, as exporters and shells write them. */
const LINES_BEFORE_RECORDS = [
  '[2026-12-01 10:00:00] export started',
  '[INFO] export started',
  '[*] Exporting sign-ins',
  '[',
  '[1',
  '[[',
  '[ {',
  '[{',
  '["a"',
  '["a", "b"',
  '[1,',
  '[null',
  '[]x',
  '[1] item',
  '[ 1 ] item',
  ']',
  '],',
  ']]',
  '}]',
];

describe('bracket lines before the first record', () => {
  const records = [1, 2, 3].map((id) => ({ id, n: { x: [id, 2] } }));
  const oneLine = records.map((record) => JSON.stringify(record));
  const pretty = records.map((record) => JSON.stringify(record, null, 2));
  /** A layout: its text with `line` before the first record, the records' lines, the line's. */
  const layouts: [string, (line: string) => string, number[], number][] = [
    ['records written back to back', (line) => `${line}\n${oneLine.join('\n')}\n`, [2, 3, 4], 1],
    ['pretty records', (line) => `${line}\n${pretty.join('\n')}\n`, [2, 11, 20], 1],
    [
      'a page',
      (line) => `{\n  "value": [\n${line}\n    ${oneLine.join(',\n    ')}\n  ]\n}\n`,
      [4, 5, 6],
      3,
    ],
  ];
  for (const [layout, build, lines, textLine] of layouts) {
    it(`rejects each line once before ${layout}`, () => {
      for (const line of LINES_BEFORE_RECORDS) {
        const text = build(line);
        const expected = [
          [1, textLine, 'invalid_json', line],
          ...records.map((record, index) => [index + 1, lines[index], record]),
        ];
        for (let size = 1; size <= text.length; size++) {
          const where = `${JSON.stringify(line)}, chunk size ${size}`;
          assert.deepEqual(framed(scanInChunks(text, size)), expected, where);
        }
      }
    });
  }

  it("reads text at a page's first element", () => {
    const cases: [string, string, unknown[]][] = [
      [
        'a date',
        '{"Records": [\n2026-12-01 10:00:00 export started\n{"id": 1},\n{"id": 2}\n]}\n',
        [
          [1, 2, 'invalid_json', '2026-12-01 10:00:00 export started'],
          [1, 3, { id: 1 }],
          [2, 4, { id: 2 }],
        ],
      ],
      [
        'a closing bracket',
        '{"Records": [\n]}\n{"id": 1},\n{"id": 2}\n]}\n',
        [
          [1, 2, 'invalid_json', ']}'],
          [1, 3, { id: 1 }],
          [2, 4, { id: 2 }],
        ],
      ],
      [
        'a closing brace',
        '{"Records": [\n  },\n{"id": 1},\n{"id": 2}\n]}\n',
        [
          [1, 2, 'invalid_json', '},'],
          [1, 3, { id: 1 }],
          [2, 4, { id: 2 }],
        ],
      ],
    ];
    for (const [name, text, expected] of cases) {
      for (let size = 1; size <= text.length; size++) {
        assert.deepEqual(framed(scanInChunks(text, size)), expected, `${name}, chunk size ${size}`);
      }
    }
  });

  it('reads valid JSON with such brackets', () => {
    const cases: [string, string, unknown[]][] = [
      ['a bare array of one record', '[\n{"id": 1}\n]\n', [[1, 2, { id: 1 }]]],
      [
        'a bare array with a comma at each line end',
        '[\n{"id": 1},\n{"id": 2},\n{"id": 3}\n]\n',
        [
          [1, 2, { id: 1 }],
          [2, 3, { id: 2 }],
          [3, 4, { id: 3 }],
        ],
      ],
      [
        'a bare array with a comma at each line start',
        '[{"id": 1}\n,{"id": 2}\n,{"id": 3}]\n',
        [
          [1, 1, { id: 1 }],
          [2, 2, { id: 2 }],
          [3, 3, { id: 3 }],
        ],
      ],
      [
        'a bare array on one line',
        '[{"id": 1}, {"id": 2}]\n{"id": 3}\n',
        [
          [1, 1, { id: 1 }],
          [2, 1, { id: 2 }],
          [3, 2, { id: 3 }],
        ],
      ],
      [
        'a bare array of scalars before records',
        '[1, "two"]\n{"id": 1}\n',
        [
          [1, 1, 1],
          [2, 1, 'two'],
          [3, 2, { id: 1 }],
        ],
      ],
      [
        'a record whose wrapper key holds arrays',
        '{\n  "value": [\n    [\n      1\n    ]\n  ],\n  "id": 7\n}\n{"id": 8}\n',
        [
          [1, 1, { value: [[1]], id: 7 }],
          [2, 9, { id: 8 }],
        ],
      ],
      [
        'a record whose wrapper key holds strings',
        '{"value": [\n  "a",\n  "b"\n], "id": 7}\n',
        [[1, 1, { value: ['a', 'b'], id: 7 }]],
      ],
      [
        'a page whose record array is empty',
        '{\n  "value": [\n\n  ]\n}\n',
        [[1, 1, { value: [] }]],
      ],
    ];
    for (const [name, text, expected] of cases) {
      for (let size = 1; size <= text.length; size++) {
        assert.deepEqual(framed(scanInChunks(text, size)), expected, `${name}, chunk size ${size}`);
      }
    }
  });

  it('rejects brackets around records without commas', () => {
    // `[`, records and `]` are no JSON array, as no commas come between the records.
    const text = '[\n{"id": 1}\n{"id": 2}\n]\n';
    for (let size = 1; size <= text.length; size++) {
      assert.deepEqual(
        framed(scanInChunks(text, size)),
        [
          [1, 1, 'invalid_json', '['],
          [1, 2, { id: 1 }],
          [2, 3, { id: 2 }],
          [3, 4, 'invalid_json', ']'],
        ],
        `chunk size ${size}`,
      );
    }
  });

  it('sends a one-line array before it closes', () => {
    // A comma after a record shows the array, so its records are not held back.
    const scanner = new JsonStreamScanner(LIMITS);
    const sent = scanner.push('[{"id": 1}, {"id": 2}, {"id": 3');
    assert.deepEqual(framed(sent), [
      [1, 1, { id: 1 }],
      [2, 1, { id: 2 }],
    ]);
    assert.deepEqual(framed(scanner.push('}]\n')), [[3, 1, { id: 3 }]]);
    assert.deepEqual(scanner.finish(), []);
  });

  it('keeps a long bare array of scalars', () => {
    const numbers = Array.from({ length: 5000 }, (_, index) => index);
    const text = `[${numbers.join(', ')}]\n{"id": 1}\n`;
    for (const size of [7, 4096, text.length]) {
      const scanned = scanInChunks(text, size);
      assert.deepEqual(
        scanned.map((item) => item.value),
        [...numbers, { id: 1 }],
        `chunk size ${size}`,
      );
    }
  });
});

describe('bracket lines past the held limits', () => {
  it('reads a long array element as JSON', () => {
    // The `[` line takes the rest of the record array, which passes the record limit before it
    // ends: it stays JSON, and the array is one record over the limit.
    const records = Array.from({ length: 30 }, (_, index) => `{"id": ${index + 2}, "n": 0}`);
    const text = `[\n{"id": 1},\n[\n${records.join(',\n')}\n]\n`;
    for (const size of [text.length, 64, 7]) {
      const scanned = scanInChunks(text, size, { maxRecordLength: 300, maxDepth: 8 });
      assert.deepEqual(
        scanned.map((item) => [item.record, item.line, item.error?.code ?? item.value]),
        [
          [1, 2, { id: 1 }],
          [2, 3, 'record_too_large'],
          [3, 35, 'invalid_json'],
        ],
        `chunk size ${size}`,
      );
    }
  });

  it('sends held records in order', () => {
    // Records after a closed array are held in case its `]` turns out to be text.
    const records = Array.from({ length: 1100 }, (_, index) => ({ id: index + 2 }));
    const lines = records.map((record) => JSON.stringify(record));
    const text = `[\n{"id": 1}\n]\n${lines.join('\n')}\n`;
    for (const size of [text.length, 4096, 100]) {
      // Past 1024 held records, they are sent, and the `]` stays JSON.
      const scanned = scanInChunks(text, size, { maxRecordLength: 1 << 20, maxDepth: 8 });
      assert.deepEqual(
        scanned.map((item) => [item.record, item.line, item.value]),
        [[1, 2, { id: 1 }], ...records.map((record, index) => [index + 2, index + 4, record])],
        `chunk size ${size}`,
      );
    }
  });
});

describe('array of scalars between records', () => {
  const numbers = Array.from({ length: 5000 }, (_, index) => index).join(', ');

  it('rejects a long array once', () => {
    const text = `{"id": 1}\n[${numbers}]\n{"id": 2}\n`;
    for (const size of [7, 4096, text.length]) {
      const records = scanInChunks(text, size);
      assert.deepEqual(
        framed(records),
        [
          [1, 1, { id: 1 }],
          [2, 2, 'unexpected_shape', `[${numbers}`.slice(0, 120)],
          [2, 3, { id: 2 }],
        ],
        `chunk size ${size}`,
      );
      assert.equal(
        records[1]?.error?.message.includes('5000 elements'),
        true,
        `chunk size ${size}`,
      );
    }
  });

  it('reads an object after a long run', () => {
    const text = `{"id": 1}\n[${numbers}, {"id": 3}]\n{"id": 2}\n`;
    const records = scanInChunks(text, 64);
    assert.deepEqual(framed(records), [
      [1, 1, { id: 1 }],
      [2, 2, 'unexpected_shape', `[${numbers}`.slice(0, 120)],
      [5002, 2, { id: 3 }],
      [5003, 3, { id: 2 }],
    ]);
  });
});

describe('record numbers around text', () => {
  it('keeps the numbers of the intact input', () => {
    const records = [1, 2, 3].map((id) => `{\n  "id": ${id},\n  "n": {\n    "x": [1, 2]\n  }\n}`);
    // A `null` in a record array is an element, so it is left out there.
    const inserts = [
      'WARNING: something odd happened',
      '{',
      '}',
      ']',
      '[INFO] done ]',
      '[1] x',
      '{ WARNING: partial flush',
      '{x}',
      '{{',
      '} trailing',
      '    }, trailing',
      '}}',
      '] x',
      '[',
      '[1',
      '[[',
      '[ {',
      '["a"',
      '[1,',
      '[]x',
      '],',
      ']]',
      '}]',
    ];
    // The text goes after the second record, after its comma in an array, where a tool writes it.
    const [one, two, three] = records;
    const layouts: [string, (insert: string) => string][] = [
      ['back-to-back values', (insert) => `${one}\n${two}\n${insert}\n${three}\n`],
      [
        'a Records wrapper',
        (insert) => `{"Records": [\n${one},\n${two},\n${insert}\n${three}\n]}\n`,
      ],
      ['a bare array', (insert) => `[\n${one},\n${two},\n${insert}\n${three}\n]\n`],
    ];
    for (const [layout, build] of layouts) {
      for (const insert of inserts) {
        const text = build(insert);
        for (const size of [1, 7, text.length]) {
          const scanned = scanInChunks(text, size);
          const where = `${layout}, ${JSON.stringify(insert)}, chunks of ${size}`;
          const parsed = scanned.filter((item) => item.error === undefined);
          const rejected = scanned.filter((item) => item.error !== undefined);
          assert.deepEqual(
            parsed.map((item) => [item.record, (item.value as { id: number }).id]),
            [
              [1, 1],
              [2, 2],
              [3, 3],
            ],
            where,
          );
          assert.deepEqual(
            rejected.map((item) => item.record),
            [3],
            where,
          );
        }
      }
    }
  });
});

/** A seeded generator of numbers in [0, 1), so that a failing case can be run again. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20240501;
const WORDS = ['WARNING:', 'Page', '2', 'of', 'done.', '"quoted"', '{x}', '[see', 'docs]', 'a,b'];
const MORE_WORDS = ['null', '42', 'true', 'x:y', '[INFO]', '\\', '"', '}', ']', '-', '1e5', 'é'];

/**
 * Lines of text that start or end with brackets and no JSON can go on with, read alone. Each
 * list only opens or only closes brackets, because lines of both can together be JSON: `[` and
 * a later `]` make a nested array.
 */
const OPENING_LINES = ['[', '[1', '[[', '[ {', '[ [', '[1,', '["a"', '[null', '[ "x",', '{', '{ x'];
const CLOSING_LINES = [']', '],', ']]', '] ,', '}', '},', '}}', '}]', ']}', '] page', '[]x'];

/**
 * Tells whether a line of text cannot be read as JSON at its place. Lines that start a record
 * or close a bracket cannot qualify, nor can lines that are JSON. In an array, neither can lines
 * that start with scalars followed by a comma or a closing bracket, since JSON may go on that way.
 */
function isUnambiguousText(line: string, inArray: boolean): boolean {
  const start = line.trimStart()[0] ?? '';
  if (start === '' || '{},]'.includes(start) || (inArray && start === '[')) return false;
  try {
    JSON.parse(inArray ? `[${line}]` : line);
    return false;
  } catch {}
  return !(inArray && /^\s*("[^"]*"|-?[0-9][0-9.e+-]*|true|false|null)\s*[\]},]/.test(line));
}

describe('random text between random records', () => {
  it('reads every record and rejects each text line', () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const value = (depth: number): unknown => {
      const kind = Math.floor(random() * (depth > 2 ? 4 : 6));
      if (kind === 0) return Math.floor(random() * 1000) - 500;
      if (kind === 1) return pick(['a', 'x"y', 'back\\slash', '{not}', '[br]', 'é', '', 'a, b: c']);
      if (kind === 2) return pick([true, false, null]);
      if (kind === 3) {
        return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      }
      return record(depth + 1);
    };
    const record = (depth: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (let key = 0; key < 1 + Math.floor(random() * 4); key++) out[`k${key}`] = value(depth);
      return out;
    };

    for (let run = 0; run < 600; run++) {
      const records = Array.from({ length: 1 + Math.floor(random() * 5) }, () => record(0));
      const layout = pick(['stream', 'array', 'wrapper'] as const);
      const indent = pick([0, 1, 2, 4]);
      const brackets = pick([OPENING_LINES, CLOSING_LINES]);
      const texts: string[] = [];
      const textBefore = (): string => {
        const lines: string[] = [];
        while (random() < 0.4) {
          const words = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
            pick(random() < 0.5 ? WORDS : MORE_WORDS),
          );
          let line = `${pick(['', ' ', '    ', '\t'])}${words.join(pick([' ', ' \t']))}`;
          // Text after an opening bracket line is read as in an array.
          const inArray = layout !== 'stream' || OPENING_LINES.includes(lines.at(-1)?.trim() ?? '');
          // Bracket lines come anywhere, before the first record too.
          if (random() < 0.3) line = `${pick(['', ' ', '\t'])}${pick(brackets)}`;
          else if (!isUnambiguousText(line, inArray)) continue;
          // After a `{` that ends a line, a quote starts a key of a record that a line break cuts.
          if (lines.at(-1)?.endsWith('{') && line.trimStart().startsWith('"')) continue;
          lines.push(line);
        }
        texts.push(...lines.map((line) => line.trim()));
        return lines.map((line) => `${line}\n`).join('');
      };

      const pretty = records.map((item) => JSON.stringify(item, null, indent));
      let text: string;
      if (layout === 'stream') {
        text = pretty.map((item) => `${textBefore()}${item}\n`).join('');
        text += textBefore();
      } else {
        const elements = pretty.map((item) => `${textBefore()}${item}`);
        const body = `${elements.join(',\n')}\n${textBefore()}`;
        text = layout === 'array' ? `[\n${body}]\n` : `{"Records": [\n${body}]}\n`;
      }

      const size = 1 + Math.floor(random() * (random() < 0.5 ? 8 : 200));
      const scanned = scanInChunks(text, size, { maxRecordLength: 1 << 20, maxDepth: 64 });
      const what = `run ${run} (${layout}, chunks of ${size}): ${JSON.stringify(text)}`;
      assert.deepEqual(
        scanned.filter((item) => item.error === undefined).map((item) => item.value),
        records,
        what,
      );
      assert.deepEqual(
        scanned.filter((item) => item.error !== undefined).map((item) => item.snippet),
        texts,
        what,
      );
    }
  });
});

/** Builds the `index`th of a run of pretty-printed Sysmon events, as `jq .` writes NXLog output. */
function sysmonRecord(index: number): Record<string, unknown> {
  return {
    '@timestamp': `2020-06-10T02:50:${String(index % 60).padStart(2, '0')}.537Z`,
    EventID: 13,
    Keywords: -9214364837600035000,
    ProviderGuid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
    RecordNumber: 4120 + index,
    Hostname: 'WORKSTATION6.mordor.local',
    Message: `Registry value set:\r\nRuleName: -\r\nProcessId: ${6000 + index}\r\nImage: C:\\x.exe`,
    TargetObject: 'HKU\\S-1-5-18\\Software\\{361c92d4-b0d9}\\LastIndex',
    tags: ['mordorDataset'],
    Channel: 'Microsoft-Windows-Sysmon/Operational',
  };
}

/** Characters that start inserted lines: every kind the JSON scanner treats apart, and others. */
const LINE_STARTS = '{}[]",:-0123456789tfn#/\\*<>!@$%&()=?+ABCDEFWXYZabcwxyzé~_|'.split('');
const LINE_WORDS = [
  'flush',
  'WARNING',
  'page',
  'done.',
  'x:y',
  '{x}',
  '[see',
  'docs]',
  '"a"',
  'null',
];

describe('text lines between pretty records', () => {
  it('rejects each line once and keeps record numbers', () => {
    const random = generator(SEED + 1);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const records = Array.from({ length: 300 }, (_, index) => sysmonRecord(index));

    for (const layout of ['stream', 'array', 'wrapper', 'page'] as const) {
      for (let run = 0; run < 6; run++) {
        const brackets = run % 3 === 0 ? CLOSING_LINES : OPENING_LINES;
        const lines: string[] = [];
        const textLines: number[] = [];
        const push = (text: string) => lines.push(...text.split('\n'));
        if (layout === 'array') push('[');
        if (layout === 'wrapper') push('{"Records": [');
        if (layout === 'page') push('{\n  "@odata.context": "x",\n  "value": [');
        // Text lines come after each record, and before the first one, after the page's head.
        for (let index = -1; index < records.length; index++) {
          const last = index === records.length - 1;
          const comma = layout === 'stream' || last ? '' : ',';
          if (index >= 0) push(`${JSON.stringify(records[index], null, 2)}${comma}`);
          while (random() < (index < 0 ? 0.5 : 0.15)) {
            // The line starts with any character, and a word follows that no JSON can go on with.
            const words = Array.from({ length: Math.floor(random() * 4) }, () => pick(LINE_WORDS));
            const head = `${pick(LINE_STARTS)}${pick(['', ' '])}${pick(['flush', 'WARNING', 'page'])}`;
            const line = random() < 0.5 ? pick(brackets) : [head, ...words].join(' ');
            // After a `{` that ends a line, a `}` closes an empty object, and a quote starts a key
            // of a record that a line break cuts.
            if (lines.at(-1)?.endsWith('{') && /^["}]/.test(line)) continue;
            push(`${pick(['', '  ', '\t'])}${line}`);
            textLines.push(lines.length);
          }
        }
        if (layout === 'array') push(']');
        if (layout === 'wrapper') push(']}');
        if (layout === 'page') push('  ],\n  "@odata.nextLink": "y"\n}');
        const text = `${lines.join('\n')}\n`;

        const size = 1 + Math.floor(random() * (run % 2 === 0 ? 16 : 4096));
        const scanned = scanInChunks(text, size, { maxRecordLength: 1 << 20, maxDepth: 64 });
        const where = `${layout}, run ${run}, chunks of ${size}`;
        const parsed = scanned.filter((item) => item.error === undefined);
        const rejected = scanned.filter((item) => item.error !== undefined);
        assert.deepEqual(
          parsed.map((item) => item.record),
          records.map((_, index) => index + 1),
          where,
        );
        assert.deepEqual(
          parsed.map((item) => item.value),
          records,
          where,
        );
        assert.deepEqual(
          rejected.map((item) => item.line),
          textLines,
          where,
        );
        assert.deepEqual(
          rejected.map((item) => item.snippet),
          // A comma that starts a line is read as a separator, so the text starts after it.
          textLines.map((line) => lines[line - 1]?.replace(/^[\s,]+/, '').trim()),
          where,
        );
      }
    }
  });
});
