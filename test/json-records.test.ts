import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectJsonLayout, type JsonRecord } from '../src/input/json-records.js';
import { JsonStreamScanner } from '../src/input/json-stream.js';

const LIMITS = { maxRecordLength: 1000, maxDepth: 8 };

/** Feeds the text in chunks of every size from 1 up, so that every boundary is crossed. */
function scanInChunks(text: string, size: number): JsonRecord[] {
  const scanner = new JsonStreamScanner(LIMITS);
  const out: JsonRecord[] = [];
  for (let at = 0; at < text.length; at += size)
    out.push(...scanner.push(text.slice(at, at + size)));
  out.push(...scanner.finish());
  return out;
}

function summary(records: JsonRecord[]) {
  return records.map((record) =>
    record.error
      ? [record.record, record.line, record.error.code]
      : [record.record, record.line, record.value],
  );
}

describe('JSON framing', () => {
  it('tells NDJSON from other layouts by the first line', () => {
    assert.equal(detectJsonLayout('{"a":1}\n{"a":2}\n'), 'ndjson');
    assert.equal(detectJsonLayout('[{"a":1}]'), 'stream');
    assert.equal(detectJsonLayout('{\n  "a": 1\n}\n'), 'stream');
    assert.equal(detectJsonLayout('{"Records":[{"a":1}]}'), 'stream');
    assert.equal(detectJsonLayout('hello'), undefined);
  });

  it('tells text before NDJSON from arrays', () => {
    const records = '{"a":1}\n{"a":2}\n{"a":3}\n';
    assert.equal(detectJsonLayout(`[INFO] export started\n${records}`), 'ndjson');
    assert.equal(detectJsonLayout(`[2026-12-01 10:00:00] export started\n${records}`), 'ndjson');
    assert.equal(detectJsonLayout(`[\n${records}`), 'ndjson');
    assert.equal(detectJsonLayout(`[\n${records}]\n`), 'ndjson');
    // Valid JSON, or a first line that may contain a record, keeps the array reading.
    assert.equal(detectJsonLayout('[\n{"a":1},\n{"a":2},\n{"a":3}\n]\n'), 'stream');
    assert.equal(detectJsonLayout('[\n{"a":1}\n]\n'), 'stream');
    assert.equal(detectJsonLayout('[\n{"a":1}\n]'), 'stream');
    assert.equal(detectJsonLayout('[\n{"a":1}\n{"a":2}'), 'stream');
    assert.equal(detectJsonLayout(`[1, 2]\n${records}`), 'stream');
    assert.equal(detectJsonLayout(`[{"a":0}\n${records}`), 'stream');
    assert.equal(detectJsonLayout('[INFO] export started\n{\n  "a": 1\n}\n'), 'stream');
  });

  const cases: [string, string, unknown[]][] = [
    [
      'array elements',
      '[{"a":1},\n {"a":"]"}, {"a":"\\"}"}]',
      [
        [1, 1, { a: 1 }],
        [2, 2, { a: ']' }],
        [3, 2, { a: '"}' }],
      ],
    ],
    [
      'Records wrapper',
      '{"Records": [\n{"a":1},\n{"b":[2]}\n]}',
      [
        [1, 2, { a: 1 }],
        [2, 3, { b: [2] }],
      ],
    ],
    [
      'value wrapper after other keys',
      '{"@odata.context":"x","value":[{"a":1},{"a":2}],"next":"y"}',
      [
        [1, 1, { a: 1 }],
        [2, 1, { a: 2 }],
      ],
    ],
    [
      'objects back to back',
      '{\n "a": 1\n}\n{\n "a": 2\n}\n',
      [
        [1, 1, { a: 1 }],
        [2, 4, { a: 2 }],
      ],
    ],
    [
      'a root object without record array',
      '{"value": "plain", "items": 3}',
      [[1, 1, { value: 'plain', items: 3 }]],
    ],
    [
      'scalars in an array',
      '[1, "two", true, null]',
      [
        [1, 1, 1],
        [2, 1, 'two'],
        [3, 1, true],
        [4, 1, null],
      ],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`frames ${name} across every chunk boundary`, () => {
      for (let size = 1; size <= text.length; size++) {
        assert.deepEqual(summary(scanInChunks(text, size)), expected, `chunk size ${size}`);
      }
    });
  }

  it('rejects what is too large, too deep or cut off, and goes on', () => {
    const big = JSON.stringify({ a: 'x'.repeat(2000) });
    const deep = `${'['.repeat(12)}${']'.repeat(12)}`;
    const text = `[${big}, {"ok": 1}, ${deep}, {"ok": 2}, {"cut": `;
    assert.deepEqual(summary(scanInChunks(text, 64)), [
      [1, 1, 'record_too_large'],
      [2, 1, { ok: 1 }],
      [3, 1, 'too_deep'],
      [4, 1, { ok: 2 }],
      [5, 1, 'invalid_json'],
    ]);
  });

  it('keeps valid JSON with nested objects in the record column', () => {
    const texts = [
      '[\n{\n"a": 1,\n"b":\n{\n"c": [\n{\n"d": 2\n}\n]\n}\n},\n{\n"a": 3\n}\n]\n',
      '{\n  "Records": [\n{\n  "a": 1\n},\n{\n  "a": 2\n}\n  ]\n}\n',
      '{\n  "a": 1,\n  "b":\n{\n  "c": 2\n}\n}\n{\n  "a": 3\n}\n',
    ];
    for (const text of texts) {
      for (const size of [1, 5, text.length]) {
        const records = scanInChunks(text, size);
        assert.deepEqual(
          records.map((record) => record.error?.code),
          records.map(() => undefined),
          `${JSON.stringify(text)} in chunks of ${size}`,
        );
        assert.equal(records.length, 2);
      }
    }
  });

  it('reads on past cut records and stray brackets', () => {
    const record = (id: number) =>
      `  {\n    "id": ${id},\n    "n": {\n      "x": [1, 2]\n    }\n  }`;
    const cases: [string, string][] = [
      ['cut after its bracket', `[\n${record(1)},\n  {\n,\n${record(3)}\n]\n`],
      ['cut after a value', `[\n${record(1)},\n  {\n    "id": 2,\n${record(3)}\n]\n`],
      ['stray ] in a wrapper', `{\n "Records": [\n${record(1)},\n  ],\n${record(3)}\n ]\n}\n`],
      ['stray } in a wrapper', `{\n "Records": [\n${record(1)},\n  },\n${record(3)}\n ]\n}\n`],
    ];
    for (const [name, text] of cases) {
      for (const size of [1, 7, text.length]) {
        const records = scanInChunks(text, size);
        const ids = records.flatMap((item) =>
          item.value ? [(item.value as { id: number }).id] : [],
        );
        assert.deepEqual(ids, [1, 3], `${name}, chunks of ${size}`);
        assert.equal(records.length - ids.length, 1, `${name}: one rejection`);
      }
    }
  });
});
