/**
 * `npm run bench`: measures trustwatch on real Windows host events (the OTRF Security-Datasets
 * archives) against a bare JSON.parse ceiling and against DuckDB running the same Sigma rules
 * as SQL, and prints one table. bench/README.md describes each row. Progress goes to standard
 * error, the machine line, the table and its notes to standard output.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRun } from './bench-run.js';
import { loadAverage, machineLine } from './machine.js';
import { hasGnuTime } from './measure.js';
import { type BenchOptions, parseOptions, type RowGroup, USAGE } from './options.js';
import { listArchives, unzipArchives } from './otrf-cache.js';
import { REPO_ROOT, sharedInput } from './paths.js';
import { duckdbRows } from './rows-duckdb.js';
import { evtxRows } from './rows-evtx.js';
import { memoryRows } from './rows-memory.js';
import { ceilingRows, scalingRows, scanRows, workerRows } from './rows-scan.js';
import { renderTable } from './table.js';

const GROUPS: Record<RowGroup, (run: BenchRun) => Promise<void>> = {
  ceiling: ceilingRows,
  scan: scanRows,
  duckdb: duckdbRows,
  scaling: scalingRows,
  evtx: evtxRows,
  workers: workerRows,
  memory: memoryRows,
};

function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function prepare(options: BenchOptions): BenchRun {
  const archives = listArchives(sharedInput('bench', 'otrf-windows-host'), options.subset);
  const sigmaRules = sharedInput('peer', 'sigmahq-rules', 'rules', 'windows');
  sharedInput('corpus');
  const scratch = join(options.cache, 'run');
  mkdirSync(scratch, { recursive: true });
  progress(`unzipping ${archives.length} archives into ${join(options.cache, 'otrf')}`);
  const otrfFiles = unzipArchives(archives, join(options.cache, 'otrf'));
  const notes = [warmRuleCache(scratch, sigmaRules)];
  return { options, scratch, cache: options.cache, otrfFiles, sigmaRules, rows: [], notes };
}

/**
 * Points the scans at rule caches of their own and fills them, so that every timed run loads
 * the rules as a user's second run does (rules/parsed-rule-cache.ts, compile-facts-cache.ts).
 */
function warmRuleCache(scratch: string, sigmaRules: string): string {
  process.env.TRUSTWATCH_CACHE_DIR = join(scratch, 'rule-cache');
  const check = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'trustwatch.js'), 'rules', 'check', '--no-warnings', sigmaRules],
    { cwd: scratch, stdio: 'ignore' },
  );
  if (check.error) throw check.error;
  return (
    "Rule files are read through trustwatch's parsed-rule cache and its cache of rule compile " +
    'facts, filled before the timed runs. Without them a scan parses the YAML again (about ' +
    '0.1 s more with the SigmaHQ rules) and compiles every rule at the start, not only those ' +
    'that run.'
  );
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  console.log(machineLine());
  let run: BenchRun;
  try {
    run = prepare(options);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const archives = options.subset ?? 'all';
  console.log(`input: OTRF archives: ${archives}, ${run.otrfFiles.length} NDJSON files`);
  if (!hasGnuTime()) run.notes.push('GNU time (/usr/bin/time) is missing: no CPU or memory.');

  let failed = false;
  for (const [name, measure] of Object.entries(GROUPS) as [RowGroup, typeof ceilingRows][]) {
    if (!options.only.has(name)) continue;
    progress(`running ${name}`);
    try {
      await measure(run);
    } catch (error) {
      failed = true;
      run.notes.push(`${name} rows failed: ${(error as Error).message}`);
      progress(`${name} failed: ${(error as Error).stack}`);
    }
  }

  console.log('');
  for (const line of renderTable(run.rows)) console.log(line);
  console.log('');
  for (const note of run.notes) console.log(note);
  console.log(`load average ${loadAverage()} (1, 5, 15 min) at end`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
