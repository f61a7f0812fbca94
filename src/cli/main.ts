import { Command, CommanderError } from 'commander';
import { ProblemsError, TrustwatchError } from '../model/errors.js';
import { escapeControlLines, escapeControls } from '../model/terminal-text.js';
import { isStoreFileFailure } from '../sinks/sqlite-store.js';
import { registerBaseline } from './baseline-command.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './common.js';
import { registerEval } from './eval-command.js';
import { registerExplain } from './explain-command.js';
import { registerFormats } from './formats-command.js';
import { limitHeapGrowth } from './heap-growth.js';
import { registerRules } from './rules-command.js';
import { registerScan } from './scan-command.js';
import { standardError, standardOutput } from './standard-output.js';

/** The `trustwatch` command line. Only this folder writes to the terminal. */
export async function main(argv: readonly string[]): Promise<number> {
  limitHeapGrowth();
  // A reader that closes standard output or error early must not end the command part way.
  const stdout = standardOutput();
  standardError();

  const program = new Command();
  program
    .name('trustwatch')
    .description(
      'Detects the abuse of trusted third-party access in native logs, with Sigma rules and chains',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => process.stderr.write(escapeControlLines(text)),
      outputError: (text) => process.stderr.write(`trustwatch: ${usageErrorLine(text)}\n`),
    });
  registerScan(program);
  registerFormats(program);
  registerRules(program);
  registerEval(program);
  registerExplain(program);
  registerBaseline(program);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error);
  }
}

/**
 * Prints an error that ended a command and returns the exit status: 2 for invalid use and for
 * files, folders and databases that cannot be used, 3 with the stack for anything else.
 */
function reportError(error: unknown): number {
  const write = (text: string) => process.stderr.write(`trustwatch: ${text}\n`);
  if (error instanceof CommanderError) {
    // Commander has printed its message already. Help shown because no command was given has
    // exit code 1, and is a usage error like the others.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof ProblemsError) {
    // The problems were formatted with their values escaped; the breaks between them stay.
    write(escapeControlLines(error.message));
    return EXIT_USAGE;
  }
  if (error instanceof TrustwatchError) {
    write(escapeControls(error.message));
    return EXIT_USAGE;
  }
  if (isSystemError(error)) {
    write(escapeControls(error.message));
    return EXIT_USAGE;
  }
  if (isStoreFileFailure(error)) {
    write(`database error: ${escapeControls((error as Error).message)}`);
    return EXIT_USAGE;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`internal error: ${escapeControlLines(text)}`);
  return EXIT_INTERNAL;
}

/** Tells a failed system call (ENOENT, EACCES, ENOSPC …), whose message names the path. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return error instanceof Error && typeof code === 'string' && typeof syscall === 'string';
}

/**
 * Rewrites a usage error of commander (`error: unknown option '--x'`, then a suggestion line) as
 * the one line that follows `trustwatch: `.
 */
function usageErrorLine(text: string): string {
  const line = text
    .trim()
    .replace(/^error: /, '')
    .split('\n')
    .map((part) => part.trim())
    .join(' ');
  return escapeControls(line);
}
