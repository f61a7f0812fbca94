/** Logger and clock interfaces: the core receives both; only entry points create them. */

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Creates a clock that returns the given time and moves only when told to. */
export function fixedClock(start: number): Clock & { advance(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}

class SilentLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }
}

export const silentLogger: Logger = new SilentLogger();

/** A logger that keeps entries in memory, for tests. */
export class MemoryLogger implements Logger {
  readonly entries: { level: string; message: string; fields: LogFields }[];
  private readonly bound: LogFields;

  constructor(entries: MemoryLogger['entries'] = [], bound: LogFields = {}) {
    this.entries = entries;
    this.bound = bound;
  }

  debug(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'debug', message, fields: { ...this.bound, ...fields } });
  }
  info(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'info', message, fields: { ...this.bound, ...fields } });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'warn', message, fields: { ...this.bound, ...fields } });
  }
  error(message: string, fields: LogFields = {}): void {
    this.entries.push({ level: 'error', message, fields: { ...this.bound, ...fields } });
  }
  child(fields: LogFields): Logger {
    return new MemoryLogger(this.entries, { ...this.bound, ...fields });
  }
}
