/**
 * Runs the real CLI, `node bin/trustwatch.js scan`, as a measured child process, and reads back
 * what it reports. Records, events and alerts per party come from the summary on standard
 * error. Alerts per rule come from the `hits` output on standard output, the quietest format.
 */
import { join } from 'node:path';
import { type ChildRun, median, runChild, runMedian } from './measure.js';
import { REPO_ROOT } from './paths.js';

export interface ScanRequest {
  paths: readonly string[];
  /** Rule files or folders given with `--rules`. */
  rules?: readonly string[];
  /** Whether the shipped pack is loaded too (the CLI default). */
  defaultRules?: boolean;
  context?: string;
  workers: number;
}

export interface ScanRun extends ChildRun {
  runs: number;
  rules: number;
  records: number;
  parsed: number;
  alerts: number;
  /** Alerts per rule title; a correlation's title ends with its type in brackets. */
  hits: Map<string, number>;
  alertsByParty: Map<string, number>;
  /**
   * Median over the runs of the ceiling's time just before a run divided by the run's time:
   * the ratio to the ceiling measured in pairs. Undefined when the ceiling was not measured.
   */
  ceilingRatio?: number | undefined;
}

export function scanArguments(request: ScanRequest): string[] {
  return [
    join(REPO_ROOT, 'bin', 'trustwatch.js'),
    'scan',
    '--db',
    ':memory:',
    '--output',
    'hits',
    '--no-progress',
    '--workers',
    String(request.workers),
    ...(request.defaultRules === false ? ['--no-default-rules'] : []),
    ...(request.rules ?? []).flatMap((path) => ['--rules', path]),
    ...(request.context ? ['--context', request.context] : []),
    ...request.paths,
  ];
}

/**
 * Scans `runs` times and returns the medians. It runs in `scratch`, so that no
 * `trustwatch.yaml` of the current folder is read as the context by accident.
 */
export async function runScan(
  request: ScanRequest,
  runs: number,
  scratch: string,
  ceiling?: () => Promise<number>,
): Promise<ScanRun> {
  const ratios: number[] = [];
  const run = await runMedian(runs, async () => {
    const ceilingSeconds = ceiling ? await ceiling() : undefined;
    const child = await runChild(process.execPath, scanArguments(request), {
      cwd: scratch,
      scratch,
    });
    if (ceilingSeconds !== undefined) ratios.push(ceilingSeconds / child.seconds);
    return child;
  });
  const ceilingRatio = ratios.length > 0 ? median(ratios) : undefined;
  return { ...run, ...parseSummary(run.stderr), hits: parseHits(run.stdout), ceilingRatio };
}

/** Counts from the summary lines the scan writes to standard error. */
export function parseSummary(stderr: string) {
  const scanned = /Scanned \d+ inputs with (\d+) rules: (\d+) records read, (\d+) parsed/.exec(
    stderr,
  );
  const alerts = /^Alerts: (\d+)/m.exec(stderr);
  if (!scanned || !alerts) throw new Error(`no scan summary in the output:\n${stderr.slice(-500)}`);
  const alertsByParty = new Map<string, number>();
  for (const match of stderr.matchAll(/^ {2}party (.+): (\d+)$/gm)) {
    alertsByParty.set(match[1] as string, Number(match[2]));
  }
  return {
    rules: Number(scanned[1]),
    records: Number(scanned[2]),
    parsed: Number(scanned[3]),
    alerts: Number(alerts[1]),
    alertsByParty,
  };
}

/** Alerts per rule title from the hit table: level, hits, first, last and rule columns. */
export function parseHits(stdout: string): Map<string, number> {
  const hits = new Map<string, number>();
  for (const line of stdout.split('\n').slice(1)) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length < 5 || !/^\d+$/.test(cells[1] ?? '')) continue;
    const title = cells.slice(4).join('  ');
    hits.set(title, (hits.get(title) ?? 0) + Number(cells[1]));
  }
  return hits;
}
