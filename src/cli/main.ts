import { Command, CommanderError } from 'commander';
import { ProblemsError, TrustwatchError } from '../model/errors.js';
import { escapeControlLines, escapeControls } from '../model/terminal-text.js';
import { registerBaseline } from './baseline-command.js';
import { EXIT_USAGE } from './common.js';
import { registerEval } from './eval-command.js';
import { registerExplain } from './explain-command.js';
import { registerFormats } from './formats-command.js';
import { registerRules } from './rules-command.js';
import { registerScan } from './scan-command.js';

/** The `trustwatch` command line. Only this folder writes to the terminal. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command();
  program
    .name('trustwatch')
    .description(
      'Detects the abuse of trusted third-party access in native logs, with Sigma rules and chains',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(escapeControlLines(text)) });
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
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? 0
        : EXIT_USAGE;
    }
    if (error instanceof ProblemsError) {
      // The problems were formatted with their values escaped; the breaks between them stay.
      process.stderr.write(`trustwatch: ${escapeControlLines(error.message)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof TrustwatchError) {
      process.stderr.write(`trustwatch: ${escapeControls(error.message)}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
