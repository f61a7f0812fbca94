import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyContext, parseContext } from '../src/context/load.js';
import type { Alert } from '../src/model/alert.js';
import { silentLogger, systemClock } from '../src/model/logger.js';
import { runScan } from '../src/pipeline/scan.js';
import { loadRuleTexts } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { REPO_ROOT } from './helpers/shared.js';

/**
 * Golden tests of the engine: each folder of test/golden holds rules.yml, events.ndjson, an
 * optional trustwatch.yaml, and expected.json mapping every rule title to the evidence records
 * of each alert it must raise (an empty list: it must raise none).
 */

const root = join(REPO_ROOT, 'test', 'golden');

async function scanCase(dir: string): Promise<Alert[]> {
  const contextFile = join(dir, 'trustwatch.yaml');
  const context = existsSync(contextFile)
    ? parseContext(contextFile, readFileSync(contextFile, 'utf8'))
    : emptyContext();
  const rulesFile = join(dir, 'rules.yml');
  const set = loadRuleTexts([{ file: rulesFile, text: readFileSync(rulesFile, 'utf8') }], {
    placeholders: placeholderLookup(context.settings.placeholders),
  });
  const errors = set.problems.filter((problem) => problem.severity === 'error');
  assert.deepEqual(errors, [], 'rules load without errors');

  const alerts: Alert[] = [];
  await runScan(
    {
      paths: [join(dir, 'events.ndjson')],
      context,
      rules: set.rules,
      registry: createFormatRegistry(),
      mappings: buildMappingTable(),
      logger: silentLogger,
      clock: systemClock,
    },
    { alert: (alert) => alerts.push(alert) },
  );
  return alerts;
}

function byRule(alerts: readonly Alert[]): Map<string, number[][]> {
  const grouped = new Map<string, number[][]>();
  for (const alert of alerts) {
    const records = [...new Set(alert.evidence.map((item) => item.record))].sort((a, b) => a - b);
    grouped.set(alert.rule.title, [...(grouped.get(alert.rule.title) ?? []), records]);
  }
  for (const list of grouped.values()) list.sort((a, b) => String(a).localeCompare(String(b)));
  return grouped;
}

describe('golden engine cases', () => {
  for (const name of readdirSync(root).sort()) {
    it(name, async () => {
      const dir = join(root, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
        alerts: Record<string, number[][]>;
      };
      const actual = byRule(await scanCase(dir));
      for (const [title, records] of Object.entries(expected.alerts)) {
        const want = [...records].sort((a, b) => String(a).localeCompare(String(b)));
        assert.deepEqual(actual.get(title) ?? [], want, `alerts of "${title}"`);
      }
      for (const title of actual.keys()) {
        assert.ok(title in expected.alerts, `unexpected alerts of "${title}"`);
      }
    });
  }
});
