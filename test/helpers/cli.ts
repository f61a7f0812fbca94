import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

/** Runs the built command line (bin/trustwatch.js over dist/) as a user would. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export const CLI = join(REPO_ROOT, 'bin', 'trustwatch.js');

export function runCli(
  args: readonly string[],
  options: { cwd?: string; input?: string | Buffer } = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Parses NDJSON alert output. */
export function parseAlerts(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
