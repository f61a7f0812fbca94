import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_RULES_PATH } from '../../src/cli/common.js';
import { parseContext } from '../../src/context/load.js';
import type { Alert } from '../../src/model/alert.js';
import { fixedClock, MemoryLogger } from '../../src/model/logger.js';
import { runScan, type ScanSummary } from '../../src/pipeline/scan.js';
import { loadRulePaths, loadRuleTexts } from '../../src/rules/load.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Runs a scan in process over files written to a temporary folder, with the shipped pack. */
export interface ScanCase {
  /** Relative path → content. */
  files: Record<string, string>;
  /** The context file's YAML text. */
  context?: string;
  /** Extra rule texts, loaded beside the shipped pack. */
  rules?: string[];
  /** Leave out the shipped pack. */
  noDefaultRules?: boolean;
}

export interface ScanResult {
  alerts: Alert[];
  summary: ScanSummary;
  logger: MemoryLogger;
  /** Folder the files were written to; paths in alerts are relative to the working folder. */
  dir: string;
}

export async function scanFiles(input: ScanCase): Promise<ScanResult> {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-test-'));
  try {
    for (const [name, text] of Object.entries(input.files)) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    const context = parseContext('trustwatch.yaml', input.context ?? '{}');
    const placeholders = placeholderLookup(context.settings.placeholders);
    const pack = input.noDefaultRules
      ? { rules: [], problems: [] }
      : await loadRulePaths([DEFAULT_RULES_PATH], { placeholders });
    const extra = loadRuleTexts(
      (input.rules ?? []).map((text, index) => ({ file: `extra-${index}.yml`, text })),
      { placeholders },
    );
    const problems = [...pack.problems, ...extra.problems].filter(
      (problem) => problem.severity === 'error',
    );
    if (problems.length > 0) throw new Error(`rules do not load: ${JSON.stringify(problems)}`);

    const alerts: Alert[] = [];
    const logger = new MemoryLogger();
    const summary = await runScan(
      {
        paths: Object.keys(input.files).map((name) => join(dir, name)),
        context,
        rules: [...pack.rules, ...extra.rules],
        registry: createFormatRegistry(),
        mappings: buildMappingTable(),
        logger,
        clock: fixedClock(0),
      },
      { alert: (alert) => alerts.push(alert) },
    );
    return { alerts, summary, logger, dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
