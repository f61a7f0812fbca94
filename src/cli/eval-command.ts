import type { Command } from 'commander';
import { ConfigError } from '../model/errors.js';
import { systemClock } from '../model/logger.js';
import { evaluateCase, findCases, scoreByAnalytic } from '../pipeline/evaluate.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { enableLinearRegexFallback } from '../rules/regex.js';
import { createFormatRegistry } from '../sources/registry.js';
import {
  chainSettingProblems,
  EXIT_ALERTS,
  EXIT_OK,
  lineWriter,
  loadRulesOption,
  printProblems,
} from './common.js';
import { CliLogger } from './logger.js';
import { standardOutput } from './standard-output.js';

interface EvalOptions {
  rules: string[];
  defaultRules: boolean;
  verbose?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'scan labelled case folders (logs/, trustwatch.yaml, expected.json) and score the alerts',
    )
    .argument('<paths...>', 'case folders, or folders of case folders')
    .option('--rules <path>', 'more Sigma rules, a file or folder (repeatable)', collect, [])
    .option('--no-default-rules', 'leave out the shipped rule pack')
    .option('--verbose', 'list every case, not only those that differ from their labels')
    .action(async (paths: string[], options: EvalOptions) => {
      process.exitCode = await evalCommand(paths, options);
    });
}

async function evalCommand(paths: string[], options: EvalOptions): Promise<number> {
  const out = lineWriter(standardOutput());
  const cases = findCases(paths);
  enableLinearRegexFallback();
  const logger = new CliLogger({ level: 'error', json: false });
  const registry = createFormatRegistry();
  const mappings = buildMappingTable();
  let reported = false;

  const results = [];
  for (const dir of cases) {
    const result = await evaluateCase(dir, {
      rulesFor: async (context) => {
        const set = await loadRulesOption(options.rules, options.defaultRules, context, false);
        const chainProblems = await chainSettingProblems(context, set.rules);
        if (chainProblems.length > 0) throw new ConfigError(chainProblems);
        const errors = set.problems.filter((problem) => problem.severity === 'error');
        if (errors.length > 0 && !reported) {
          printProblems(errors, lineWriter(process.stderr));
          reported = true;
        }
        return set.rules;
      },
      registry,
      mappings,
      logger,
      clock: systemClock,
    });
    results.push(result);
    const ok = result.missed.length === 0 && result.extra.length === 0 && !result.error;
    if (!ok || options.verbose) {
      out(
        `${ok ? 'ok  ' : 'FAIL'} ${result.name} (${[result.kind, ...result.analytics].join(', ')}): ${result.matched.length} matched, ${result.missed.length} missed, ${result.extra.length} extra`,
      );
    }
    // A context or rule error lists its problems on lines of their own.
    const [head, ...rest] = result.error?.split('\n') ?? [];
    if (head !== undefined) out(`     case failed: ${head}`);
    for (const line of rest) out(`       ${line}`);
    for (const miss of result.missed)
      out(`     missed ${miss.label.party} / ${miss.label.actor}: ${miss.why}`);
    for (const extra of result.extra) out(`     extra: ${extra.why}`);
  }

  out('');
  out('analytic  cases  TP  FP  FN  precision  recall');
  for (const score of scoreByAnalytic(results)) {
    out(
      `${score.analytic.padEnd(8)}  ${String(score.cases).padStart(5)}  ${String(score.truePositives).padStart(2)}  ${String(score.falsePositives).padStart(2)}  ${String(score.falseNegatives).padStart(2)}  ${ratio(score.precision).padStart(9)}  ${ratio(score.recall).padStart(6)}`,
    );
  }
  const failed = results.filter(
    (result) => result.missed.length > 0 || result.extra.length > 0 || result.error,
  );
  out(`${results.length} cases, ${failed.length} differ from their labels`);
  return failed.length === 0 ? EXIT_OK : EXIT_ALERTS;
}

/** Formats a precision or recall with two decimals, or as `n/a` when it has no value. */
function ratio(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(2);
}
