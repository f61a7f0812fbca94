/**
 * Runs a measured child process: wall time from the parent's monotonic clock, user and system
 * CPU time and peak resident memory from GNU time (`/usr/bin/time -v`), because Node.js has no
 * call for the resource use of one child. Without GNU time the CPU and memory columns are empty.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface ChildRun {
  seconds: number;
  /** User plus system CPU seconds, undefined without GNU time. */
  cpuSeconds: number | undefined;
  /** Peak resident set size in MiB, undefined without GNU time. */
  peakRssMiB: number | undefined;
  stdout: string;
  stderr: string;
}

export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** Runs `command args` in `cwd`; rejects when it exits with a status other than 0. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; scratch: string },
): Promise<ChildRun> {
  const statsFile = join(options.scratch, `time-${process.pid}-${Date.now()}.txt`);
  const timed = hasGnuTime();
  const [file, argv] = timed
    ? [GNU_TIME, ['-v', '-o', statsFile, command, ...args]]
    : [command, [...args]];

  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const run: ChildRun = {
    seconds,
    cpuSeconds: undefined,
    peakRssMiB: undefined,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
  if (timed && existsSync(statsFile)) {
    Object.assign(run, parseGnuTime(readFileSync(statsFile, 'utf8')));
    rmSync(statsFile, { force: true });
  }
  if (status !== 0) {
    const tail = run.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} … exited with ${status}:\n${tail}`);
  }
  return run;
}

/** CPU seconds and peak memory from the report of `time -v`. */
export function parseGnuTime(text: string): { cpuSeconds?: number; peakRssMiB?: number } {
  const number = (label: string) => {
    const match = new RegExp(`${label}: ([0-9.]+)`).exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const user = number('User time \\(seconds\\)');
  const system = number('System time \\(seconds\\)');
  const rssKiB = number('Maximum resident set size \\(kbytes\\)');
  const result: { cpuSeconds?: number; peakRssMiB?: number } = {};
  if (user !== undefined && system !== undefined) result.cpuSeconds = user + system;
  if (rssKiB !== undefined) result.peakRssMiB = rssKiB / 1024;
  return result;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median of the values that are known; undefined when none is. */
export function medianOf(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : median(known);
}

/** Runs a child `runs` times; the result carries the median of each measure. */
export async function runMedian(
  runs: number,
  start: () => Promise<ChildRun>,
): Promise<ChildRun & { runs: number }> {
  const results: ChildRun[] = [];
  for (let index = 0; index < runs; index++) results.push(await start());
  const last = results[results.length - 1] as ChildRun;
  return {
    ...last,
    seconds: median(results.map((run) => run.seconds)),
    cpuSeconds: medianOf(results.map((run) => run.cpuSeconds)),
    peakRssMiB: medianOf(results.map((run) => run.peakRssMiB)),
    runs,
  };
}
