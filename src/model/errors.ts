import { countOf, formatLocation, formatProblem, type Location, type Problem } from './problem.js';

/** Root of every error trustwatch raises on purpose. */
export class TrustwatchError extends Error {
  readonly code: string;
  readonly location: Location | undefined;
  readonly snippet: string | undefined;

  constructor(code: string, message: string, location?: Location, snippet?: string) {
    const where = formatLocation(location);
    super(where ? `${where}: ${message}` : message);
    this.name = new.target.name;
    this.code = code;
    this.location = location;
    this.snippet = snippet;
  }
}

/** Invalid command-line use: exit status 2. */
export class UsageError extends TrustwatchError {
  constructor(message: string) {
    super('usage', message);
  }
}

/**
 * A file, folder or database that a command needs and cannot open, read or write: a missing
 * folder for `--db` or `--report`, a read-only or damaged database. Exit status 2.
 */
export class EnvironmentError extends TrustwatchError {}

/** An input file or stream that cannot be read at all (not a bad record, which is counted). */
export class InputError extends TrustwatchError {}

/** A record that a source cannot turn into an Event; carries the reason as its code. */
export class RecordError extends TrustwatchError {}

/** A configuration or rule set with problems; carries all of them. */
export class ProblemsError extends TrustwatchError {
  readonly problems: readonly Problem[];

  constructor(code: string, summary: string, problems: readonly Problem[]) {
    super(code, `${summary}\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }
}

export class ConfigError extends ProblemsError {
  constructor(problems: readonly Problem[]) {
    super(
      'config.invalid',
      `invalid context file (${countOf(problems.length, 'problem')})`,
      problems,
    );
  }
}

export class RuleSetError extends ProblemsError {
  constructor(problems: readonly Problem[]) {
    super('rules.invalid', `invalid rules (${countOf(problems.length, 'problem')})`, problems);
  }
}
