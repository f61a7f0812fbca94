import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  compileForMapping,
  factsForMapping,
  type RuleFacts,
} from '../../src/rules/compiled-at-load.js';
import { loadRulePaths } from '../../src/rules/load.js';
import { mappingsForRule } from '../../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { type Placeholders, placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

/**
 * The facts that the detector takes from a rule's compile at load, with the mapping's field
 * names, instead of compiling the rule for the mapping (compiled-at-load.ts). They must be what
 * that compile gives: the index keys, the equalities and the fields read.
 */

interface Tally {
  pairs: number;
  renamed: number;
}

/** Compares the facts with a compile for every mapping of every rule, and counts the pairs. */
function compareAll(rules: readonly DetectionRule[], placeholders: Placeholders): Tally {
  const table = buildMappingTable();
  const tally: Tally = { pairs: 0, renamed: 0 };
  for (const rule of rules) {
    for (const mapping of mappingsForRule(rule.logsource, table)) {
      const fields = mapping.fields ?? {};
      const mapField = (name: string) =>
        Object.hasOwn(fields, name) ? (fields[name] ?? name) : name;
      const facts = factsForMapping(rule, placeholders, mapField);
      if (facts === undefined) continue;

      const compiled = compileForMapping(rule, { placeholders, mapField }, []);
      assert.ok(compiled, `${rule.meta.title} compiles for ${mapping.logsource.product}`);
      const where = `${rule.meta.title} with mapping ${mapping.index}`;
      assert.deepEqual(plain(facts), plain(compiled), where);
      tally.pairs++;
      const atLoad = factsForMapping(rule, placeholders, (name) => name);
      const readAtLoad = atLoad === undefined ? [] : plain(atLoad).reads;
      if (readAtLoad.some((name) => mapField(name) !== name)) tally.renamed++;
    }
  }
  return tally;
}

/** Returns the facts as sorted lists, to compare them whatever the order of sets and maps. */
function plain(facts: RuleFacts) {
  const keyed = (map: ReadonlyMap<string, ReadonlySet<string>> | undefined) =>
    [...(map ?? new Map<string, ReadonlySet<string>>())]
      .map(([key, values]) => [key, [...values].sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b));
  const reads = typeof facts.reads === 'string' ? [facts.reads] : [...facts.reads].sort();
  return { requires: keyed(facts.requires), equalities: keyed(facts.equalities), reads };
}

async function detectionRules(path: string, placeholders: Placeholders) {
  const set = await loadRulePaths([path], { placeholders });
  return set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
}

describe('facts from the compile at load', () => {
  it('match compiles of the shipped rules', async () => {
    const placeholders = placeholderLookup({});
    const rules = await detectionRules(join(REPO_ROOT, 'rules'), placeholders);
    const tally = compareAll(rules, placeholders);
    assert.ok(tally.pairs >= rules.length, `${tally.pairs} pairs of ${rules.length} rules`);
  });

  it('match compiles of the SigmaHQ rules', async (t) => {
    const path = sharedPath(t, 'peer', 'sigmahq-rules', 'rules');
    if (!path) return;
    const placeholders = placeholderLookup({}, 'wildcard');
    const rules = await detectionRules(path, placeholders);
    const tally = compareAll(rules, placeholders);
    // The Security mappings rename fields that the process creation rules read.
    assert.ok(tally.pairs > 4_000, `${tally.pairs} pairs`);
    assert.ok(tally.renamed > 1_000, `${tally.renamed} pairs with renamed fields`);
  });
});
