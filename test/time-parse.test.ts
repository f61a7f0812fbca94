import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnyTime, parseIsoTime, RepeatedTimeReader } from '../src/model/time.js';

// A leading space keeps a text off the fast character-code path, so the expression reads it.
const viaExpression = (text: string, offset = 0) => parseIsoTime(` ${text}`, offset);

const SHAPES = [
  '2020-10-19 12:28:44',
  '2020-10-19T12:28:44',
  '2020-10-19 12:28:44.333',
  '2020-10-19T12:28:44.333Z',
  '2020-10-19T12:28:44Z',
  '2020-10-19T12:28Z',
  '2020-10-19 12:28',
  '2020-10-19T12:28:44.5',
  '2020-10-19T12:28:44.05',
  '2020-10-19T12:28:44,250',
  '2020-10-19T12:28:44.3331234Z',
  '2020-10-19T12:28:44.999999999999999999Z',
  '2020-10-19T12:28:44.333+02:00',
  '2020-10-19T12:28:44.333-0530',
  '2020-10-19T12:28:44-00:00',
  '2020-10-19t12:28:44Z',
  '2020-10-19T12:28:44z',
  '2020-10-19T12:28:44 Z',
  '2020-10-19T12:28:44UTC',
  '2020-10-19T12:28:44.Z',
  '2020-10-19T12:28:4Z',
  '2020-10-19T12:28:44+2:00',
  '2020-10-19T12:28:44+02:0',
  '2020-10-19T12:28:44+020:0',
  '2020-10-19T12:28:44Zx',
  '2020-13-40T25:61:61Z',
  '0099-01-01T00:00:00Z',
  '2020-10-19',
  '2020-1O-19T12:28:44Z',
  '١٢٣٤-10-19T12:28:44Z',
];

describe('parseIsoTime', () => {
  it('reads every shape as the expression does', () => {
    for (const text of SHAPES) {
      assert.equal(parseIsoTime(text), viaExpression(text), text);
      assert.equal(parseIsoTime(text, 120), viaExpression(text, 120), `${text} at +02:00`);
    }
  });

  it('reads common shapes to exact instants', () => {
    assert.equal(parseIsoTime('2020-10-19 12:28:44.333'), Date.UTC(2020, 9, 19, 12, 28, 44, 333));
    assert.equal(parseIsoTime('2020-10-19T12:28:44.5Z'), Date.UTC(2020, 9, 19, 12, 28, 44, 500));
    assert.equal(
      parseIsoTime('2020-10-19T12:28:44.3339999+02:00'),
      Date.UTC(2020, 9, 19, 10, 28, 44, 333),
    );
    assert.equal(parseIsoTime('2020-10-19 12:28', -60), Date.UTC(2020, 9, 19, 13, 28));
  });

  it('reads consecutive days alike', () => {
    const days = [
      '2020-10-19',
      '2020-10-20',
      '2020-10-19',
      '2016-02-29',
      '1999-12-31',
      '2020-10-19',
    ];
    for (const day of days) {
      for (const clock of ['00:00:00Z', '23:59:59.999Z', '23:59:60Z', '12:28:44.333-05:00']) {
        const text = `${day}T${clock}`;
        assert.equal(parseIsoTime(text), viaExpression(text), text);
        assert.equal(
          parseIsoTime(text),
          Date.parse(text.replace(':60Z', ':59Z')) + (clock.includes(':60') ? 1000 : 0),
          text,
        );
      }
    }
  });

  it('rejects a cut fraction and a bad zone', () => {
    assert.ok(Number.isNaN(parseIsoTime('2020-10-19T12:28:44.Z')));
    assert.ok(Number.isNaN(parseIsoTime('2020-10-19T12:28:44+2:00')));
  });
});

describe('parseIsoTime on dates that do not exist', () => {
  it('gives NaN instead of rolling over', () => {
    for (const text of [
      '2023-13-45T25:99:99Z',
      '2024-02-30T10:00:00Z',
      '2023-02-29 10:00:00',
      '2024-04-31T10:00:00.123Z',
      '2024-03-22T24:00:00+02:00',
      '2024-03-22T10:60:00Z',
      '2024-03-22 10:00',
      '2024-00-10',
    ]) {
      const expected = text === '2024-03-22 10:00' ? Date.UTC(2024, 2, 22, 10) : Number.NaN;
      assert.deepEqual(parseIsoTime(text), expected, text);
    }
  });

  it('reads February 29 of a leap year and a leap second', () => {
    assert.equal(parseIsoTime('2024-02-29T10:00:00Z'), Date.UTC(2024, 1, 29, 10));
    assert.equal(parseIsoTime('2016-12-31T23:59:60Z'), Date.UTC(2017, 0, 1));
  });
});

describe('parseAnyTime', () => {
  it('reads ISO text as parseIsoTime does', () => {
    for (const text of SHAPES) assert.equal(parseAnyTime(text, 60), viaExpression(text, 60), text);
  });

  it('still reads epoch numbers and .NET dates', () => {
    assert.equal(parseAnyTime('1603110524'), 1603110524000);
    assert.equal(parseAnyTime('/Date(1603110524333)/'), 1603110524333);
  });
});

describe('RepeatedTimeReader', () => {
  it('reads each text as its parser does', () => {
    const texts = [
      '2020-10-19 12:28:44',
      '2020-10-19 12:28:44',
      '2020-10-19 12:28:45',
      '2020-10-19 12:28:44',
      'not a time',
      'not a time',
      '2020-10-19T12:28:44.333+02:00',
    ];
    const reader = new RepeatedTimeReader(parseIsoTime);
    for (const text of texts) assert.deepEqual(reader.read(text), parseIsoTime(text), text);
  });

  it('parses a text only when it changes', () => {
    const parsed: string[] = [];
    const reader = new RepeatedTimeReader((text) => {
      parsed.push(text);
      return parseAnyTime(text);
    });
    const texts = ['1603110524', '1603110524', '2020-10-19 12:28:44', '1603110524', '', ''];
    const times = texts.map((text) => reader.read(text));

    assert.deepEqual(times, [
      1603110524000,
      1603110524000,
      Date.UTC(2020, 9, 19, 12, 28, 44),
      1603110524000,
      Number.NaN,
      Number.NaN,
    ]);
    assert.deepEqual(parsed, ['1603110524', '2020-10-19 12:28:44', '1603110524', '']);
  });
});
