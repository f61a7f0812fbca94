import type { Command } from 'commander';
import { Detector } from '../engine/detector.js';
import { UsageError } from '../model/errors.js';
import { formatLocation } from '../model/problem.js';
import type { RuleSet } from '../rules/load.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { placeholderLookup } from '../rules/placeholders.js';
import type { DetectionRule } from '../rules/rule.js';
import {
  applyPlaceholderOption,
  chainSettingProblems,
  EXIT_OK,
  EXIT_USAGE,
  lineWriter,
  loadContextForRules,
  loadRulesOption,
  printProblems,
  UNRESOLVED_PLACEHOLDERS_HELP,
} from './common.js';
import { standardOutput } from './standard-output.js';

interface CheckOptions {
  context?: string;
  unresolvedPlaceholders?: string;
  defaultRules: boolean;
  warnings: boolean;
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('work with Sigma rules');
  rules
    .command('check')
    .description('load rules and report every problem, with its code, file and line')
    .argument(
      '[paths...]',
      'rule files or folders (the shipped pack is included unless --no-default-rules)',
    )
    .option(
      '--context <file>',
      'context file, for placeholder values, log source mappings and the settings.chains check',
    )
    .option('--no-default-rules', 'check only the given paths')
    .option('--no-warnings', 'report errors only')
    .option('--unresolved-placeholders <mode>', UNRESOLVED_PLACEHOLDERS_HELP)
    .action(async (paths: string[], options: CheckOptions) => {
      process.exitCode = await checkCommand(paths, options);
    });
}

async function checkCommand(paths: string[], options: CheckOptions): Promise<number> {
  const out = lineWriter(standardOutput());
  const context = await loadContextForRules(options.context, paths, options.defaultRules);
  applyPlaceholderOption(context, options.unresolvedPlaceholders);
  const set = await loadRulesOption(paths, options.defaultRules, context);
  const chainProblems = await chainSettingProblems(context, set.rules);
  const all = [...chainProblems, ...set.problems];
  const problems = options.warnings ? all : all.filter((problem) => problem.severity === 'error');
  printProblems(problems, out);

  const detections = set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
  const detector = new Detector(detections, buildMappingTable(context.settings.logsources), {
    placeholders: placeholderLookup(
      context.settings.placeholders,
      context.settings.unresolved_placeholders,
    ),
    maxFieldLength: context.settings.limits.max_field_length,
  });
  const unmapped = new Map<string, number>();
  for (const rule of detector.unmapped) {
    const key = (['product', 'service', 'category'] as const)
      .filter((name) => rule.logsource[name] !== undefined)
      .map((name) => `${name}=${rule.logsource[name]}`)
      .join(' ');
    unmapped.set(key, (unmapped.get(key) ?? 0) + 1);
  }

  const errors = all.filter((problem) => problem.severity === 'error');
  const warnings = all.length - errors.length;
  printSummary(set, warnings, out);
  if (unmapped.size > 0) {
    out('');
    out(
      `${detector.unmapped.length} loaded rules have a log source that no input format provides yet; they load, but no input can match them:`,
    );
    for (const [logsource, count] of [...unmapped].sort((a, b) => b[1] - a[1]))
      out(`  ${logsource}: ${count}`);
  }
  // As for `scan`, which has nothing to run then: a check that loaded no rule checked nothing.
  if (set.rules.length === 0) {
    throw new UsageError(
      'no rules to check: the pack was left out and the given paths contain no rule that loads',
    );
  }
  return errors.length > 0 ? EXIT_USAGE : EXIT_OK;
}

/**
 * Prints how many documents loaded and failed per kind, the entries skipped and why, and
 * for each document that did not load, the errors that left it out.
 */
function printSummary(set: RuleSet, warnings: number, out: (line: string) => void): void {
  const loaded = { detection: 0, correlation: 0, filter: set.filters.length };
  for (const rule of set.rules) loaded[rule.kind]++;
  out('');
  out(
    `Loaded ${set.rules.length + set.filters.length} of ${set.documents} rule documents from ${set.files} files: ${loaded.detection} detection rules, ${loaded.correlation} correlation rules, ${set.filters.length} filters.`,
  );
  printKinds(set, loaded, out);
  printSkipped(set, out);
  if (set.rejected.length > 0) {
    const byCode = new Map<string, number>();
    for (const document of set.rejected) {
      for (const code of new Set(document.errors.map((problem) => problem.code)))
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
    }
    // A document with errors of several codes counts under each of them.
    out(`${set.rejected.length} rule documents not loaded. Documents per error code:`);
    for (const [code, count] of [...byCode].sort((a, b) => b[1] - a[1])) out(`  ${code}: ${count}`);
    out('Not loaded:');
    for (const document of set.rejected) {
      const first = document.errors[0];
      const more = document.errors.length > 1 ? ` (and ${document.errors.length - 1} more)` : '';
      out(`  ${formatLocation(document.location)}: ${first?.code}: ${first?.message}${more}`);
    }
  }
  if (warnings > 0) out(`${warnings} warnings.`);
}

const KIND_LABELS = {
  detection: 'detection rules',
  correlation: 'correlation rules',
  filter: 'filters',
} as const;

/** Prints a table of loaded and failed documents per kind. */
function printKinds(
  set: RuleSet,
  loaded: Record<keyof typeof KIND_LABELS, number>,
  out: (line: string) => void,
): void {
  const failed = { detection: 0, correlation: 0, filter: 0 };
  let unknown = 0;
  for (const document of set.rejected) {
    if (document.kind) failed[document.kind]++;
    else unknown++;
  }
  const rows: [string, string, number][] = Object.entries(KIND_LABELS).map(([kind, label]) => {
    const key = kind as keyof typeof KIND_LABELS;
    return [label, String(loaded[key]), failed[key]];
  });
  // Files that could not be read or parsed as YAML have no kind to count them under.
  if (unknown > 0) rows.push(['unreadable or invalid YAML', '-', unknown]);
  const width = Math.max(...rows.map(([label]) => label.length));
  out(`  ${''.padEnd(width)}  loaded  failed`);
  for (const [label, count, failedCount] of rows) {
    out(`  ${label.padEnd(width)}  ${count.padStart(6)}  ${String(failedCount).padStart(6)}`);
  }
}

/** Maximum paths listed per skip reason; the count covers the rest. */
const SKIPPED_SHOWN = 3;

/** Prints the entries that were not read as rules, counted per reason, with a few paths each. */
function printSkipped(set: RuleSet, out: (line: string) => void): void {
  if (set.skipped.length === 0) {
    out('Skipped: nothing.');
    return;
  }
  const byReason = new Map<string, string[]>();
  for (const entry of set.skipped) {
    byReason.set(entry.reason, [...(byReason.get(entry.reason) ?? []), entry.path]);
  }
  out(`Skipped ${set.skipped.length} entries, not read as rules:`);
  for (const [reason, paths] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    const shown = paths.slice(0, SKIPPED_SHOWN).join(', ');
    const more = paths.length > SKIPPED_SHOWN ? ` and ${paths.length - SKIPPED_SHOWN} more` : '';
    out(`  ${reason}: ${paths.length} (${shown}${more})`);
  }
}
