import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generate } from '../bench/generate.js';
import {
  COPY_OFFSET_MS,
  rewriteRecord,
  seededRandom,
  shiftTime,
} from '../bench/generate-records.js';

const DAY_MS = 24 * 3600 * 1000;

describe('generate shiftTime', () => {
  it('keeps the format, the fraction and the zone', () => {
    assert.equal(shiftTime('2020-06-10T02:50:56.537Z', DAY_MS), '2020-06-11T02:50:56.537Z');
    assert.equal(shiftTime('2020-12-31 23:59:59', 1000), '2021-01-01 00:00:00');
    assert.equal(shiftTime('not a time', DAY_MS), undefined);
  });

  it('moves a copy to the same weekday and time', () => {
    const shifted = shiftTime('2020-06-09T22:50:54Z', COPY_OFFSET_MS) as string;
    assert.equal(new Date(shifted).getUTCDay(), new Date('2020-06-09T22:50:54Z').getUTCDay());
    assert.equal(shifted.slice(10), 'T22:50:54Z');
  });
});

describe('generate rewriteRecord', () => {
  const record = {
    Hostname: 'WORKSTATION6.mordor.local',
    SubjectUserName: 'pgustavo',
    TargetUserName: 'WORKSTATION6$',
    AccountName: 'SYSTEM',
    '@timestamp': '2020-06-10T02:50:56.537Z',
    EventID: 4624,
  };

  it('tags host and user names but not built-in accounts', () => {
    const out = rewriteRecord(record, DAY_MS, 'K7QX');
    assert.equal(out.Hostname, 'WORKSTATION6-K7QX.mordor.local');
    assert.equal(out.SubjectUserName, 'pgustavo-K7QX');
    assert.equal(out.TargetUserName, 'WORKSTATION6-K7QX$');
    assert.equal(out.AccountName, 'SYSTEM');
    assert.equal(out['@timestamp'], '2020-06-11T02:50:56.537Z');
    assert.equal(out.EventID, 4624);
  });

  it('returns copy 0 unchanged', () => {
    assert.equal(rewriteRecord(record, 0, ''), record);
  });
});

describe('generate', () => {
  const folder = mkdtempSync(join(tmpdir(), 'trustwatch-generate-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const inputs = ['a', 'b'].map((name) => {
    const path = join(folder, `${name}.json`);
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify({
        EventID: n,
        Hostname: `HOST-${name}`,
        '@timestamp': `2020-01-0${n}T00:00:00Z`,
      }),
    );
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  });
  const chain = ['{"EventID":4624,"Computer":"APP01"}'];

  function run(seed: number, name: string) {
    const output = join(folder, name);
    const result = generate({ inputs, chain, targetBytes: 600, seed, folder: output });
    const files = readdirSync(output).sort();
    const text = files.map((file) => readFileSync(join(output, file), 'utf8'));
    return { result, files, text };
  }

  it('writes the same bytes for the same seed', () => {
    const first = run(7, 'first');
    const second = run(7, 'second');
    assert.deepEqual(second.files, first.files);
    assert.deepEqual(second.text, first.text);
  });

  it('plants the chain once and copies until the target size', () => {
    const { result, files, text } = run(7, 'plant');
    assert.equal(files.filter((file) => file.includes('planted')).length, 1);
    assert.equal(
      text
        .join('')
        .split('\n')
        .filter((line) => line === chain[0]).length,
      1,
    );
    assert.ok(result.bytes >= 600);
    assert.ok(result.copies >= 2);
    assert.equal(
      basename(result.chainFile),
      files.find((file) => file.includes('planted')),
    );
  });

  it('keeps copy 0 byte for byte and moves later copies', () => {
    const { files, text } = run(7, 'copies');
    const first = files.findIndex((file) => file.includes('c0-a.json'));
    assert.equal(text[first], readFileSync(inputs[0] as string, 'utf8'));
    const copy = files.findIndex((file) => file.includes('c1-a.json'));
    const record = JSON.parse((text[copy] as string).split('\n')[0] as string);
    assert.equal(record['@timestamp'], shiftTime('2020-01-01T00:00:00Z', COPY_OFFSET_MS));
    assert.match(record.Hostname, /^HOST-a-[A-Z2-9]{4}$/);
  });

  it('gives other tags for another seed', () => {
    const hosts = (seed: number) => {
      const { files, text } = run(seed, `seed-${seed}`);
      const copy = files.findIndex((file) => file.includes('c1-a.json'));
      return JSON.parse((text[copy] as string).split('\n')[0] as string).Hostname;
    };
    assert.notEqual(hosts(1), hosts(2));
  });
});

describe('generate seededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = [a(), a(), a()];
    assert.deepEqual([b(), b(), b()], first);
    assert.ok(first.every((value) => value >= 0 && value < 1));
  });
});
