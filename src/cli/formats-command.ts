import type { Command } from 'commander';
import { createFormatRegistry } from '../sources/registry.js';
import { standardOutput } from './standard-output.js';

export function registerFormats(program: Command): void {
  program
    .command('formats')
    .description('list the input formats and their names for --format')
    .action(() => {
      const formats = createFormatRegistry().list();
      const width = Math.max(...formats.map((format) => format.name.length));
      const out = standardOutput();
      for (const format of formats)
        out.write(`${format.name.padEnd(width)}  ${format.description}\n`);
    });
}
