import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CLI } from './cli.js';
import { REPO_ROOT } from './shared.js';

/**
 * The built command line as a running child process, for tests that act on it while it runs:
 * close its standard output early, send it a signal, feed its standard input bit by bit.
 */

export interface CliExit {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Standard output read before the test closed it, or all of it. */
  stdout: string;
  stderr: string;
}

export interface CliChild {
  process: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when `test` holds for the standard output read so far; rejects after `timeoutMs`. */
  waitForStdout(test: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Closes the reading end of standard output, as `| head` does when it has enough. */
  closeStdout(): void;
  exited: Promise<CliExit>;
}

/** Long enough for a loaded machine to load the rules and read the first records. */
const DEFAULT_WAIT_MS = 120_000;

export function startCli(args: readonly string[]): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  // The child may close its standard input first; a write after that is not a test failure.
  child.stdin.on('error', () => {});

  const exited = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ status, signal, stdout, stderr });
    });
  });

  const waitForStdout = (test: (text: string) => boolean, timeoutMs = DEFAULT_WAIT_MS) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching output within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const check = () => {
        if (test(stdout)) {
          clearTimeout(timer);
          resolve(stdout);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`the command ended before the expected output; stderr: ${stderr}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return {
    process: child,
    waitForStdout,
    closeStdout: () => child.stdout.destroy(),
    exited,
  };
}
