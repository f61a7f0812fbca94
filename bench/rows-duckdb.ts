/**
 * Row group 3: DuckDB as the peer. The SigmaHQ Windows rules and the pack are loaded by the
 * product's own loader, translated to SQL (sigma-sql/), and run by DuckDB over the same NDJSON
 * files, with its default thread count and with one thread. trustwatch scans the same
 * translated rules, copied to a folder of their own, and the matches of both are compared.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { emptyContext } from '../src/context/load.js';
import { loadRulePaths } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import { addRow, type BenchRun, scanRow } from './bench-run.js';
import { runChild, runMedian } from './measure.js';
import { REPO_ROOT } from './paths.js';
import { copyRuleFiles, fullyTranslatedFiles } from './rule-sets.js';
import { runScan } from './scan.js';
import { countStatements, loadStatement } from './sigma-sql/query.js';
import { type TranslatedRule, type Translation, translateRules } from './sigma-sql/translate.js';
import { validateTranslation } from './sigma-sql/validate.js';
import { formatCount } from './table.js';

const QUERY_RUNNER = join(REPO_ROOT, 'bench', 'duckdb-query.mjs');
/** Characters of the sample rule's SQL printed under the table; the file has all of it. */
const SAMPLE_CHARS = 600;

/** Loads and translates the rules, and writes the statements and the rule folder of both sides. */
async function prepare(run: BenchRun) {
  const context = emptyContext();
  const settings = context.settings;
  const placeholders = placeholderLookup(settings.placeholders, settings.unresolved_placeholders);
  const ruleSet = await loadRulePaths([join(REPO_ROOT, 'rules'), run.sigmaRules], { placeholders });
  const table = buildMappingTable(settings.logsources);
  const translation = await validateTranslation(translateRules(ruleSet.rules, table, placeholders));
  const { files, translated } = fullyTranslatedFiles(translation, ruleSet.rules, ruleSet.filters);
  const folder = copyRuleFiles(files, join(run.scratch, 'rules-translated'));
  describeTranslation(run, translation, translated, ruleSet.rules.length);

  const statements = [loadStatement(translated, run.otrfFiles), ...countStatements(translated)];
  const statementsFile = join(run.scratch, 'duckdb-statements.json');
  writeFileSync(statementsFile, JSON.stringify({ statements }));
  const sqlFile = join(run.scratch, 'duckdb-statements.sql');
  writeFileSync(sqlFile, `${statements.join(';\n\n')};\n`);
  run.notes.push(`DuckDB statements: ${sqlFile} (${statements.length} statements)`);
  const first = translated[0];
  if (first) {
    const sql =
      first.sql.length > SAMPLE_CHARS ? `${first.sql.slice(0, SAMPLE_CHARS)}…` : first.sql;
    run.notes.push(`First translated rule, ${first.rule.meta.file}:`, `  ${sql}`);
  }
  return { translated, folder, statementsFile };
}

/** Runs the statements in a DuckDB child process, with its default threads when undefined. */
async function runDuckdb(run: BenchRun, statementsFile: string, threads: number | undefined) {
  const args = [QUERY_RUNNER, statementsFile, ...(threads === undefined ? [] : [String(threads)])];
  const child = await runMedian(run.options.runs, () =>
    runChild(process.execPath, args, { cwd: run.scratch, scratch: run.scratch }),
  );
  const output = JSON.parse(child.stdout) as { threads: number; counts: Record<string, number> };
  return { ...child, ...output, events: output.counts.events ?? 0 };
}

export async function duckdbRows(run: BenchRun): Promise<void> {
  const { translated, folder, statementsFile } = await prepare(run);
  const count = translated.length.toLocaleString('en-US');

  const defaultThreads = await runDuckdb(run, statementsFile, undefined);
  const label = `DuckDB, ${count} translated rules, ${defaultThreads.threads} threads`;
  const matches = totalMatches(defaultThreads.counts, translated);
  const defaultNote = `${formatCount(matches, 'match', 'matches')}; DuckDB's default threads`;
  addRow(run, 3, label, defaultThreads, defaultNote);

  const oneThread = await runDuckdb(run, statementsFile, 1);
  const oneMatches = totalMatches(oneThread.counts, translated);
  const oneLabel = `DuckDB, ${count} translated rules, 1 thread`;
  const oneNote = `${formatCount(oneMatches, 'match', 'matches')}; SET threads = 1`;
  addRow(run, 3, oneLabel, oneThread, oneNote);

  for (const workers of [1, availableParallelism()]) {
    const request = { paths: run.otrfFiles, rules: [folder], defaultRules: false, workers };
    const scan = await runScan(request, run.options.runs, run.scratch);
    const scanLabel = `scan, same ${count} rules, --workers ${workers}`;
    scanRow(run, 3, scanLabel, scan, formatCount(scan.alerts, 'alert'));
    if (workers === 1) compareMatches(run, oneThread.counts, translated, scan.hits);
  }
}

function totalMatches(counts: Record<string, number>, rules: readonly TranslatedRule[]): number {
  return rules.reduce((sum, rule) => sum + (counts[rule.alias] ?? 0), 0);
}

function describeTranslation(
  run: BenchRun,
  translation: Translation,
  translated: readonly TranslatedRule[],
  loaded: number,
): void {
  const reasons = new Map<string, number>();
  for (const { reason } of translation.skipped) {
    const kind = reason.startsWith('DuckDB:')
      ? 'rejected by DuckDB'
      : reason.replace(/ from .*/, '');
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  const list = [...reasons]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${count} ${reason}`)
    .join('; ');
  const siblings = translation.translated.length - translated.length;
  run.notes.push(
    `SQL translation: ${translated.length.toLocaleString('en-US')} of ` +
      `${loaded.toLocaleString('en-US')} loaded rules (SigmaHQ Windows and pack) ` +
      `run on both sides. Left out: ${list || 'none'}` +
      (siblings > 0 ? `; ${siblings} more share a file with a rule left out` : '') +
      '.',
  );
}

/** Compares DuckDB's matches with trustwatch's alerts per rule title, and notes the result. */
function compareMatches(
  run: BenchRun,
  counts: Record<string, number>,
  rules: readonly TranslatedRule[],
  hits: ReadonlyMap<string, number>,
): void {
  const sql = new Map<string, number>();
  for (const rule of rules) {
    const title = rule.rule.meta.title;
    sql.set(title, (sql.get(title) ?? 0) + (counts[rule.alias] ?? 0));
  }
  const titles = [...new Set([...sql.keys(), ...hits.keys()])].sort();
  const matched = titles.filter((title) => (sql.get(title) ?? 0) + (hits.get(title) ?? 0) > 0);
  const differing = matched.filter((title) => (sql.get(title) ?? 0) !== (hits.get(title) ?? 0));
  const sum = (map: ReadonlyMap<string, number>) =>
    [...map.values()].reduce((a, b) => a + b, 0).toLocaleString('en-US');
  run.notes.push(
    `Matches of the translated rules: DuckDB ${sum(sql)}, trustwatch ${sum(hits)}. Of the ` +
      `${matched.length} rule titles that match on either side, ` +
      `${matched.length - differing.length} have the same count on both.`,
  );
  for (const title of differing.slice(0, 10)) {
    run.notes.push(
      `  differs: ${title}: DuckDB ${sql.get(title) ?? 0}, trustwatch ${hits.get(title) ?? 0}`,
    );
  }
}
