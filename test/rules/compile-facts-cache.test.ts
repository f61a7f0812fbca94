import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RULES_PATH } from '../../src/cli/common.js';
import { Detector } from '../../src/engine/detector.js';
import {
  CompileFactsCache,
  decodeFacts,
  encodeFacts,
} from '../../src/rules/compile-facts-cache.js';
import { compiledAtLoad, type FactsAtLoad, factsAtLoad } from '../../src/rules/compiled-at-load.js';
import { loadRulePaths, type RuleSet } from '../../src/rules/load.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { type Placeholders, placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';
import { sharedPath } from '../helpers/shared.js';

/**
 * Rules loaded with facts from the cache between runs against rules compiled at load: the same
 * facts for every rule, and the same verdicts once the detector compiles them on first use.
 */

const placeholders = placeholderLookup({});

function cacheFolder(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-facts-cache-'));
}

function load(paths: string[], facts?: CompileFactsCache): Promise<RuleSet> {
  return loadRulePaths(paths, { placeholders, ...(facts ? { facts } : {}) });
}

function detections(set: RuleSet): DetectionRule[] {
  return set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
}

/** Returns each rule's facts as text with sorted values, to compare loads whatever the set order. */
function factsText(rules: readonly DetectionRule[], used: Placeholders): string[] {
  return rules.map((rule) => {
    const facts = factsAtLoad(rule, used);
    return facts === undefined ? `${rule.meta.title}: none` : encodeFacts(facts);
  });
}

/** Loads `paths` cold into a new cache folder, then warm, and returns both loads and caches. */
async function coldThenWarm(paths: string[]) {
  const folder = cacheFolder();
  const cold = CompileFactsCache.open(folder, '1.0.0', 'build-a') as CompileFactsCache;
  const first = await load(paths, cold);
  assert.equal(cold.save(), true);
  const warm = CompileFactsCache.open(folder, '1.0.0', 'build-a') as CompileFactsCache;
  const second = await load(paths, warm);
  return { folder, cold, first, warm, second };
}

describe('CompileFactsCache', () => {
  it("keeps the pack's compile facts", async () => {
    const plain = detections(await load([DEFAULT_RULES_PATH]));
    const { cold, second, warm } = await coldThenWarm([DEFAULT_RULES_PATH]);

    assert.equal(cold.hits, 0);
    assert.ok(cold.misses >= 20, `${cold.misses} rules compiled`);
    assert.equal(warm.misses, 0);
    assert.equal(warm.hits, cold.misses);
    const cached = detections(second);
    assert.deepEqual(factsText(cached, placeholders), factsText(plain, placeholders));
    // The warm load compiled none of them: the detector compiles each rule when first run.
    const identity = (name: string) => name;
    const uncompiled = (rules: DetectionRule[]) =>
      rules.filter((rule) => !compiledAtLoad(rule, placeholders, identity)).length;
    assert.equal(uncompiled(cached), uncompiled(plain) + warm.hits);
  });

  it('keeps SigmaHQ compile facts', async (t) => {
    const rules = sharedPath(t, 'peer', 'sigmahq-rules', 'rules', 'windows');
    if (!rules) return;
    const plain = detections(await load([rules]));
    const { second, warm } = await coldThenWarm([rules]);

    assert.ok(warm.hits > 2000, `${warm.hits} rules from the cache`);
    assert.deepEqual(factsText(detections(second), placeholders), factsText(plain, placeholders));
  });

  it('matches as compiled rules do', async (t) => {
    const rules = sharedPath(t, 'peer', 'sigmahq-rules', 'rules', 'windows', 'process_creation');
    if (!rules) return;
    const { first, second } = await coldThenWarm([rules]);
    const table = buildMappingTable();
    const options = { placeholders, maxFieldLength: 1 << 20 };
    const compiled = new Detector(detections(first), table, options);
    const lazy = new Detector(detections(second), table, options);

    const event = (fields: Record<string, unknown>) => ({
      time: 0,
      timeText: '',
      format: 'test',
      logsource: { product: 'windows' },
      fields: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, ...fields } as Record<
        string,
        unknown
      >,
      core: {},
      extra: {},
      origin: { file: 'test', record: 1, line: 1 },
      summary: '',
    });
    const events = [
      event({ Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /priv' }),
      event({ Image: 'C:\\Temp\\procdump64.exe', CommandLine: 'procdump64.exe -ma lsass.exe x' }),
      event({
        Image: 'C:\\Windows\\System32\\cmd.exe',
        CommandLine: 'cmd /c vssadmin delete shadows',
      }),
      event({ Image: 'C:\\Windows\\notepad.exe', CommandLine: 'notepad.exe report.txt' }),
    ];
    let matched = 0;
    for (const item of events) {
      const expected: number[] = [];
      const found: number[] = [];
      compiled.detect(item, expected);
      lazy.detect(item, found);
      assert.deepEqual(found, expected, String(item.fields.CommandLine));
      matched += expected.length;
    }
    assert.ok(matched >= 3, `${matched} matches`);
  });

  it('compiles placeholder rules each time', async () => {
    const rules = mkdtempSync(join(tmpdir(), 'trustwatch-rules-'));
    writeFileSync(
      join(rules, 'admins.yml'),
      [
        'title: Logon of a listed admin',
        'logsource: {product: windows, service: security}',
        'detection:',
        "  selection: {EventID: 4624, TargetUserName|expand: '%admins%'}",
        '  condition: selection',
        '',
      ].join('\n'),
    );
    const { cold, warm } = await coldThenWarm([rules]);
    assert.equal(cold.misses, 0);
    assert.equal(warm.hits, 0);
  });

  it('ignores another build or product', async () => {
    const { folder } = await coldThenWarm([DEFAULT_RULES_PATH]);
    const first = readFileSync(join(folder, 'rule-facts.cache'), 'utf8').split('\n')[0] ?? '';
    assert.equal(JSON.parse(first).runtime.v8, process.versions.v8);
    for (const [product, build] of [
      ['1.0.0', 'build-b'],
      ['1.0.1', 'build-a'],
    ] as const) {
      const other = CompileFactsCache.open(folder, product, build) as CompileFactsCache;
      await load([DEFAULT_RULES_PATH], other);
      assert.equal(other.hits, 0, `${product} ${build}`);
    }
  });

  it('ignores a damaged file', async () => {
    const { folder } = await coldThenWarm([DEFAULT_RULES_PATH]);
    const file = join(folder, 'rule-facts.cache');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"requires"', '"required"'));
    const damaged = CompileFactsCache.open(folder, '1.0.0', 'build-a') as CompileFactsCache;
    await load([DEFAULT_RULES_PATH], damaged);
    assert.equal(damaged.hits, 0);
  });

  it('opens nothing without a build', () => {
    assert.equal(CompileFactsCache.open(cacheFolder(), '1.0.0', undefined), undefined);
    assert.equal(CompileFactsCache.open(undefined, '1.0.0', 'build-a'), undefined);
  });

  it('decodes only what it encodes', () => {
    const facts: FactsAtLoad = {
      requires: new Map([['~CommandLine', new Set(['vssadmin', 'wmic'])]]),
      equalities: new Map([['=EventID', new Set(['1'])]]),
      reads: new Set(['CommandLine', 'EventID']),
      fields: ['EventID', 'CommandLine'],
    };
    assert.deepEqual(decodeFacts(encodeFacts(facts)), facts);
    const keyword = { ...facts, equalities: undefined, reads: 'record' as const };
    assert.deepEqual(decodeFacts(encodeFacts(keyword)), keyword);
    assert.equal(decodeFacts('{"requires":[["~x",[1]]]'), undefined);
    assert.equal(
      decodeFacts('{"requires":[],"equalities":null,"reads":"all","fields":[]}'),
      undefined,
    );
    assert.equal(decodeFacts('null'), undefined);
  });
});
