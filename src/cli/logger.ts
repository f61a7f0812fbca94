import type { LogFields, Logger } from '../model/logger.js';
import { escapeControls } from '../model/terminal-text.js';

/** Logger of the command line: one line per entry on stderr, as text or JSON. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface CliLoggerOptions {
  level: LogLevel;
  json: boolean;
  write?: (line: string) => void;
}

export class CliLogger implements Logger {
  constructor(
    private readonly options: CliLoggerOptions,
    private readonly bound: LogFields = {},
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new CliLogger(this.options, { ...this.bound, ...fields });
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (ORDER[level] < ORDER[this.options.level]) return;
    const all = { ...this.bound, ...fields };
    const write = this.options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
    if (this.options.json) {
      write(JSON.stringify({ level, msg: message, ...all }));
      return;
    }
    const pairs = Object.entries(all)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(' ');
    // Messages and values name log files and records, so text lines show controls as escapes.
    write(escapeControls(`${level}: ${message}${pairs ? ` ${pairs}` : ''}`));
  }
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}
