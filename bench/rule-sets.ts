/**
 * Rule folders for the benchmark rows, written to the scratch folder. They are a rule that no
 * Windows event reaches (the CLI needs at least one rule), evenly spread samples of the SigmaHQ
 * rules, and copies of the rule files that the DuckDB translation covers.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { FilterRule, Rule } from '../src/rules/rule.js';
import type { Translation } from './sigma-sql/translate.js';

/** `.yml` and `.yaml` files under `folder`, sorted by path. */
export function listRuleFiles(folder: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) files.push(...listRuleFiles(path));
    else if (['.yml', '.yaml'].includes(extname(name).toLowerCase())) files.push(path);
  }
  return files;
}

/** `count` files spread evenly over the sorted list: indexes ⌊i × total / count⌋. */
export function sampleEvenly<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  return Array.from({ length: count }, (_, index) => {
    return items[Math.floor((index * items.length) / count)] as T;
  });
}

/** Copies files into an emptied `folder`, each prefixed by its index so that names stay unique. */
export function copyRuleFiles(files: readonly string[], folder: string): string {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  files.forEach((file, index) => {
    copyFileSync(file, join(folder, `${String(index).padStart(5, '0')}-${basename(file)}`));
  });
  return folder;
}

const NO_MATCH_RULE = `title: Benchmark rule that no Windows event reaches
id: 7d1f0c52-3b8e-4a51-9d6e-2f4b8c1a0e99
status: test
description: Lets the CLI run with one rule whose log source (Linux auth) no Windows event has.
author: trustwatch benchmark
date: 2026-12-04
logsource:
  product: linux
  service: auth
detection:
  selection:
    message|contains: trustwatch-benchmark-never
  condition: selection
level: low
`;

/** Writes a folder with one rule that Windows events never reach, for the scan without rules. */
export function writeNoMatchRule(folder: string): string {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'no-windows-match.yml'), NO_MATCH_RULE);
  return folder;
}

/**
 * Selects the rule files whose every loaded rule was translated, and the translated rules they
 * contain, so that trustwatch and DuckDB run exactly the same rules. The files of Sigma filters
 * are selected too, because the translation applies filters to the rules they name.
 */
export function fullyTranslatedFiles(
  translation: Translation,
  rules: readonly Rule[],
  filters: readonly FilterRule[],
) {
  const skippedFiles = new Set(translation.skipped.map((entry) => entry.rule.meta.file));
  const ruleFiles = [...new Set(rules.map((rule) => rule.meta.file))].filter(
    (file) => !skippedFiles.has(file),
  );
  const selected = new Set(ruleFiles);
  const translated = translation.translated.filter((entry) => selected.has(entry.rule.meta.file));
  const files = [...new Set([...ruleFiles, ...filters.map((filter) => filter.meta.file)])].sort();
  return { files, translated };
}
