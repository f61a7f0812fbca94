import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readYamlDocuments, type YamlDocumentView } from '../context/yaml-view.js';
import { readTextFileSync } from '../input/text.js';
import type { Location, Problem } from '../model/problem.js';
import { keepCompiledAtLoad } from './compiled-at-load.js';
import {
  checkSearches,
  compileDetection,
  compileFilter,
  type DetectionProblem,
  locateDetectionProblems,
} from './detection.js';
import { applyFilters } from './filters.js';
import { parseRuleDocument } from './parse-rule.js';
import { type Placeholders, placeholderNames } from './placeholders.js';
import { referenceCycleProblems } from './reference-cycles.js';
import type { DetectionRule, FilterRule, Rule } from './rule.js';
import type { FieldTestEnv } from './search.js';

/**
 * Loads Sigma rules from files and folders (recursively, `.yml` and `.yaml`), validates them,
 * resolves correlation references, and compiles every detection once to report value problems.
 * A rule with an error is left out and named with the problem; the others load.
 */

export interface RuleSet {
  rules: Rule[];
  /** Sigma filters, already applied to the rules they name. */
  filters: FilterRule[];
  problems: Problem[];
  /** Documents that did not load, each with the errors that left it out. */
  rejected: RejectedDocument[];
  /** Folder entries and documents that were not read as rules, each with the reason. */
  skipped: SkippedEntry[];
  /** Rule documents read, loaded or not. */
  documents: number;
  files: number;
}

/** The kind of a rule document: a Sigma rule, a correlation rule or a Sigma filter. */
export type RuleDocumentKind = 'detection' | 'correlation' | 'filter';

export interface RejectedDocument {
  file: string;
  location: Location | undefined;
  title: string | undefined;
  /** Undefined when the file could not be read or parsed far enough to tell. */
  kind: RuleDocumentKind | undefined;
  errors: Problem[];
}

export interface SkippedEntry {
  path: string;
  reason: string;
}

/** Reasons for skipped entries, as `rules check` counts them. */
export const SKIP_REASONS = {
  extension: 'not a .yml or .yaml file',
  hidden: 'hidden entry (name starts with a dot)',
  special: 'not a regular file or folder',
  empty: 'empty YAML document',
  duplicate: 'already listed under another path',
} as const;

export interface LoadRulesOptions {
  placeholders: Placeholders;
}

const RULE_EXTENSIONS = new Set(['.yml', '.yaml']);

export async function loadRulePaths(
  paths: readonly string[],
  options: LoadRulesOptions,
): Promise<RuleSet> {
  const listing: RuleListing = { files: [], skipped: [], unreadable: [], seen: new Set() };
  for (const path of paths) await listRuleFiles(path, true, listing);

  // A file that cannot be read is one document that did not load; a folder is only a problem.
  const texts: { file: string; text: string }[] = [];
  const reads = readTexts(listing.files);
  for (const [index, file] of listing.files.entries()) {
    const read = reads[index] as { text: string } | { error: Error };
    if ('text' in read) texts.push({ file, text: read.text });
    else listing.unreadable.push({ path: file, reason: read.error.message, isFile: true });
  }

  const set = loadRuleTexts(texts, options);
  const problems = listing.unreadable.map(
    (entry): Problem => ({
      code: 'rules.unreadable',
      severity: 'error',
      message: `cannot read rules: ${entry.reason}`,
      location: { file: entry.path },
    }),
  );
  for (const [index, entry] of listing.unreadable.entries()) {
    if (!entry.isFile) continue;
    set.documents++;
    set.files++;
    const problem = problems[index] as Problem;
    set.rejected.push({
      file: entry.path,
      location: problem.location,
      title: undefined,
      kind: undefined,
      errors: [problem],
    });
  }
  set.problems.unshift(...problems);
  set.skipped.unshift(...listing.skipped);
  return set;
}

/**
 * Reads the files one after another, as UTF-8 or as UTF-16 with a byte order mark, and returns
 * each text or error in the files' order. Blocking reads of the 2,407 SigmaHQ Windows rules took
 * 25 ms against 120 to 140 ms for 32 reads at a time through promises (Node 20, local disk),
 * whose callbacks cost the main thread more than the reads themselves.
 */
function readTexts(files: readonly string[]): ({ text: string } | { error: Error })[] {
  return files.map((file) => {
    try {
      return { text: readTextFileSync(file) };
    } catch (error) {
      return { error: error as Error };
    }
  });
}

interface RuleListing {
  files: string[];
  skipped: SkippedEntry[];
  unreadable: { path: string; reason: string; isFile: boolean }[];
  /** Identities of the listed files and folders (`seenBefore`): one reached twice loads once. */
  seen: Set<string>;
}

/**
 * Adds the rule files of a path to `listing`: the path itself when it is a file, else the
 * `.yml` and `.yaml` files of the folder and its subfolders in name order. Every entry left out
 * is recorded with the reason, and an entry that cannot be read does not stop the others.
 */
async function listRuleFiles(
  path: string,
  given: boolean,
  listing: RuleListing,
  found: Promise<StatResult> = statEntry(path),
): Promise<void> {
  const result = await found;
  let info: Stats;
  if ('info' in result) {
    info = result.info;
  } else {
    const error = result.error;
    // Inside a folder, an entry that cannot be looked at counts as a rule file by its name.
    const named = RULE_EXTENSIONS.has(extname(path).toLowerCase());
    if (given || named) {
      listing.unreadable.push({ path, reason: error.message, isFile: !given });
    } else {
      listing.skipped.push({ path, reason: SKIP_REASONS.extension });
    }
    return;
  }
  if (info.isFile()) {
    // A file named on the command line is read whatever its extension.
    if (!given && !RULE_EXTENSIONS.has(extname(path).toLowerCase())) {
      listing.skipped.push({ path, reason: SKIP_REASONS.extension });
      return;
    }
    // The shipped pack and `--rules rules/` name the same files, and each would clash with itself.
    if (seenBefore(info, listing.seen)) {
      listing.skipped.push({ path, reason: SKIP_REASONS.duplicate });
      return;
    }
    listing.files.push(path);
    return;
  }
  if (!info.isDirectory()) {
    listing.skipped.push({ path, reason: SKIP_REASONS.special });
    return;
  }

  // A folder reached again through a link is not walked again. A link to a parent folder would
  // otherwise make the walk branch at every level until the system's limit on links.
  if (seenBefore(info, listing.seen)) {
    listing.skipped.push({ path, reason: SKIP_REASONS.duplicate });
    return;
  }

  let names: string[];
  try {
    names = (await readdir(path)).sort();
  } catch (error) {
    listing.unreadable.push({ path, reason: (error as Error).message, isFile: false });
    return;
  }
  // The entries are looked at in parallel and listed in name order.
  const entries = names.map((name) =>
    name.startsWith('.') ? undefined : statEntry(join(path, name)),
  );
  for (const [index, name] of names.entries()) {
    const child = join(path, name);
    const entry = entries[index];
    if (entry === undefined) listing.skipped.push({ path: child, reason: SKIP_REASONS.hidden });
    else await listRuleFiles(child, false, listing, entry);
  }
}

/**
 * Tells whether a file or folder with the same device and inode was listed before, and
 * remembers this one. Inodes can exceed what a number represents exactly (Node offers `bigint`
 * stats for that), and some file systems may give every entry inode 0. So a file's size and
 * modification time are part of its identity, and inode 0 identifies nothing.
 */
function seenBefore(info: Stats, seen: Set<string>): boolean {
  if (info.ino === 0) return false;
  const identity = info.isFile()
    ? `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`
    : `${info.dev}:${info.ino}`;
  if (seen.has(identity)) return true;
  seen.add(identity);
  return false;
}

type StatResult = { info: Stats } | { error: Error };

async function statEntry(path: string): Promise<StatResult> {
  try {
    return { info: await stat(path) };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Loads rules from texts already read; `file` names each text in problems. */
export function loadRuleTexts(
  texts: readonly { file: string; text: string }[],
  options: LoadRulesOptions,
): RuleSet {
  const problems: Problem[] = [];
  const rejected: RejectedDocument[] = [];
  const skipped: SkippedEntry[] = [];
  const parsed: Rule[] = [];
  const filters: FilterRule[] = [];
  let documents = 0;

  for (const { file, text } of texts) {
    const read = readYamlDocuments(file, text);
    const { documents: views, broken, empty, problems: yamlProblems } = read;
    problems.push(...yamlProblems);
    const yamlErrors = yamlProblems.filter((problem) => problem.severity === 'error');
    if (yamlErrors.length > 0) {
      // The documents with errors fail as one entry; the file's other documents still load.
      documents += Math.max(1, broken);
      rejected.push({
        file,
        location: yamlErrors[0]?.location,
        title: undefined,
        kind: undefined,
        errors: yamlErrors,
      });
    }

    for (const where of empty) {
      skipped.push({ path: `${file}:${where.line}`, reason: SKIP_REASONS.empty });
    }
    for (const view of views) {
      documents++;
      const loaded = loadDocument(view, options);
      problems.push(...loaded.problems);
      if (loaded.rule) parsed.push(loaded.rule);
      else if (loaded.filter) filters.push(loaded.filter);
      else rejected.push(rejection(view, loaded.problems));
    }
  }

  const rules = resolveReferences(parsed, problems, rejected);
  problems.push(...applyFilters(filters, rules));
  return { rules, filters, problems, rejected, skipped, documents, files: texts.length };
}

/** Parses one document and compiles its searches once, to report value problems. */
function loadDocument(
  document: YamlDocumentView,
  options: LoadRulesOptions,
): { rule?: Rule; filter?: FilterRule; problems: Problem[] } {
  const result = parseRuleDocument(document);
  const problems = [...result.problems];
  const fields = new Set<string>();
  let unguarded = false;
  const env: FieldTestEnv = {
    placeholders: options.placeholders,
    mapField: (name) => {
      fields.add(name);
      return name;
    },
    onUnguarded: () => {
      unguarded = true;
    },
  };
  const located = (found: DetectionProblem[]) =>
    locateDetectionProblems(found, (path, onKey) => document.locate(path, onKey));

  if (result.filter) {
    const found: DetectionProblem[] = [];
    compileFilter(result.filter, env, found);
    if (found.length > 0) return { problems: [...problems, ...located(found)] };
    return { filter: result.filter, problems };
  }
  const rule = result.rule;
  if (!rule) {
    if (!result.searches) return { problems };
    const found: DetectionProblem[] = [];
    checkSearches(result.searches, env, found);
    return { problems: byPosition([...problems, ...located(found)]) };
  }
  if (rule.kind !== 'detection') return { rule, problems };

  const found: DetectionProblem[] = [];
  const compiled = compileDetection(rule, env, found);
  if (found.length > 0) return { problems: [...problems, ...located(found)] };
  if (compiled && !unguarded) keepCompiledAtLoad(rule, compiled, options.placeholders, fields);
  for (const use of unresolvedPlaceholders(rule, options.placeholders)) {
    problems.push({
      code: 'rule.placeholder_unresolved',
      severity: 'warning',
      message: `placeholder %${use.name}% has no value in settings.placeholders; it is handled as ${options.placeholders.unresolved}`,
      ...document.locate(use.path),
    });
  }
  return { rule, problems };
}

/** Orders one document's problems by line and column, so that they read top to bottom. */
function byPosition(problems: Problem[]): Problem[] {
  const line = (problem: Problem) => problem.location?.line ?? 0;
  const column = (problem: Problem) => problem.location?.column ?? 0;
  return problems.sort((a, b) => line(a) - line(b) || column(a) - column(b));
}

function rejection(document: YamlDocumentView, problems: readonly Problem[]): RejectedDocument {
  const errors = problems.filter((problem) => problem.severity === 'error');
  const value = document.value;
  const title =
    value !== null && typeof value === 'object' ? (value as { title?: unknown }).title : undefined;
  return {
    file: document.file,
    location: errors[0]?.location ?? document.start(),
    title: typeof title === 'string' ? title : undefined,
    kind: documentKind(document),
    errors,
  };
}

/** Returns the kind a document that did not load was meant to be, from its top-level keys. */
function documentKind(document: YamlDocumentView): RuleDocumentKind | undefined {
  const value = document.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if ('correlation' in value) return 'correlation';
  if ('filter' in value) return 'filter';
  return 'detection';
}

/** Placeholders of a rule's `|expand` values that have no values, with their document paths. */
export function unresolvedPlaceholders(
  rule: DetectionRule,
  placeholders: Placeholders,
): { name: string; path: (string | number)[] }[] {
  const found: { name: string; path: (string | number)[] }[] = [];
  const visitMap = (map: unknown, path: (string | number)[]): void => {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return;
    for (const [key, value] of Object.entries(map)) {
      if (!key.split('|').includes('expand')) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item !== 'string') continue;
        for (const name of placeholderNames(item)) {
          if (placeholders.values(name) === undefined) found.push({ name, path: [...path, key] });
        }
      }
    }
  };
  for (const search of rule.searches) {
    if (!Array.isArray(search.value)) {
      visitMap(search.value, search.path);
      continue;
    }
    search.value.forEach((item, index) => {
      visitMap(item, [...search.path, index]);
    });
  }
  return found;
}

/**
 * Checks ids, links correlations to the rules they name (by id or name), and marks rules used
 * only by correlations as not generating alerts of their own.
 */
function resolveReferences(
  rules: Rule[],
  problems: Problem[],
  rejected: RejectedDocument[],
): Rule[] {
  const rejectedByRule = new Map<Rule, RejectedDocument>();
  const reject = (rule: Rule, problem: Problem): void => {
    problems.push(problem);
    const entry = rejectedByRule.get(rule);
    if (entry) {
      entry.errors.push(problem);
      return;
    }
    const created = {
      file: rule.meta.file,
      location: rule.meta.location,
      title: rule.meta.title,
      kind: rule.kind,
      errors: [problem],
    };
    rejectedByRule.set(rule, created);
    rejected.push(created);
  };
  const byId = new Map<string, Rule>();
  const kept: Rule[] = [];
  for (const rule of rules) {
    const existing = byId.get(rule.meta.id);
    if (existing) {
      reject(rule, {
        code: 'rules.duplicate_id',
        severity: 'error',
        message: `rule id ${rule.meta.id} is already used by ${existing.meta.file}; this rule is not loaded`,
        location: rule.meta.location,
      });
      continue;
    }
    byId.set(rule.meta.id, rule);
    kept.push(rule);
  }

  const byName = new Map<string, Rule>();
  for (const rule of kept) if (rule.meta.name) byName.set(rule.meta.name, rule);

  const referenced = new Set<Rule>();
  const generating = new Set<Rule>();
  const failed = new Set<Rule>();
  for (const rule of kept) {
    if (rule.kind !== 'correlation') continue;
    for (const reference of rule.rules) {
      const target = byId.get(reference) ?? byName.get(reference);
      if (!target) {
        reject(rule, {
          code: 'correlation.unknown_rule',
          severity: 'error',
          message: `correlation "${rule.meta.title}" refers to rule "${reference}", which is not loaded`,
          location: rule.meta.location,
        });
        failed.add(rule);
        continue;
      }
      if (rule.type === 'chain' && target.kind !== 'detection') {
        reject(rule, {
          code: 'correlation.chain_of_correlation',
          severity: 'error',
          message: `chain "${rule.meta.title}" step rule "${reference}" must be a detection rule`,
          location: rule.meta.location,
        });
        failed.add(rule);
      }
      referenced.add(target);
      if (rule.generate) generating.add(target);
    }
  }

  const resolve = (reference: string) => byId.get(reference) ?? byName.get(reference);
  for (const { rule, problem } of referenceCycleProblems(kept, resolve)) {
    reject(rule, problem);
    failed.add(rule);
  }

  for (const rule of referenced) {
    if (!generating.has(rule)) rule.emits = false;
  }
  return kept.filter((rule) => !failed.has(rule));
}
