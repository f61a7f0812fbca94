/**
 * Row groups 1, 2, 4 and 6: the bare ceiling, `trustwatch scan` with no rules, the pack and
 * the public SigmaHQ Windows rules, how time grows with the number of rules, and one worker
 * against two.
 */
import { join } from 'node:path';
import { type BenchRun, scanRow } from './bench-run.js';
import { parseLines } from './ceiling.js';
import { median } from './measure.js';
import { copyRuleFiles, listRuleFiles, sampleEvenly, writeNoMatchRule } from './rule-sets.js';
import { runScan } from './scan.js';
import { formatCount } from './table.js';

export async function ceilingRows(run: BenchRun): Promise<void> {
  const results = [];
  for (let index = 0; index < run.options.runs; index++) {
    results.push(await parseLines(run.otrfFiles));
  }
  const events = results[0]?.events ?? 0;
  const seconds = median(results.map((result) => result.seconds));
  run.ceilingRate = events / seconds;
  run.rows.push({
    group: 1,
    label: 'ceiling: read, split lines, JSON.parse',
    events,
    seconds,
    runs: run.options.runs,
    cpuSeconds: median(results.map((result) => result.cpuSeconds)),
    ceilingRate: run.ceilingRate,
    note: 'in the benchmark process, one core',
  });
  run.notes.push(
    'Each scan row of groups 2, 4 and 6 gives × ceiling as the median over its runs of the ' +
      "ceiling's time, measured again just before the run, divided by the run's time.",
  );
}

/**
 * Returns the ceiling's loop to measure again before each run of a scan, when the ceiling row
 * was measured. A machine's speed can drift over minutes, so each scan is set against a ceiling
 * measured just before it, and the row gives the median of those ratios.
 */
function pairedCeiling(run: BenchRun): (() => Promise<number>) | undefined {
  if (run.ceilingRate === undefined) return undefined;
  return async () => (await parseLines(run.otrfFiles)).seconds;
}

export async function scanRows(run: BenchRun): Promise<void> {
  const { runs } = run.options;
  const none = writeNoMatchRule(join(run.scratch, 'rules-none'));
  const paths = run.otrfFiles;
  const ceiling = pairedCeiling(run);
  const bare = await runScan(
    { paths, rules: [none], defaultRules: false, workers: 1 },
    runs,
    run.scratch,
    ceiling,
  );
  scanRow(run, 2, 'scan, no rules', bare, 'one Linux rule, which no Windows event reaches');

  const pack = await runScan({ paths, workers: 1 }, runs, run.scratch, ceiling);
  const packLabel = `scan, pack (${pack.rules.toLocaleString('en-US')} rules)`;
  scanRow(run, 2, packLabel, pack, `${formatCount(pack.alerts, 'alert')}, no context file`);

  const sigma = await sigmaScan(run, 1);
  const sigmaLabel = `scan, SigmaHQ + pack (${sigma.rules.toLocaleString('en-US')} rules)`;
  scanRow(run, 2, sigmaLabel, sigma, formatCount(sigma.alerts, 'alert'));
}

async function sigmaScan(run: BenchRun, workers: number) {
  const request = { paths: run.otrfFiles, rules: [run.sigmaRules], workers };
  const scan = await runScan(request, run.options.runs, run.scratch, pairedCeiling(run));
  if (workers === 1) run.sigmaScanOneWorker = scan;
  return scan;
}

const SCALING_COUNTS = [10, 100, 1000];

export async function scalingRows(run: BenchRun): Promise<void> {
  const files = listRuleFiles(run.sigmaRules);
  const sets = SCALING_COUNTS.filter((count) => count < files.length).map((count) => ({
    count,
    folder: copyRuleFiles(sampleEvenly(files, count), join(run.scratch, `rules-${count}`)),
  }));
  sets.push({ count: files.length, folder: run.sigmaRules });

  let baseSeconds: number | undefined;
  for (const { folder } of sets) {
    const request = { paths: run.otrfFiles, rules: [folder], defaultRules: false, workers: 1 };
    const scan = await runScan(request, run.options.runs, run.scratch, pairedCeiling(run));
    baseSeconds ??= scan.seconds;
    const ratio = (scan.seconds / baseSeconds).toFixed(2);
    const label = `scan, ${scan.rules.toLocaleString('en-US')} SigmaHQ rules`;
    scanRow(
      run,
      4,
      label,
      scan,
      `${ratio} × the 10-rule time; ${formatCount(scan.alerts, 'alert')}`,
    );
  }
  run.notes.push(
    `Rule scaling samples the ${files.length} SigmaHQ Windows rule files sorted by path at ` +
      'indexes ⌊i × total / count⌋; the pack is left out.',
  );
}

export async function workerRows(run: BenchRun): Promise<void> {
  const reused = run.sigmaScanOneWorker !== undefined;
  const oneWorker = run.sigmaScanOneWorker ?? (await sigmaScan(run, 1));
  const oneNote = `${formatCount(oneWorker.alerts, 'alert')}${reused ? '; the run of group 2' : ''}`;
  scanRow(run, 6, 'scan, SigmaHQ + pack, --workers 1', oneWorker, oneNote);

  const twoWorkers = await sigmaScan(run, 2);
  const speedUp = (oneWorker.seconds / twoWorkers.seconds).toFixed(2);
  const same =
    twoWorkers.alerts === oneWorker.alerts
      ? 'same alerts'
      : `ALERTS DIFFER: ${formatCount(oneWorker.alerts, 'alert')} with one worker`;
  const note = `${speedUp} × speed-up in wall time; ${same}`;
  scanRow(run, 6, 'scan, SigmaHQ + pack, --workers 2', twoWorkers, note);
}
