import { DEFAULT_RULES_PATH } from '../../src/cli/common.js';
import { parseContext } from '../../src/context/load.js';
import type { Alert } from '../../src/model/alert.js';
import { fixedClock } from '../../src/model/logger.js';
import { runScan } from '../../src/pipeline/scan.js';
import { loadRulePaths } from '../../src/rules/load.js';
import type { LogSourceMapping } from '../../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { SourceFormat } from '../../src/sources/format.js';
import { createFormatRegistry } from '../../src/sources/registry.js';
import { collectingLogger } from './parse.js';

/**
 * Runs the scan in-process with the shipped rule pack, a context given as YAML text, and
 * optionally formats and log source mappings that only the test provides.
 */
export async function scanWithPack(
  paths: readonly string[],
  contextYaml: string,
  extra: { formats?: readonly SourceFormat[]; mappings?: readonly LogSourceMapping[] } = {},
): Promise<Alert[]> {
  const context = parseContext('trustwatch.yaml', contextYaml);
  const ruleSet = await loadRulePaths([DEFAULT_RULES_PATH], {
    placeholders: placeholderLookup(context.settings.placeholders),
  });
  const errors = ruleSet.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) throw new Error(`rule pack problems: ${JSON.stringify(errors)}`);
  const alerts: Alert[] = [];
  await runScan(
    {
      paths,
      context,
      rules: ruleSet.rules,
      registry: createFormatRegistry(extra.formats ?? []),
      mappings: buildMappingTable(extra.mappings ?? []),
      logger: collectingLogger([]),
      clock: fixedClock(0),
    },
    { alert: (alert) => alerts.push(alert) },
  );
  return alerts;
}

/** `step:file#record` of each evidence item, with the file's base name. */
export function evidenceKeys(alert: Alert): string[] {
  return alert.evidence.map((item) => {
    const name = item.file.split('/').pop() ?? item.file;
    return `${item.step}:${name}#${item.record}`;
  });
}
