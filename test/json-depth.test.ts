import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { countOpeningBrackets, nestsDeeperThan } from '../src/input/json-records.js';
import { readOne, TEST_SETTINGS } from './helpers/read.js';

/** Depths of the records written after a plain first record; the limit is 64. */
const DEPTHS = [10, 62, 63, 64, 65, 100, 900, 200_000];
const LIMIT = TEST_SETTINGS.limits.maxDepth;

/** A windows-flat record nesting `depth` levels, counting the record object as one. */
function record(index: number, depth: number): string {
  const nested = `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`;
  const seconds = String(index % 60).padStart(2, '0');
  return `{"EventID":4688,"Channel":"Security","Hostname":"h1","@timestamp":"2024-03-12T10:00:${seconds}Z","SubjectUserName":"u${index}","Deep":${depth > 1 ? nested : '0'}}`;
}

function records(): string[] {
  return [record(0, 1), ...DEPTHS.map((depth, index) => record(index + 1, depth))];
}

/** The same records in each JSON framing, with the line on which each record starts. */
const FRAMINGS: Record<string, () => { text: string; lines: number[] }> = {
  ndjson: () => ({ text: `${records().join('\n')}\n`, lines: records().map((_, i) => i + 1) }),
  array: () => ({
    text: `[\n${records().join(',\n')}\n]\n`,
    lines: records().map((_, i) => i + 2),
  }),
  'back-to-back values': () => ({
    text: records()
      .map((item) => `${item.slice(0, 1)}\n ${item.slice(1)}`)
      .join('\n'),
    lines: records().map((_, i) => 2 * i + 1),
  }),
  'record array': () => ({
    text: `{"Records": [\n${records().join(',\n')}\n]}\n`,
    lines: records().map((_, i) => i + 2),
  }),
};

describe('settings.limits.max_depth', () => {
  for (const [name, build] of Object.entries(FRAMINGS)) {
    it(`rejects too deep records in ${name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-depth-'));
      const file = join(dir, 'deep.json');
      const { text, lines } = build();
      writeFileSync(file, text);

      const result = await readOne(file);
      assert.equal(result.format, 'windows-flat', result.reason);
      const users = result.events.map((event) => event.fields.SubjectUserName);
      assert.deepEqual(users, ['u0', 'u1', 'u2', 'u3', 'u4']);
      const tooDeep = DEPTHS.map((depth, index) => ({ depth, index: index + 1 })).filter(
        (item) => item.depth > LIMIT,
      );
      assert.equal(result.rejections.length, tooDeep.length);
      for (const [at, rejection] of result.rejections.entries()) {
        const expected = tooDeep[at] as { index: number };
        assert.equal(rejection.code, 'too_deep');
        assert.equal(rejection.message, `record nests deeper than the limit of ${LIMIT} levels`);
        assert.equal(rejection.origin.file, file);
        assert.equal(rejection.origin.line, lines[expected.index]);
      }
    });
  }
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only', () => {
    assert.equal(nestsDeeperThan('{"a":[[1]]}', 3), false);
    assert.equal(nestsDeeperThan('{"a":[[[1]]]}', 3), true);
    assert.equal(nestsDeeperThan('{"a":"[[[[{{{{"}', 1), false);
    assert.equal(nestsDeeperThan('{"a":"\\"[[[[", "b":[]}', 2), false);
    assert.equal(nestsDeeperThan('{"a":"\\\\", "b":[[[]]]}', 3), true);
    assert.equal(nestsDeeperThan('[{}, {}, {}, {}, {}]', 2), false);
  });
});

describe('countOpeningBrackets', () => {
  it('counts brackets inside strings too', () => {
    assert.equal(countOpeningBrackets('{"a":[1,[2]]}', 65).count, 3);
    assert.equal(countOpeningBrackets('{"a":"[[{{"}', 65).count, 5);
    assert.equal(countOpeningBrackets('"no brackets"', 65).count, 0);
  });

  it('stops counting at the stop', () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    assert.equal(countOpeningBrackets(deep, 65).count, 65);
    assert.equal(
      countOpeningBrackets(`{"a":${'{"b":'.repeat(80)}1${'}'.repeat(81)}`, 65).count,
      65,
    );
  });

  it('finds an empty array with JSON white space inside', () => {
    for (const text of ['{"a":[]}', '{"a":[ ]}', '{"a":[\t\r\n ]}', '[[1], [ ]]']) {
      assert.equal(countOpeningBrackets(text, 65).emptyArray, true, text);
    }
  });

  it('finds no empty array where every array has a value', () => {
    for (const text of ['{"a":[1]}', '{"a":[ {}]}', '{"a":[\u00a0]}', '{"a":{}}', '{"a":[']) {
      assert.equal(countOpeningBrackets(text, 65).emptyArray, false, text);
    }
  });

  it('counts an empty array in a string as one', () => {
    assert.equal(countOpeningBrackets('{"a":"[]"}', 65).emptyArray, true);
  });

  it('leaves arrays past the stop unknown', () => {
    assert.equal(countOpeningBrackets(`{"a":"${'['.repeat(70)}x", "b":[1]}`, 65).emptyArray, true);
    assert.equal(countOpeningBrackets(`{"a":"${'{'.repeat(70)}x", "b":[1]}`, 65).emptyArray, false);
  });
});
