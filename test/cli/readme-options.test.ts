import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * The README's option reference against the command line: every command `trustwatch --help`
 * lists has a section, every option a section names exists in that command's `--help`, and
 * every option of the `--help` output is in the section.
 */

interface Section {
  command: string;
  options: Set<string>;
}

/** Returns the `### \`trustwatch …\`` sections of the README with the options they name. */
function readmeSections(): Section[] {
  const text = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const sections: Section[] = [];
  let current: Section | undefined;
  for (const line of text.split('\n')) {
    const heading = /^### `trustwatch ([^`]+)`/.exec(line);
    if (heading) {
      const words = (heading[1] as string).split(' ');
      const end = words.findIndex((word) => word.startsWith('[') || word.startsWith('<'));
      const command = (end < 0 ? words : words.slice(0, end)).join(' ');
      current = { command, options: new Set(optionsIn(heading[1] as string)) };
      sections.push(current);
      continue;
    }
    if (line.startsWith('## ') || line.startsWith('### ')) current = undefined;
    const row = /^\| `(--[a-z-]+)/.exec(line);
    if (current && row) current.options.add(row[1] as string);
  }
  return sections;
}

function optionsIn(text: string): string[] {
  return [...text.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0]);
}

/** Returns the options of a command's `--help`, without `--help` itself. */
function helpOptions(command: string): Set<string> {
  const result = runCli([...command.split(' '), '--help']);
  assert.equal(result.status, 0, result.stderr);
  const options = [...result.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map(
    (match) => match[1] as string,
  );
  return new Set(options.filter((option) => option !== '--help'));
}

/** Returns the subcommands a `--help` lists, without `help`. */
function helpCommands(command: string[]): string[] {
  const result = runCli([...command, '--help']);
  const list = result.stdout.split('Commands:\n')[1] ?? '';
  return [...list.matchAll(/^ {2}([a-z]+)/gm)]
    .map((match) => match[1] as string)
    .filter((name) => name !== 'help');
}

describe('README option reference', () => {
  const sections = readmeSections();

  it('has a section per command', () => {
    const documented = new Set(sections.map((section) => section.command));
    for (const name of helpCommands([])) {
      const subcommands = helpCommands([name]);
      const commands = subcommands.length > 0 ? subcommands.map((sub) => `${name} ${sub}`) : [name];
      for (const command of commands) {
        assert.ok(documented.has(command), `README has no section for trustwatch ${command}`);
      }
    }
  });

  for (const section of sections) {
    it(`matches ${section.command} --help`, () => {
      const help = helpOptions(section.command);
      for (const option of section.options) {
        assert.ok(help.has(option), `README names ${option}, which ${section.command} lacks`);
      }
      for (const option of help) {
        assert.ok(section.options.has(option), `README omits ${option} of ${section.command}`);
      }
    });
  }
});
