import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrustContext } from '../context/context.js';
import {
  type ChainSettingsSource,
  ContextError,
  emptyContext,
  loadContextFile,
  sortByLine,
} from '../context/load.js';
import { ConfigError, EnvironmentError, UsageError } from '../model/errors.js';
import { formatProblem, type Problem } from '../model/problem.js';
import { escapeControls } from '../model/terminal-text.js';
import { checkChainSettings } from '../rules/chain-settings.js';
import { CompileFactsCache } from '../rules/compile-facts-cache.js';
import { loadRulePaths, type RuleSet } from '../rules/load.js';
import { cacheDirectory, ParsedRuleCache } from '../rules/parsed-rule-cache.js';
import {
  placeholderLookup,
  UNRESOLVED_PLACEHOLDER_MODES,
  type UnresolvedPlaceholders,
} from '../rules/placeholders.js';
import type { Rule } from '../rules/rule.js';
import { PRODUCT_VERSION } from '../sinks/output.js';
import { BUILD_ID } from './build-id.js';

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

/**
 * Loads the context like `loadContextOption`. When the file is invalid, the keys of its
 * `settings.chains` are checked against the rules as well, so that one run reports every problem
 * of the file. A context that fails its schema has no placeholder values, so the rules are loaded
 * with unresolved placeholders as wildcards for that check.
 */
export async function loadContextForRules(
  path: string | undefined,
  extra: readonly string[],
  includeDefault: boolean,
): Promise<TrustContext> {
  try {
    return await loadContextOption(path);
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    if (Object.keys(error.chains.chains).length === 0) throw error;
    const fallback = emptyContext();
    fallback.settings.unresolved_placeholders = 'wildcard';
    const { rules } = await loadRulesOption(extra, includeDefault, fallback);
    const chainProblems = await chainSettingProblems(error.chains, rules);
    if (chainProblems.length === 0) throw error;
    throw new ConfigError(sortByLine([...error.problems, ...chainProblems]));
  }
}

/**
 * Checks before any work that an output file option such as `--report` can be written: an
 * existing file must be writable, and a new one needs an existing, writable folder.
 */
export function checkOutputFile(option: string, path: string): void {
  const fail = (reason: string) =>
    new EnvironmentError('output.unwritable', `${option} ${path}: ${reason}`);
  const existing = statOrUndefined(path);
  if (existing?.isDirectory()) throw fail('is a folder, not a file');
  const folder = dirname(resolve(path));
  if (!existing) {
    const parent = statOrUndefined(folder);
    if (!parent) throw fail(`the folder ${folder} does not exist`);
    if (!parent.isDirectory()) throw fail(`${folder} is not a folder`);
  }
  try {
    accessSync(existing ? path : folder, constants.W_OK);
  } catch (error) {
    throw fail(`not writable: ${(error as Error).message}`);
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Loads the shipped pack and the `--rules` paths. A `--rules` path that does not exist is a
 * usage error, like a missing input; problems inside the rule files are collected in the set.
 */
export async function loadRulesOption(
  extra: readonly string[],
  includeDefault: boolean,
  context: TrustContext,
  warnings = true,
): Promise<RuleSet> {
  for (const path of extra) {
    if (!existsSync(path)) throw new UsageError(`rules path not found: ${path}`);
  }
  const paths = [...(includeDefault ? [DEFAULT_RULES_PATH] : []), ...extra];
  const directory = cacheDirectory(process.env, process.platform, homedir());
  const parsed = ParsedRuleCache.open(directory, PRODUCT_VERSION);
  const facts = CompileFactsCache.open(directory, PRODUCT_VERSION, BUILD_ID);
  const set = await loadRulePaths(paths, {
    placeholders: placeholderLookup(
      context.settings.placeholders,
      context.settings.unresolved_placeholders,
    ),
    logsources: context.settings.logsources,
    warnings,
    parsed,
    facts,
  });
  parsed.save();
  facts?.save();
  return set;
}

/**
 * Returns the problems of `settings.chains` against the loaded rules and, for keys that name
 * none of them, against the chains of the shipped pack.
 */
export async function chainSettingProblems(
  context: TrustContext | ChainSettingsSource,
  rules: readonly Rule[],
): Promise<Problem[]> {
  const source =
    'settings' in context
      ? { file: context.file, locate: context.locate, chains: context.settings.chains }
      : context;
  return checkChainSettings(source, rules, async () => {
    // Only the chains' names and steps are read, so no placeholder keeps a chain out.
    const values = 'settings' in context ? context.settings.placeholders : {};
    const placeholders = placeholderLookup(values, 'wildcard');
    return (await loadRulePaths([DEFAULT_RULES_PATH], { placeholders })).rules;
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
/**
 * Parses an option whose value is a name from a fixed set, such as a format, an output or a log
 * level. Every such name is lower case, so `--format EVTX` reads as `--format evtx`.
 */
export function lowerCaseName(value: string): string {
  return value.toLowerCase();
}

export function lineWriter(stream: { write(text: string): unknown }): (line: string) => void {
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

/** Exit statuses of every command; README.md lists them. */
export const EXIT_OK = 0;
/** Alerts under `--fail-on-alert`, or `eval` cases that differ from their labels. */
export const EXIT_ALERTS = 1;
/** Invalid command line, context or rules, or a file, folder or database that cannot be used. */
export const EXIT_USAGE = 2;
/** A fault of trustwatch itself; the message carries the stack. */
export const EXIT_INTERNAL = 3;
