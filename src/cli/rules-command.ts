import type { Command } from 'commander';
import { Detector } from '../engine/detector.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { placeholderLookup } from '../rules/placeholders.js';
import type { DetectionRule } from '../rules/rule.js';
import {
  EXIT_OK,
  EXIT_USAGE,
  loadContextOption,
  loadRulesOption,
  printProblems,
} from './common.js';

interface CheckOptions {
  context?: string;
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
    .option('--context <file>', 'context file, for placeholder values')
    .option('--no-default-rules', 'check only the given paths')
    .option('--no-warnings', 'report errors only')
    .action(async (paths: string[], options: CheckOptions) => {
      process.exitCode = await checkCommand(paths, options);
    });
}

async function checkCommand(paths: string[], options: CheckOptions): Promise<number> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const context = await loadContextOption(options.context);
  const set = await loadRulesOption(paths, options.defaultRules, context);
  const problems = options.warnings
    ? set.problems
    : set.problems.filter((problem) => problem.severity === 'error');
  printProblems(problems, out);

  const detections = set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
  const detector = new Detector(detections, buildMappingTable(), {
    placeholders: placeholderLookup(context.settings.placeholders),
    maxFieldLength: context.settings.limits.max_field_length,
  });
  const unmapped = new Map<string, number>();
  for (const rule of detector.unmapped) {
    const key = Object.entries(rule.logsource)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    unmapped.set(key, (unmapped.get(key) ?? 0) + 1);
  }

  const errors = set.problems.filter((problem) => problem.severity === 'error');
  const failedRules = new Set(
    errors.map((problem) => `${problem.location?.file}:${problem.location?.line ?? 0}`),
  ).size;
  const byCode = new Map<string, number>();
  for (const problem of errors) byCode.set(problem.code, (byCode.get(problem.code) ?? 0) + 1);

  out('');
  out(`Loaded ${set.rules.length} of ${set.documents} rule documents from ${set.files} files.`);
  if (errors.length > 0) {
    out(`${errors.length} errors in about ${failedRules} rules, by code:`);
    for (const [code, count] of [...byCode].sort((a, b) => b[1] - a[1])) out(`  ${code}: ${count}`);
  }
  const warnings = set.problems.length - errors.length;
  if (warnings > 0) out(`${warnings} warnings.`);
  if (unmapped.size > 0) {
    out(`${detector.unmapped.length} loaded rules have a log source no input format provides yet:`);
    for (const [logsource, count] of [...unmapped].sort((a, b) => b[1] - a[1]))
      out(`  ${logsource}: ${count}`);
  }
  return errors.length > 0 ? EXIT_USAGE : EXIT_OK;
}
