import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TrustContext } from '../context/context.js';
import { emptyContext, loadContextFile } from '../context/load.js';
import { UsageError } from '../model/errors.js';
import { formatProblem, type Problem } from '../model/problem.js';
import { escapeControls } from '../model/terminal-text.js';
import { loadRulePaths, type RuleSet } from '../rules/load.js';
import {
  placeholderLookup,
  UNRESOLVED_PLACEHOLDER_MODES,
  type UnresolvedPlaceholders,
} from '../rules/placeholders.js';

/** Helpers shared by the commands. */

/** The shipped rule pack, `rules/` at the package root. */
export const DEFAULT_RULES_PATH = fileURLToPath(new URL('../../rules/', import.meta.url));

export const DEFAULT_CONTEXT_FILE = 'trustwatch.yaml';

/** Loads `--context`, or `trustwatch.yaml` in the current folder when there is one. */
export async function loadContextOption(path: string | undefined): Promise<TrustContext> {
  if (path !== undefined) return loadContextFile(path);
  if (existsSync(DEFAULT_CONTEXT_FILE)) return loadContextFile(DEFAULT_CONTEXT_FILE);
  return emptyContext();
}

export async function loadRulesOption(
  extra: readonly string[],
  includeDefault: boolean,
  context: TrustContext,
): Promise<RuleSet> {
  const paths = [...(includeDefault ? [DEFAULT_RULES_PATH] : []), ...extra];
  return loadRulePaths(paths, {
    placeholders: placeholderLookup(
      context.settings.placeholders,
      context.settings.unresolved_placeholders,
    ),
  });
}

/** Applies `--unresolved-placeholders` over the context's setting. */
export function applyPlaceholderOption(context: TrustContext, mode: string | undefined): void {
  if (mode === undefined) return;
  if (!(UNRESOLVED_PLACEHOLDER_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(
      `--unresolved-placeholders must be ${UNRESOLVED_PLACEHOLDER_MODES.join(', ')}, not "${mode}"`,
    );
  }
  context.settings.unresolved_placeholders = mode as UnresolvedPlaceholders;
}

export const UNRESOLVED_PLACEHOLDERS_HELP =
  'what a |expand placeholder without a value in settings.placeholders becomes: reject (the rule is not loaded; default), wildcard (matches any text) or empty (the value matches nothing)';

/**
 * Returns a writer of single lines of human output to a stream. Control characters in a line
 * are shown as escapes, so a value from a log or rule file cannot reach the terminal raw.
 */
export function lineWriter(stream: NodeJS.WritableStream): (line: string) => void {
  return (line) => {
    stream.write(`${escapeControls(line)}\n`);
  };
}

/** Writes each problem as its lines: the head, then the snippet when it has one. */
export function printProblems(problems: readonly Problem[], write: (line: string) => void): void {
  for (const problem of problems) {
    for (const line of formatProblem(problem).split('\n')) write(line);
  }
}

/** Exit statuses of every command. */
export const EXIT_OK = 0;
export const EXIT_ALERTS = 1;
export const EXIT_USAGE = 2;
