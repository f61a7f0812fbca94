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
import { AlertBatch } from '../sinks/alert-batch.js';
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
  lowerCaseName,
  printProblems,
  UNRESOLVED_PLACEHOLDERS_HELP,
} from './common.js';
import { type HuntOptions, parseHuntOptions, registerHuntOptions } from './hunt-options.js';
import { CliLogger, type LogLevel } from './logger.js';
import { nothingScanned } from './nothing-scanned.js';
import { ProgressLine } from './progress.js';
import { interruptedLine, outputLossLine, partialReportNote } from './scan-ending.js';
import { printSummary } from './scan-summary.js';
import { exitWhenWritten, standardOutput } from './standard-output.js';
import { type StopSignalName, StopSignals, signalExitStatus } from './stop-signals.js';

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
    .option(
      '--format <name>',
      'read every input as this format (see: trustwatch formats)',
      lowerCaseName,
    )
    .option(
      '--output <format>',
      `alert output: ${OUTPUT_FORMATS.join(', ')} (default: table on a terminal, else ndjson)`,
      lowerCaseName,
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
    .option('--log-level <level>', 'debug, info, warn or error', lowerCaseName, 'warn')
    .option('--log-format <format>', 'text or json', lowerCaseName, 'text')
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
  const ruleSet = await loadRulesOption(options.rules, options.defaultRules, context, false);
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
  // From here on a signal stops the scan, which then stores and reports what it has.
  const stop = new StopSignals({ write: stderr });
  stop.install();
  try {
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
      signal: stop.signal,
    };
    const run = { store, scanId, output, hunt, baselineUntil, stop, stderr, rules: rules.length };
    return await scanAndStore(base, options, run);
  } finally {
    stop.remove();
  }
}

interface ScanRun {
  store: SqliteStore;
  scanId: number;
  output: OutputFormat;
  hunt: ReturnType<typeof parseHuntOptions>;
  /** `--baseline-until` in epoch ms. */
  baselineUntil: number | undefined;
  stop: StopSignals;
  stderr: (line: string) => void;
  /** Rules that the scan runs. */
  rules: number;
}

/** The results of a scan besides its alerts in the store. */
interface ScanResult {
  summary: ScanSummary;
  newAlerts: number;
  /** The alerts for `--report`, empty without it. */
  reported: Alert[];
  /** Alerts that standard output took before a write to it failed, or all of them. */
  written: number;
  stoppedBy: StopSignalName | undefined;
}

/**
 * Runs the scan with alerts going to the store and standard output, then stores its counts,
 * writes the report and prints the summary. Returns the exit status.
 */
async function scanAndStore(base: ScanConfig, options: ScanOptions, run: ScanRun): Promise<number> {
  const result = await scanToSinks(base, options, run);
  const { summary, stoppedBy } = result;
  const totals = summary.files.reduce(
    (sum, file) => ({
      read: sum.read + file.read,
      parsed: sum.parsed + file.parsed,
      rejected: sum.rejected + file.rejected,
      skipped: sum.skipped + file.skippedRecords,
    }),
    { read: 0, parsed: 0, rejected: 0, skipped: 0 },
  );
  const failure = standardOutput().failure;
  const outputFailure = failure
    ? { outputFailure: { error: failure.code ?? failure.message, alertsWritten: result.written } }
    : {};
  run.store.finishScan(
    run.scanId,
    {
      ...totals,
      alerts: summary.alerts,
      newAlerts: result.newAlerts,
      extra: { late: summary.late, durationMs: summary.durationMs, ...outputFailure },
    },
    summary.files.map((file) => ({ ...file })),
    stoppedBy,
  );
  run.store.close();

  if (options.report) {
    writeReport(options.report, {
      title: 'trustwatch scan report',
      generatedAt: systemClock.now(),
      inputs: summary.files.length,
      records: totals.read,
      rejected: totals.rejected,
      alerts: result.reported,
      activity: summary.activity,
      ...(stoppedBy ? { partial: partialReportNote(stoppedBy, summary.files) } : {}),
    });
    run.stderr(`Report written to ${options.report}${stoppedBy ? ' (partial)' : ''}`);
  }
  printSummary(summary, totals, result.newAlerts, options.db, run.rules, run.stderr);
  const table = renderHitTable(summary.alertsByRule.values(), run.hunt.timezone ?? 'UTC');
  if (table.length > 0) {
    run.stderr('Hits per rule:');
    for (const line of table) run.stderr(`  ${line}`);
  }
  return endScan(result, options, run.stderr);
}

/** Runs the scan, saving each alert and writing it to standard output as it comes. */
async function scanToSinks(
  base: ScanConfig,
  options: ScanOptions,
  run: ScanRun,
): Promise<ScanResult> {
  const { store, scanId, hunt, stop } = run;
  const out = standardOutput();
  const writtenBefore = out.alertsWritten;
  const writer = createAlertWriter(run.output, (text, alerts) => out.write(text, alerts), {
    ...(hunt.timezone ? { timezone: hunt.timezone } : {}),
  });
  const progressLine =
    options.progress && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
  const saved = new AlertBatch(store, scanId);
  // A second signal ends the process at once, with `process.exit`: the alerts that wait are
  // saved on the way out.
  const saveOnExit = () => saved.flushQuietly();
  process.once('exit', saveOnExit);
  const reported: Alert[] = [];

  let summary: ScanSummary;
  // A signal that comes after the scan returned finds nothing left to stop, so it is ignored.
  let stoppedBy: StopSignalName | undefined;
  let completed = false;
  try {
    const baseline = await prepareBaseline(
      { learn: options.learn, baselineUntil: run.baselineUntil, geo: options.geo },
      store,
      base,
    );
    summary = await runScan(
      { ...base, ...baseline.config },
      {
        alert: (alert) => {
          saved.add(alert);
          writer.write(alert);
          if (options.report) reported.push(alert);
        },
        ...(progressLine ? { progress: (progress) => progressLine.update(progress) } : {}),
      },
    );
    stoppedBy = stop.stoppedBy;
    // Baselines learned from part of the inputs would count that part again when it is scanned
    // once more, so a stopped scan saves none.
    if (stoppedBy === undefined) baseline.save();
    completed = true;
  } finally {
    process.removeListener('exit', saveOnExit);
    progressLine?.clear();
    // After an error, a failed save must not hide it.
    if (completed) saved.flush();
    else saved.flushQuietly();
  }
  writer.end();
  await out.settled();

  const written = out.alertsWritten - writtenBefore;
  return { summary, newAlerts: saved.newAlerts, reported, written, stoppedBy };
}

/**
 * Prints the last lines of a scan whose standard output failed or that a signal stopped, and
 * returns the exit status. A stopped scan ends the process here.
 */
async function endScan(
  result: ScanResult,
  options: ScanOptions,
  stderr: (line: string) => void,
): Promise<number> {
  const { summary, stoppedBy, written } = result;
  const failure = standardOutput().describeFailure();
  if (failure !== undefined) {
    const keepers = { db: options.db, report: options.report };
    stderr(outputLossLine(failure, written, summary.alerts, keepers));
  }
  if (stoppedBy) {
    const facts = {
      signal: stoppedBy,
      alerts: summary.alerts,
      newAlerts: result.newAlerts,
      files: summary.files,
      dropped: summary.dropped,
      learn: options.learn === true,
    };
    stderr(interruptedLine(facts, options.db));
    // A read of standard input or a named pipe may still wait for data that never comes, and it
    // would keep the process alive, so the process ends here once its output is written.
    await exitWhenWritten(signalExitStatus(stoppedBy));
  }

  const nothing = nothingScanned(summary.files);
  if (nothing !== undefined) {
    stderr(`trustwatch: nothing scanned: ${nothing} (the summary above says why)`);
    return EXIT_USAGE;
  }
  // Alerts lost to a closed standard output are an error even though the store has them all.
  if (written < summary.alerts) return EXIT_USAGE;

  // Suppressed alerts are expected activity that the allow-list names, so they do not count.
  const unsuppressed = summary.alerts - summary.suppressed;
  return options.failOnAlert && unsuppressed > 0 ? EXIT_ALERTS : EXIT_OK;
}

function writeReport(path: string, input: Parameters<typeof renderReport>[0]): void {
  try {
    writeFileSync(path, renderReport(input));
  } catch (error) {
    throw new EnvironmentError(
      'output.unwritable',
      `--report ${path}: ${(error as Error).message}`,
    );
  }
}
