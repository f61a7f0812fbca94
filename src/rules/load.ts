import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readYamlDocuments, type YamlDocumentView } from '../context/yaml-view.js';
import type { Location, Problem } from '../model/problem.js';
import {
  compileDetection,
  compileFilter,
  type DetectionProblem,
  locateDetectionProblems,
} from './detection.js';
import { applyFilters } from './filters.js';
import { parseRuleDocument } from './parse-rule.js';
import { type Placeholders, placeholderNames } from './placeholders.js';
import type { DetectionRule, FilterRule, Rule } from './rule.js';

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
  /** Rule documents read, loaded or not. */
  documents: number;
  files: number;
}

export interface RejectedDocument {
  file: string;
  location: Location | undefined;
  title: string | undefined;
  errors: Problem[];
}

export interface LoadRulesOptions {
  placeholders: Placeholders;
}

const RULE_EXTENSIONS = new Set(['.yml', '.yaml']);

export async function loadRulePaths(
  paths: readonly string[],
  options: LoadRulesOptions,
): Promise<RuleSet> {
  const texts: { file: string; text: string }[] = [];
  const problems: Problem[] = [];
  for (const path of paths) {
    try {
      for (const file of await listRuleFiles(path))
        texts.push({ file, text: await readFile(file, 'utf8') });
    } catch (error) {
      problems.push({
        code: 'rules.unreadable',
        severity: 'error',
        message: `cannot read rules: ${(error as Error).message}`,
        location: { file: path },
      });
    }
  }
  const set = loadRuleTexts(texts, options);
  set.problems.unshift(...problems);
  return set;
}

async function listRuleFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const files: string[] = [];
  for (const name of (await readdir(path)).sort()) {
    if (name.startsWith('.')) continue;
    const child = join(path, name);
    const childInfo = await stat(child);
    if (childInfo.isDirectory()) files.push(...(await listRuleFiles(child)));
    else if (RULE_EXTENSIONS.has(extname(name).toLowerCase())) files.push(child);
  }
  return files;
}

/** Loads rules from texts already read; `file` names each text in problems. */
export function loadRuleTexts(
  texts: readonly { file: string; text: string }[],
  options: LoadRulesOptions,
): RuleSet {
  const problems: Problem[] = [];
  const rejected: RejectedDocument[] = [];
  const parsed: Rule[] = [];
  const filters: FilterRule[] = [];
  let documents = 0;

  for (const { file, text } of texts) {
    const { documents: views, count, problems: yamlProblems } = readYamlDocuments(file, text);
    problems.push(...yamlProblems);
    const yamlErrors = yamlProblems.filter((problem) => problem.severity === 'error');
    if (yamlErrors.length > 0) {
      documents += Math.max(1, count);
      rejected.push({
        file,
        location: yamlErrors[0]?.location,
        title: undefined,
        errors: yamlErrors,
      });
      continue;
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
  return { rules, filters, problems, rejected, documents, files: texts.length };
}

/** Parses one document and compiles its searches once, to report value problems. */
function loadDocument(
  document: YamlDocumentView,
  options: LoadRulesOptions,
): { rule?: Rule; filter?: FilterRule; problems: Problem[] } {
  const result = parseRuleDocument(document);
  const problems = [...result.problems];
  const env = { placeholders: options.placeholders, mapField: (name: string) => name };
  const located = (found: DetectionProblem[]) =>
    locateDetectionProblems(found, (path, onKey) => document.locate(path, onKey));

  if (result.filter) {
    const found: DetectionProblem[] = [];
    compileFilter(result.filter, env, found);
    if (found.length > 0) return { problems: [...problems, ...located(found)] };
    return { filter: result.filter, problems };
  }
  const rule = result.rule;
  if (!rule) return { problems };
  if (rule.kind !== 'detection') return { rule, problems };

  const found: DetectionProblem[] = [];
  compileDetection(rule, env, found);
  if (found.length > 0) return { problems: [...problems, ...located(found)] };
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

function rejection(document: YamlDocumentView, problems: readonly Problem[]): RejectedDocument {
  const errors = problems.filter((problem) => problem.severity === 'error');
  const value = document.value;
  const title =
    value !== null && typeof value === 'object' ? (value as { title?: unknown }).title : undefined;
  return {
    file: document.file,
    location: errors[0]?.location ?? document.start(),
    title: typeof title === 'string' ? title : undefined,
    errors,
  };
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

  for (const rule of referenced) {
    if (!generating.has(rule)) rule.emits = false;
  }
  return kept.filter((rule) => !failed.has(rule));
}
