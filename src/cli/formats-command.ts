import type { Command } from 'commander';
import { createFormatRegistry } from '../sources/registry.js';

export function registerFormats(program: Command): void {
  program
    .command('formats')
    .description('list the input formats and their names for --format')
    .action(() => {
      const formats = createFormatRegistry().list();
      const width = Math.max(...formats.map((format) => format.name.length));
      for (const format of formats)
        process.stdout.write(`${format.name.padEnd(width)}  ${format.description}\n`);
    });
}
