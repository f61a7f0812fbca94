import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  options: { cwd?: string; input?: string | Buffer; user?: { uid: number; gid: number } } = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input,
    ...(options.user ?? {}),
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

/** Runs the built command line without blocking, so that tests can run several at once. */
export function runCliAsync(
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}

/** The uid and gid of user nobody, when /etc/passwd has it. */
export function nobody(): { uid: number; gid: number } | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  const line = passwd.split('\n').find((entry) => entry.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined
    ? undefined
    : { uid: Number(uid), gid: Number(gid) };
}

/**
 * The user to run the command line as, so that file modes bind it: nobody when the tests run as
 * root, who may write any file, or 'self' otherwise. Skips the test when root has no nobody.
 */
export function unprivileged(t: {
  skip(message: string): void;
}): { uid: number; gid: number } | 'self' | undefined {
  if (process.getuid?.() !== 0) return 'self';
  const user = nobody();
  if (!user) t.skip('running as root and there is no user nobody to run as');
  return user;
}
