import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { locate, locateKey, parseYaml } from '../context/yaml-doc.js';
import type { Problem } from '../model/problem.js';
import { compileDetection, type DetectionProblem, locateDetectionProblems } from './detection.js';
import { parseRuleDocument } from './parse-rule.js';
import type { Rule } from './rule.js';
import type { PlaceholderLookup } from './transforms.js';

/**
 * Loads Sigma rules from files and folders (recursively, `.yml` and `.yaml`), validates them,
 * resolves correlation references, and compiles every detection once to report value problems.
 * A rule with an error is left out and named with the problem; the others load.
 */

export interface RuleSet {
  rules: Rule[];
  problems: Problem[];
  /** Rule documents read, loaded or not. */
  documents: number;
  files: number;
}

export interface LoadRulesOptions {
  placeholders: PlaceholderLookup;
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
  const parsed: Rule[] = [];
  let documents = 0;

  for (const { file, text } of texts) {
    const { source, problems: yamlProblems } = parseYaml(file, text);
    problems.push(...yamlProblems);
    if (yamlProblems.some((problem) => problem.severity === 'error')) continue;

    source.documents.forEach((document, index) => {
      if (document.contents === null) return;
      documents++;
      const result = parseRuleDocument(source, document, index);
      problems.push(...result.problems);
      if (!result.rule) return;
      if (result.rule.kind === 'detection') {
        const detectionProblems: DetectionProblem[] = [];
        compileDetection(
          result.rule,
          { placeholders: options.placeholders, mapField: (name) => name },
          detectionProblems,
        );
        if (detectionProblems.length > 0) {
          problems.push(
            ...locateDetectionProblems(detectionProblems, (path, onKey) =>
              onKey ? locateKey(source, document, path) : locate(source, document, path),
            ),
          );
          return;
        }
      }
      parsed.push(result.rule);
    });
  }

  const rules = resolveReferences(parsed, problems);
  return { rules, problems, documents, files: texts.length };
}

/**
 * Checks ids, links correlations to the rules they name (by id or name), and marks rules used
 * only by correlations as not generating alerts of their own.
 */
function resolveReferences(rules: Rule[], problems: Problem[]): Rule[] {
  const byId = new Map<string, Rule>();
  const kept: Rule[] = [];
  for (const rule of rules) {
    const existing = byId.get(rule.meta.id);
    if (existing) {
      problems.push({
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
        problems.push({
          code: 'correlation.unknown_rule',
          severity: 'error',
          message: `correlation "${rule.meta.title}" refers to rule "${reference}", which is not loaded`,
          location: rule.meta.location,
        });
        failed.add(rule);
        continue;
      }
      if (rule.type === 'chain' && target.kind !== 'detection') {
        problems.push({
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
