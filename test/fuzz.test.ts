import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { describe, it } from 'node:test';
import { loadRuleTexts } from '../src/rules/load.js';
import { readAll, TEST_SETTINGS } from './helpers/read.js';
import { REPO_ROOT } from './helpers/shared.js';

/**
 * Bounded fuzzing of every parser and of the rule loader: real records mutated (bit flips,
 * cuts, inserted junk, invalid UTF-8, oversized values, deep nesting) must never throw, hang
 * or lose count. A seeded generator makes every failure reproducible from its case number.
 */

const SEED = Number(process.env.TRUSTWATCH_FUZZ_SEED ?? 20261204);
const BUDGET_MS = Number(process.env.TRUSTWATCH_FUZZ_BUDGET_MS ?? 25_000);
const PER_INPUT_MS = 5_000;
const SAMPLE_BYTES = 24 * 1024;

function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleFiles(): string[] {
  const roots = ['examples', 'test/cases', 'test/fixtures'].map((root) => join(REPO_ROOT, root));
  const files: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!['.yaml', '.yml', '.md'].includes(extname(name)) && name !== 'expected.json')
        files.push(path);
    }
  };
  for (const root of roots) walk(root);
  return files;
}

type Mutation = (input: Buffer, random: () => number) => Buffer;

const MUTATIONS: [string, Mutation][] = [
  [
    'flip bits',
    (input, random) => {
      const out = Buffer.from(input);
      for (let count = 1 + Math.floor(random() * 16); count > 0; count--) {
        const at = Math.floor(random() * out.length);
        out[at] = (out[at] as number) ^ (1 << Math.floor(random() * 8));
      }
      return out;
    },
  ],
  ['cut', (input, random) => input.subarray(0, Math.floor(random() * input.length))],
  ['cut the start', (input, random) => input.subarray(Math.floor(random() * input.length))],
  [
    'insert junk',
    (input, random) => {
      const at = Math.floor(random() * input.length);
      const junk = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
      );
      return Buffer.concat([input.subarray(0, at), junk, input.subarray(at)]);
    },
  ],
  [
    'invalid UTF-8',
    (input, random) => {
      const at = Math.floor(random() * input.length);
      return Buffer.concat([
        input.subarray(0, at),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
        input.subarray(at),
      ]);
    },
  ],
  [
    'deep nesting',
    (input, random) => {
      const depth = 100 + Math.floor(random() * 5000);
      const text = input.toString('utf8');
      const at = text.indexOf('{');
      if (at < 0)
        return Buffer.concat([input, Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}\n`)]);
      return Buffer.from(
        `${text.slice(0, at + 1)}"deep":${'['.repeat(depth)}${']'.repeat(depth)},${text.slice(at + 1)}`,
      );
    },
  ],
  [
    'oversized value',
    (input, random) => {
      const text = input.toString('utf8');
      const at = Math.floor(random() * text.length);
      return Buffer.from(
        `${text.slice(0, at)}${'A'.repeat(TEST_SETTINGS.limits.maxRecordLength + 10)}${text.slice(at)}`,
      );
    },
  ],
  [
    'duplicate lines',
    (input, random) => {
      const lines = input.toString('utf8').split('\n');
      const at = Math.floor(random() * lines.length);
      lines.splice(at, 0, ...Array.from({ length: 20 }, () => lines[at] ?? ''));
      return Buffer.from(lines.join('\n'));
    },
  ],
];

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('fuzzing', () => {
  it('never throws, hangs or loses count in any parser', async (t) => {
    const random = generator(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-fuzz-'));
    const samples = sampleFiles().map((path) => ({
      path,
      bytes: readFileSync(path).subarray(0, SAMPLE_BYTES),
    }));
    assert.ok(samples.length > 0);
    const started = Date.now();
    let runs = 0;
    while (Date.now() - started < BUDGET_MS) {
      const sample = samples[runs % samples.length];
      const [name, mutate] = MUTATIONS[Math.floor(random() * MUTATIONS.length)] as [
        string,
        Mutation,
      ];
      if (!sample) break;
      const file = join(dir, `case-${runs}${extname(sample.path)}`);
      writeFileSync(file, mutate(sample.bytes, random));
      const what = `case ${runs} (${name} of ${sample.path}, seed ${SEED})`;
      const [result] = await withTimeout(readAll([file]), PER_INPUT_MS, what);
      assert.ok(result, what);
      for (const rejection of result.rejections) {
        assert.equal(typeof rejection.code, 'string', what);
        assert.equal(rejection.origin.file, file, what);
      }
      for (const event of result.events) assert.ok(Number.isFinite(event.time), what);
      runs++;
    }
    assert.ok(runs >= samples.length, `only ${runs} runs in the budget`);
    t.diagnostic(`${runs} mutated inputs of ${samples.length} samples, seed ${SEED}`);
  });

  it('never throws when loading mutated rules', (t) => {
    const random = generator(SEED + 1);
    const rules = readFileSync(
      join(REPO_ROOT, 'rules/det0488/an1344_windows_third_party_chain.yml'),
      'utf8',
    );
    const started = Date.now();
    let runs = 0;
    while (Date.now() - started < BUDGET_MS / 5) {
      const [, mutate] = MUTATIONS[Math.floor(random() * MUTATIONS.length)] as [string, Mutation];
      const text = mutate(Buffer.from(rules), random).toString('utf8');
      const set = loadRuleTexts([{ file: `mutated-${runs}.yml`, text }], {
        placeholders: { values: () => ['x'], unresolved: 'reject' },
      });
      for (const problem of set.problems) assert.equal(typeof problem.code, 'string');
      runs++;
    }
    assert.ok(runs > 10);
    t.diagnostic(`${runs} mutated rule files, seed ${SEED + 1}`);
  });
});
