/**
 * Standard output and standard error that their reader may close early: `| head`, a pager that
 * quits, a log forwarder that exits. A failed write must not end the command, so that a scan
 * still stores and reports every alert. After the first failure nothing more is written to the
 * stream, and the command can ask how many alerts reached it before.
 */

/** Error codes of a write to a pipe or socket whose reader has gone. */
const CLOSED_CODES = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

export class GuardedOutput {
  private failedWith: NodeJS.ErrnoException | undefined;
  private pending = 0;
  private waiting: (() => void)[] = [];
  private written = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    /** The stream's name in messages: `standard output`. */
    readonly name: string,
  ) {
    // A stream with an `error` listener reports the failure here instead of ending the process.
    stream.on('error', (error: NodeJS.ErrnoException) => this.fail(error));
  }

  /**
   * Writes `text` unless an earlier write failed. `alerts` is how many alerts the text completes:
   * they count as written once the stream has taken all of it.
   */
  write(text: string, alerts = 0): void {
    if (this.failedWith) return;
    this.pending++;
    this.stream.write(text, (error) => {
      this.pending--;
      if (error) this.fail(error);
      else if (!this.failedWith) this.written += alerts;
      if (this.pending === 0) for (const resolve of this.waiting.splice(0)) resolve();
    });
  }

  /** Resolves once every write so far has succeeded or failed. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Alerts whose text the stream took before any write failed. */
  get alertsWritten(): number {
    return this.written;
  }

  /** The first failed write's error, or undefined while every write succeeded. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.failedWith;
  }

  /** Describes the failure: `standard output was closed`, or the error of another failure. */
  describeFailure(): string | undefined {
    const error = this.failedWith;
    if (!error) return undefined;
    if (error.code !== undefined && CLOSED_CODES.has(error.code)) return `${this.name} was closed`;
    return `writing to ${this.name} failed (${error.message})`;
  }

  private fail(error: NodeJS.ErrnoException): void {
    this.failedWith ??= error;
  }
}

let stdout: GuardedOutput | undefined;
let stderr: GuardedOutput | undefined;

/** Returns the process's guarded standard output, created with its error listener on first use. */
export function standardOutput(): GuardedOutput {
  stdout ??= new GuardedOutput(process.stdout, 'standard output');
  return stdout;
}

/**
 * Returns the process's guarded standard error. Its listener alone keeps a closed standard error
 * from ending a command, including for the loggers that write to `process.stderr` directly.
 */
export function standardError(): GuardedOutput {
  stderr ??= new GuardedOutput(process.stderr, 'standard error');
  return stderr;
}

/**
 * Ends the process with `status` once standard output and standard error have taken what was
 * written to them, or failed. For a command that must not wait for other work still pending,
 * such as a read of standard input that a stop left waiting.
 */
export async function exitWhenWritten(status: number): Promise<never> {
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(status);
}

/** Resolves once the stream has handled every earlier write: an empty write's callback. */
function written(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
