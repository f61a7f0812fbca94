import { readdirSync, type Stats, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { PlainValueCache, YamlDocumentView } from '../context/yaml-view.js';
import { readTextFileSync } from '../input/text.js';
import type { LogSource } from '../model/event.js';
import type { Location, Problem } from '../model/problem.js';
import { documentKeys, type FactsCache } from './compile-facts-cache.js';
import { keepCompiledAtLoad, keepFactsAtLoad, keepSearchesAtLoad } from './compiled-at-load.js';
import {
  checkSearches,
  compileDetection,
  compileFilter,
  type DetectionProblem,
  locateDetectionProblems,
} from './detection.js';
import { fieldNameWarnings, testedEventIds } from './field-names.js';
import { applyFilters } from './filters.js';
import { type KnownFields, knownFields } from './logsources/field-lists.js';
import { type LogSourceMapping, mappingsForRule } from './logsources/mapping.js';
import { buildMappingTable } from './logsources/registry.js';
import { parseRuleDocument } from './parse-rule.js';
import { type Placeholders, placeholderNames } from './placeholders.js';
import { type LoadedDocument, resolveReferences } from './resolve-references.js';
import type { DetectionRule, FilterRule, Rule, SearchDefinition } from './rule.js';
import { readRuleDocuments } from './rule-documents.js';
import { referenceSites } from './rule-references.js';
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
  /** The `id` and `name` the document gives itself, when it has them. */
  id: string | undefined;
  name: string | undefined;
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
  noDocument: 'no YAML document (an empty file, or only comments)',
  duplicate: 'already listed under another path',
} as const;

export interface LoadRulesOptions {
  placeholders: Placeholders;
  /** Log source mappings beside the built-in ones (`settings.logsources`). */
  logsources?: readonly LogSourceMapping[];
  /**
   * False skips the costly checks that only give warnings (regular expressions that may
   * backtrack, misspelled field names), for commands that report rule errors only. A scan with
   * the SigmaHQ Windows rules spent about 0.35 s of CPU time on them (Node.js 20). Default true.
   */
  warnings?: boolean;
  /** Values of rule texts parsed before, which are not parsed again (parsed-rule-cache.ts). */
  parsed?: PlainValueCache;
  /** Facts of rules compiled before, which compile when first run (compile-facts-cache.ts). */
  facts?: FactsCache;
}

const RULE_EXTENSIONS = new Set(['.yml', '.yaml']);

export async function loadRulePaths(
  paths: readonly string[],
  options: LoadRulesOptions,
): Promise<RuleSet> {
  const listing: RuleListing = { files: [], skipped: [], unreadable: [], seen: new Set() };
  for (const path of paths) listRuleFiles(path, true, listing);

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
      id: undefined,
      name: undefined,
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
 *
 * The calls block, as in `readTexts`. A walk of the SigmaHQ Windows rules folder with blocking
 * calls took 40 to 60 ms of CPU time, and with its 2,400 `stat` calls through promises 100 to
 * 120 ms (Node 20, local disk).
 */
function listRuleFiles(path: string, given: boolean, listing: RuleListing): void {
  const result = statEntry(path);
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
    names = readdirSync(path).sort();
  } catch (error) {
    listing.unreadable.push({ path, reason: (error as Error).message, isFile: false });
    return;
  }
  for (const name of names) {
    const child = join(path, name);
    if (name.startsWith('.')) listing.skipped.push({ path: child, reason: SKIP_REASONS.hidden });
    else listRuleFiles(child, false, listing);
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

function statEntry(path: string): StatResult {
  try {
    return { info: statSync(path) };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Loads rules from texts already read; `file` names each text in problems. */
export function loadRuleTexts(
  texts: readonly { file: string; text: string }[],
  options: LoadRulesOptions,
): RuleSet {
  // Problems are grouped per file and per document, and each group is sorted by position, so
  // that the problems of a document read top to bottom.
  const groups: Problem[][] = [];
  const rejected: RejectedDocument[] = [];
  const skipped: SkippedEntry[] = [];
  const loaded: LoadedDocument[] = [];
  const fields = fieldsByLogSource(options.logsources);
  let documents = 0;

  for (const { file, text } of texts) {
    const read = readRuleDocuments(file, text, options.parsed);
    const { documents: views, broken, empty, problems: yamlProblems } = read;
    groups.push(yamlProblems);
    const yamlErrors = yamlProblems.filter((problem) => problem.severity === 'error');
    if (yamlErrors.length > 0) {
      // The documents with errors fail as one entry; the file's other documents still load.
      documents += Math.max(1, broken);
      rejected.push({
        file,
        location: yamlErrors[0]?.location,
        title: undefined,
        kind: undefined,
        id: undefined,
        name: undefined,
        errors: yamlErrors,
      });
    }

    const emptyViews = views.filter((view) => view.value === null || view.value === undefined);
    for (const where of [...empty, ...emptyViews.map((view) => view.start())]) {
      skipped.push({ path: `${file}:${where.line}`, reason: SKIP_REASONS.empty });
    }
    const contentViews = views.filter((view) => !emptyViews.includes(view));
    if (contentViews.length === 0 && empty.length === 0 && emptyViews.length === 0) {
      if (yamlErrors.length === 0) skipped.push({ path: file, reason: SKIP_REASONS.noDocument });
    }
    // A text with YAML errors is left out: which documents it gives may change with the parser.
    const keys = options.facts && yamlErrors.length === 0 ? documentKeys(text) : undefined;
    for (const view of contentViews) {
      documents++;
      const entry = loadDocument(view, options, fields, keys?.(views.indexOf(view)));
      groups.push(entry.problems);
      loaded.push(entry);
      if (!entry.rule && !entry.filter) {
        entry.rejected = rejection(entry);
        rejected.push(entry.rejected);
      }
    }
  }

  const rules = resolveReferences(loaded, rejected);
  const filters = loaded.flatMap((entry) => (entry.filter ? [entry.filter] : []));
  const filterDocuments = new Map(
    loaded.flatMap((entry) => (entry.filter ? [[entry.filter, entry] as const] : [])),
  );
  const locate = (filter: FilterRule, reference: string) =>
    filterDocuments.get(filter)?.references.find((site) => site.reference === reference);
  for (const { filter, problem } of applyFilters(filters, rules, locate)) {
    filterDocuments.get(filter)?.problems.push(problem);
  }

  for (const entry of rejected) {
    byPosition(entry.errors);
    entry.location = entry.errors[0]?.location ?? entry.location;
  }
  const problems = groups.flatMap((group) => byPosition(group));
  return { rules, filters, problems, rejected, skipped, documents, files: texts.length };
}

type FieldsOf = (
  logsource: LogSource,
  searches: readonly SearchDefinition[],
) => KnownFields | undefined;

/** Returns the known fields of a log source, looked up once per log source and event ids. */
function fieldsByLogSource(extra: readonly LogSourceMapping[] | undefined): FieldsOf {
  const table = buildMappingTable(extra);
  const found = new Map<string, KnownFields | undefined>();
  return (logsource, searches) => {
    const source = JSON.stringify([logsource.product, logsource.service, logsource.category]);
    const ids = testedEventIds(searches);
    const key = `${source}${JSON.stringify(ids)}`;
    if (!found.has(key)) {
      found.set(key, knownFields(logsource, mappingsForRule(logsource, table), ids));
    }
    return found.get(key);
  };
}

/** Parses one document and compiles its searches once, to report value problems. */
function loadDocument(
  document: YamlDocumentView,
  options: LoadRulesOptions,
  fields: FieldsOf,
  factsKey: string | undefined,
): LoadedDocument {
  const raw = isMap(document.value) ? document.value : {};
  const entry: LoadedDocument = {
    file: document.file,
    start: document.start(),
    title: typeof raw.title === 'string' ? raw.title : undefined,
    kind: documentKind(document),
    id: typeof raw.id === 'string' ? raw.id.trim() : undefined,
    name: typeof raw.name === 'string' ? raw.name : undefined,
    problems: [],
    references: referenceSites(document),
    chain: isMap(raw.correlation) && raw.correlation.type === 'chain',
  };
  const compiled = compileDocument(document, options, fields, factsKey);
  entry.problems = compiled.problems;
  if (compiled.rule) entry.rule = compiled.rule;
  if (compiled.filter) entry.filter = compiled.filter;
  return entry;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses one document and compiles its searches, for value problems and the rule index. A
 * detection whose facts `options.facts` has under `factsKey` is not compiled: it compiled
 * without problems before, and the detector compiles it when first run.
 */
function compileDocument(
  document: YamlDocumentView,
  options: LoadRulesOptions,
  fieldsOf: FieldsOf,
  factsKey: string | undefined,
): { rule?: Rule; filter?: FilterRule; problems: Problem[] } {
  const warnings = options.warnings !== false;
  const result = parseRuleDocument(document, warnings);
  const problems = [...result.problems];

  const detection = result.rule?.kind === 'detection' ? result.rule : result.filter;
  const searches = detection?.searches ?? result.searches;
  const logsource = detection?.logsource ?? result.logsource;
  const known = warnings && logsource && searches && fieldsOf(logsource, searches);
  if (searches && logsource && known) {
    const locate = (path: (string | number)[], onKey: boolean) => document.locate(path, onKey);
    problems.push(...fieldNameWarnings(searches, logsource, known, locate));
  }

  const { env, fields, unguarded } = recordingEnv(options.placeholders);
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
    return { problems: [...problems, ...located(found)] };
  }
  if (rule.kind !== 'detection') return { rule, problems };

  // Facts that placeholders decide would be those of the settings of an earlier run.
  const cacheKey = placeholderUses(rule).length === 0 ? factsKey : undefined;
  const cached = cacheKey === undefined ? undefined : options.facts?.get(cacheKey);
  if (cached) {
    keepFactsAtLoad(rule, cached, options.placeholders);
    return { rule, problems };
  }

  const found: DetectionProblem[] = [];
  const compiled = compileDetection(rule, env, found, keepSearchesAtLoad(options.placeholders));
  if (found.length > 0) return { problems: [...problems, ...located(found)] };
  if (compiled && !unguarded()) {
    keepCompiledAtLoad(rule, compiled, options.placeholders, fields);
    const { requires, equalities, reads } = compiled;
    if (cacheKey)
      options.facts?.set(cacheKey, { requires, equalities, reads, fields: [...fields] });
  }
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

/**
 * Returns the compile environment of loading, which records the fields that a compile reads and
 * whether an expression compiled without a time budget. Compiled matchers can keep their
 * environment and with it every variable of the scope that made it. So it is made here, apart
 * from the document: made beside it, it kept a third of the SigmaHQ rule documents in memory.
 */
function recordingEnv(placeholders: Placeholders): {
  env: FieldTestEnv;
  fields: Set<string>;
  unguarded: () => boolean;
} {
  const fields = new Set<string>();
  let unguarded = false;
  const env: FieldTestEnv = {
    placeholders,
    mapField: (name) => {
      fields.add(name);
      return name;
    },
    onUnguarded: () => {
      unguarded = true;
    },
  };
  return { env, fields, unguarded: () => unguarded };
}

/** Orders one document's problems by line and column, so that they read top to bottom. */
function byPosition(problems: Problem[]): Problem[] {
  const line = (problem: Problem) => problem.location?.line ?? 0;
  const column = (problem: Problem) => problem.location?.column ?? 0;
  return problems.sort((a, b) => line(a) - line(b) || column(a) - column(b));
}

function rejection(entry: LoadedDocument): RejectedDocument {
  const errors = entry.problems.filter((problem) => problem.severity === 'error');
  return {
    file: entry.file,
    location: errors[0]?.location ?? entry.start,
    title: entry.title,
    kind: entry.kind,
    id: entry.id,
    name: entry.name,
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
  return placeholderUses(rule).filter((use) => placeholders.values(use.name) === undefined);
}

/** Placeholders of a rule's `|expand` values, with their document paths. */
function placeholderUses(rule: DetectionRule): { name: string; path: (string | number)[] }[] {
  const found: { name: string; path: (string | number)[] }[] = [];
  const visitMap = (map: unknown, path: (string | number)[]): void => {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return;
    for (const [key, value] of Object.entries(map)) {
      if (!key.includes('expand') || !key.split('|').includes('expand')) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item !== 'string') continue;
        for (const name of placeholderNames(item)) found.push({ name, path: [...path, key] });
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
