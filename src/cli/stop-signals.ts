import { constants } from 'node:os';

/**
 * SIGINT (Ctrl-C) and SIGTERM during a scan. The first one aborts `signal`, so that the scan stops
 * reading and still stores, reports and marks what it has. A second one ends the process at once,
 * for a user who does not want to wait for that.
 */

export type StopSignalName = 'SIGINT' | 'SIGTERM';

const STOP_SIGNALS: readonly StopSignalName[] = ['SIGINT', 'SIGTERM'];

/** Returns the shell's exit status of a process ended by the signal: 128 plus its number. */
export function signalExitStatus(name: StopSignalName): number {
  return 128 + constants.signals[name];
}

/** The part of `process` that StopSignals uses, so that tests can send signals of their own. */
export interface SignalTarget {
  on(name: StopSignalName, listener: () => void): unknown;
  off(name: StopSignalName, listener: () => void): unknown;
}

export interface StopSignalsOptions {
  target?: SignalTarget;
  /** Ends the process; `process.exit` unless a test replaces it. */
  exit?: (status: number) => void;
  /** Writes a line to standard error. */
  write: (line: string) => void;
}

export class StopSignals {
  private readonly controller = new AbortController();
  private received: StopSignalName | undefined;
  private readonly listeners = new Map<StopSignalName, () => void>();
  private readonly target: SignalTarget;
  private readonly exit: (status: number) => void;

  constructor(private readonly options: StopSignalsOptions) {
    this.target = options.target ?? process;
    this.exit = options.exit ?? ((status) => process.exit(status));
  }

  /** Aborted by the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, or undefined. */
  get stoppedBy(): StopSignalName | undefined {
    return this.received;
  }

  /** Listens for the signals in place of their default action, which ends the process. */
  install(): void {
    for (const name of STOP_SIGNALS) {
      const listener = () => this.receive(name);
      this.listeners.set(name, listener);
      this.target.on(name, listener);
    }
  }

  /** Gives the signals their default action back. */
  remove(): void {
    for (const [name, listener] of this.listeners) this.target.off(name, listener);
    this.listeners.clear();
  }

  private receive(name: StopSignalName): void {
    if (this.received === undefined) {
      this.received = name;
      this.controller.abort();
      return;
    }
    this.options.write(
      `trustwatch: ${name} received again: ended at once, so the scan is not marked as interrupted in the database and no report is written`,
    );
    this.exit(signalExitStatus(name));
  }
}
