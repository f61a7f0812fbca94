import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { checkInputPaths } from '../input/expand.js';
import type { Alert } from '../model/alert.js';
import { ConfigError, EnvironmentError, RuleSetError, UsageError } from '../model/errors.js';
import { systemClock } from '../model/logger.js';
import { countOf } from '../model/problem.js';
import { DEFAULT_LOGGED_REJECTIONS } from '../pipeline/file-stage.js';
import { runScan, type ScanConfig, type ScanSummary } from '../pipeline/scan.js';
import { buildMappingTable } from '../rules/logsources/registry.js';
import { enableLinearRegexFallback } from '../rules/regex.js';
import { selectRules } from '../rules/select.js';
import { renderHitTable } from '../sinks/hit-table.js';
import { renderReport } from '../sinks/html-report.js';
import { createAlertWriter, OUTPUT_FORMATS, type OutputFormat } from '../sinks/output.js';
import { SqliteStore } from '../sinks/sqlite-store.js';
import { createFormatRegistry } from '../sources/registry.js';
import { parseBaselineUntil, prepareBaseline } from './baseline-options.js';
import {
  applyPlaceholderOption,
  chainSettingProblems,
  checkOutputFile,
  EXIT_ALERTS,
  EXIT_OK,
  EXIT_USAGE,
  lineWriter,
  loadContextForRules,
  loadRulesOption,
  printProblems,
  UNRESOLVED_PLACEHOLDERS_HELP,
} from './common.js';
import { type HuntOptions, parseHuntOptions, registerHuntOptions } from './hunt-options.js';
import { CliLogger, type LogLevel } from './logger.js';
import { nothingScanned } from './nothing-scanned.js';
import { ProgressLine } from './progress.js';

interface ScanOptions extends HuntOptions {
  context?: string;
  rules: string[];
  defaultRules: boolean;
  format?: string;
  output?: string;
  db: string;
  failOnAlert?: boolean;
  unresolvedPlaceholders?: string;
  strictRules?: boolean;
  logLevel: string;
  logFormat: string;
  progress: boolean;
  learn?: boolean;
  baselineUntil?: string;
  geo: boolean;
  report?: string;
  workers?: string;
  logRejections?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerScan(program: Command): void {
  const command = program
    .command('scan')
    .description('scan log files, folders, .gz and .zip archives, or - for standard input')
    .argument('<paths...>', 'inputs to scan')
    .option(
      '--context <file>',
      'third-party context file (default: ./trustwatch.yaml when present)',
    )
    .option('--rules <path>', 'more Sigma rules, a file or folder (repeatable)', collect, [])
    .option('--no-default-rules', 'leave out the shipped rule pack')
    .option('--format <name>', 'read every input as this format (see: trustwatch formats)')
    .option(
      '--output <format>',
      `alert output: ${OUTPUT_FORMATS.join(', ')} (default: table on a terminal, else ndjson)`,
    )
    .option(
      '--db <path>',
      'SQLite database for alerts and scan statistics; :memory: keeps nothing',
      'trustwatch.db',
    )
    .option('--unresolved-placeholders <mode>', UNRESOLVED_PLACEHOLDERS_HELP)
    .option(
      '--fail-on-alert',
      'exit with status 1 when alerts were raised that the allow-list does not suppress',
    )
    .option(
      '--strict-rules',
      'exit with status 2 when any rule fails to load, instead of skipping it',
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'warn')
    .option('--log-format <format>', 'text or json', 'text')
    .option(
      '--log-rejections <count>',
      `rejected records logged per input, each with its file, line, reason and text (default ${DEFAULT_LOGGED_REJECTIONS}; "all" logs every one); the summary counts all of them`,
    )
    .option('--no-progress', 'no progress line on stderr')
    .option('--learn', 'add what this scan sees to the baselines in the database, after the scan')
    .option(
      '--baseline-until <time>',
      'learn baselines from events before this time first, then hunt only in events from it on (same notations as --since)',
    )
    .option('--no-geo', 'no country and ASN lookup of source addresses')
    .option('--report <file>', 'also write a self-contained HTML report of the alerts to this file')
    .option(
      '--workers <count>',
      `threads that read, parse and detect, one input each at a time (default: up to ${availableParallelism()}, the CPU cores, one per 64 MiB of input; 1 reads in the main thread only)`,
    );
  command.addHelpText(
    'after',
    [
      '',
      'Limits are settings of the context file (docs/context.md): settings.limits.max_record_length,',
      'max_depth and max_field_length for records, and regex_budget_ms and regex_timeouts for',
      'regular expressions that run under a time budget.',
    ].join('\n'),
  );
  registerHuntOptions(command).action(async (paths: string[], options: ScanOptions) => {
    process.exitCode = await scanCommand(paths, options);
  });
}

/**
 * Time in time-limited regular expressions over which the summary names a rule, since
 * evaluations each within the budget can add up to a scan that looks stalled.
 */
const REPORTED_REGEX_MS = 1000;

/** Most threads `--workers` accepts. */
const MAX_WORKERS = 64;

/**
 * Input bytes per worker thread when `--workers` is not given. A thread loads its own rules,
 * which takes about a second of CPU time with the SigmaHQ Windows rules. With them, it reads
 * about 80 MB/s of Windows events on the benchmark machine, so it gains time only on larger
 * inputs. The quick start's 0.4 MB took 0.68 s in one thread and 1.20 s with two.
 */
const AUTO_BYTES_PER_WORKER = 64 * 1024 * 1024;

/** Parses `--log-rejections`: a count from 0, or `all`. */
function parseLoggedRejections(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LOGGED_REJECTIONS;
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(count)) {
    throw new UsageError(`--log-rejections must be a whole number from 0 or "all", not "${text}"`);
  }
  return count;
}

function parseWorkers(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new UsageError(
      `--workers must be a whole number from 1 to ${MAX_WORKERS}, not "${text}"`,
    );
  }
  return count;
}

async function scanCommand(paths: string[], options: ScanOptions): Promise<number> {
  const stderr = lineWriter(process.stderr);
  const level = options.logLevel as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(
      `--log-level must be debug, info, warn or error, not "${options.logLevel}"`,
    );
  if (!['text', 'json'].includes(options.logFormat))
    throw new UsageError(`--log-format must be text or json, not "${options.logFormat}"`);
  const logger = new CliLogger({ level, json: options.logFormat === 'json' });

  const output = (options.output ?? (process.stdout.isTTY ? 'table' : 'ndjson')) as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output))
    throw new UsageError(
      `--output must be one of ${OUTPUT_FORMATS.join(', ')}, not "${options.output}"`,
    );
  // --baseline-until uses what it learns within the run, but --learn keeps it for later runs.
  if (options.learn && options.db === ':memory:')
    throw new UsageError('--learn keeps baselines in a database file, not :memory:');
  const registry = createFormatRegistry();
  if (options.format !== undefined && !registry.get(options.format)) {
    throw new UsageError(`unknown format "${options.format}"; trustwatch formats lists them`);
  }

  const now = systemClock.now();
  const hunt = parseHuntOptions(options, now);
  const baselineUntil = parseBaselineUntil(
    options.baselineUntil,
    paths,
    hunt.timezone ?? 'UTC',
    now,
  );
  const workers = parseWorkers(options.workers);
  const loggedRejections = parseLoggedRejections(options.logRejections);
  if (options.report !== undefined) checkOutputFile('--report', options.report);
  await checkInputPaths(paths);
  const context = await loadContextForRules(options.context, options.rules, options.defaultRules);
  applyPlaceholderOption(context, options.unresolvedPlaceholders);
  const ruleSet = await loadRulesOption(options.rules, options.defaultRules, context);
  const chainProblems = await chainSettingProblems(context, ruleSet.rules);
  if (chainProblems.length > 0) throw new ConfigError(chainProblems);
  const ruleErrors = ruleSet.problems.filter((problem) => problem.severity === 'error');
  if (ruleErrors.length > 0) {
    if (options.strictRules) throw new RuleSetError(ruleErrors);
    printProblems(ruleErrors, stderr);
    const count = countOf(ruleErrors.length, 'rule problem');
    stderr(`${count}: those rules are not loaded (--strict-rules makes this fatal)`);
  }
  if (ruleSet.rules.length === 0)
    throw new UsageError('no rules to run: the pack was left out and --rules gave none that load');
  const rules = hunt.selection ? selectRules(ruleSet.rules, hunt.selection) : ruleSet.rules;
  if (rules.length === 0)
    throw new UsageError(
      `none of the ${ruleSet.rules.length} loaded rules match --level, --status, --tag and --rule-id`,
    );

  enableLinearRegexFallback();
  const store = new SqliteStore(options.db, systemClock);
  const scanId = store.startScan(paths);
  const writer = createAlertWriter(output, (text) => process.stdout.write(text), {
    ...(hunt.timezone ? { timezone: hunt.timezone } : {}),
  });
  const progressLine =
    options.progress && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
  let newAlerts = 0;
  const reported: Alert[] = [];

  const base: ScanConfig = {
    paths,
    ...(options.format ? { format: options.format } : {}),
    context,
    rules,
    ...(hunt.timeRange ? { timeRange: hunt.timeRange } : {}),
    registry,
    mappings: buildMappingTable(context.settings.logsources),
    logger,
    clock: systemClock,
    workers,
    ...(options.workers === undefined ? { bytesPerWorker: AUTO_BYTES_PER_WORKER } : {}),
    loggedRejections,
  };

  const baseline = await prepareBaseline(
    { learn: options.learn, baselineUntil, geo: options.geo },
    store,
    base,
  );

  let summary: ScanSummary;
  try {
    summary = await runScan(
      { ...base, ...baseline.config },
      {
        alert: (alert) => {
          if (store.saveAlert(alert, scanId)) newAlerts++;
          writer.write(alert);
          if (options.report) reported.push(alert);
        },
        ...(progressLine ? { progress: (progress) => progressLine.update(progress) } : {}),
      },
    );
  } finally {
    progressLine?.clear();
  }
  writer.end();
  baseline.save();

  const totals = summary.files.reduce(
    (sum, file) => ({
      read: sum.read + file.read,
      parsed: sum.parsed + file.parsed,
      rejected: sum.rejected + file.rejected,
      skipped: sum.skipped + file.skippedRecords,
    }),
    { read: 0, parsed: 0, rejected: 0, skipped: 0 },
  );
  store.finishScan(
    scanId,
    {
      ...totals,
      alerts: summary.alerts,
      newAlerts,
      extra: { late: summary.late, durationMs: summary.durationMs },
    },
    summary.files.map((file) => ({ ...file })),
  );
  store.close();
  if (options.report) {
    const html = renderReport({
      title: 'trustwatch scan report',
      generatedAt: systemClock.now(),
      inputs: summary.files.length,
      records: totals.read,
      rejected: totals.rejected,
      alerts: reported,
      activity: summary.activity,
    });
    try {
      writeFileSync(options.report, html);
    } catch (error) {
      throw new EnvironmentError(
        'output.unwritable',
        `--report ${options.report}: ${(error as Error).message}`,
      );
    }
    stderr(`Report written to ${options.report}`);
  }
  printSummary(summary, totals, newAlerts, options.db, rules.length, stderr);
  const table = renderHitTable(summary.alertsByRule.values(), hunt.timezone ?? 'UTC');
  if (table.length > 0) {
    stderr('Hits per rule:');
    for (const line of table) stderr(`  ${line}`);
  }
  const nothing = nothingScanned(summary.files);
  if (nothing !== undefined) {
    stderr(`trustwatch: nothing scanned: ${nothing} (the summary above says why)`);
    return EXIT_USAGE;
  }

  // Suppressed alerts are expected activity that the allow-list names, so they do not count.
  const unsuppressed = summary.alerts - summary.suppressed;
  return options.failOnAlert && unsuppressed > 0 ? EXIT_ALERTS : EXIT_OK;
}

function printSummary(
  summary: ScanSummary,
  totals: { read: number; parsed: number; rejected: number; skipped: number },
  newAlerts: number,
  db: string,
  rules: number,
  write: (line: string) => void,
): void {
  const seconds = summary.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(totals.read / seconds) : totals.read;
  write(
    `Scanned ${summary.files.length} inputs with ${rules} rules: ${totals.read} records read, ${totals.parsed} parsed, ${totals.rejected} rejected${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''} (${seconds.toFixed(1)} s, ${rate} records/s)`,
  );
  for (const file of summary.files) {
    if (file.error && file.read === 0) {
      write(`  ${file.path}: not read: ${file.error}`);
      continue;
    }
    const format = file.format ? ` [${file.format}]` : '';
    if (file.skipped) {
      write(`  ${file.path}${format} skipped: ${file.skipped}`);
      continue;
    }
    const rejected = Object.entries(file.rejectedByCode)
      .map(([code, count]) => `${code} ${count}`)
      .join(', ');
    const skippedReasons = Object.entries(file.skippedByReason)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    const skipped =
      file.skippedRecords > 0 ? `, ${file.skippedRecords} skipped (${skippedReasons})` : '';
    const outOfRange = file.outOfRange > 0 ? `, ${file.outOfRange} outside --since/--until` : '';
    const pages = file.emptyPages === 1 ? 'page' : 'pages';
    const emptyPages = file.emptyPages > 0 ? `, ${file.emptyPages} ${pages} without records` : '';
    const joined = file.events !== file.parsed ? `, joined into ${file.events} events` : '';
    // An input that failed part way (a truncated .gz) keeps the records read before.
    const failed = file.error ? `; then failed: ${file.error}` : '';
    const damaged = file.damage.map((reason) => `; damaged: ${reason}`).join('');
    write(
      `  ${file.path}${format} ${file.read} read, ${file.parsed} parsed${joined}, ${file.rejected} rejected${rejected ? ` (${rejected})` : ''}${skipped}${outOfRange}${emptyPages}${damaged}${failed}`,
    );
  }
  const evaluated = summary.detection.events_total;
  if (evaluated > 0) {
    const perEvent = summary.detection.evaluations_total / evaluated;
    write(
      `Rule evaluations: ${summary.detection.evaluations_total} for ${evaluated} events (${perEvent.toFixed(2)} per event)`,
    );
  }
  if (summary.late > 0)
    write(`  ${summary.late} matched events arrived out of order beyond the reorder buffer`);
  for (const [rule, count] of summary.regexTimeouts) {
    const stopped = count >= summary.regexTimeoutLimit ? ', then stopped running it' : '';
    write(
      `  rule ${rule}: ${count} regular expression evaluations ran over the time budget${stopped}`,
    );
  }
  for (const [rule, spent] of summary.regexSpent) {
    if (spent.ms < REPORTED_REGEX_MS) continue;
    const seconds = (spent.ms / 1000).toFixed(1);
    const average = (spent.ms / spent.evaluations).toFixed(1);
    write(
      `  rule ${rule}: ${seconds} s in ${spent.evaluations} time-limited regular expression evaluations (${average} ms on average)`,
    );
  }
  const stored = db === ':memory:' ? '' : ` (${newAlerts} new in ${db})`;
  const suppressed =
    summary.suppressed > 0 ? `; ${summary.suppressed} suppressed by the allow-list` : '';
  write(`Alerts: ${summary.alerts}${stored}${suppressed}`);
  for (const [party, count] of [...summary.alertsByParty].sort((a, b) => b[1] - a[1]))
    write(`  party ${party}: ${count}`);
}
