import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { emptyContext, parseContext } from '../context/load.js';
import type { Alert } from '../model/alert.js';
import { InputError } from '../model/errors.js';
import type { Clock, Logger } from '../model/logger.js';
import type { IndexedMapping } from '../rules/logsources/mapping.js';
import type { Rule } from '../rules/rule.js';
import type { FormatRegistry } from '../sources/registry.js';
import { type CaseLabels, type LabelledAlert, readCaseLabels } from './case-labels.js';
import { type FileStats, runScan } from './scan.js';

export type { LabelledAlert, LabelledEvidence } from './case-labels.js';

/**
 * Measured quality on labelled cases: each case folder holds `logs/`, `trustwatch.yaml` and
 * `expected.json`. A scan of the logs is compared with the labels under the suite's matching
 * rule: an alert matches a label when analytic, party and actor are equal and, for every step,
 * it cites at least one of the records labelled for that step. Extra records are not an error.
 */

export interface CaseResult {
  name: string;
  kind: string;
  analytics: string[];
  matched: LabelledAlert[];
  missed: { label: LabelledAlert; why: string }[];
  extra: { alert: Alert; why: string }[];
  /**
   * Why the case could not be evaluated as labelled: its labels or context could not be read,
   * the scan failed, or an input of `logs/` could not be read or had records rejected.
   */
  error?: string;
}

export interface AnalyticScore {
  analytic: string;
  cases: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** Undefined when nothing was raised: with no positives, precision has no value. */
  precision: number | undefined;
  /** Undefined when nothing was labelled. */
  recall: number | undefined;
}

export interface EvaluateConfig {
  rulesFor(context: ReturnType<typeof parseContext>): Promise<readonly Rule[]>;
  registry: FormatRegistry;
  mappings: readonly IndexedMapping[];
  logger: Logger;
  clock: Clock;
}

/**
 * Case folders under the given paths: a folder with expected.json, or its children that have
 * one. A folder whose expected.json cannot be looked at (no permission) is still a case, so
 * that its evaluation fails with the reason. A path that does not exist or contains no case is an
 * InputError naming it.
 */
export function findCases(paths: readonly string[]): string[] {
  const cases: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) {
      throw new InputError('input.not_found', 'case folder not found', { file: path });
    }
    if (hasLabels(path)) {
      cases.push(path);
      continue;
    }
    const found = listFolder(path).filter((child) => isFolder(child) && hasLabels(child));
    if (found.length === 0) {
      throw new InputError(
        'input.no_cases',
        'no case folder here: a case is a folder with expected.json, logs/ and trustwatch.yaml',
        { file: path },
      );
    }
    cases.push(...found);
  }
  return cases;
}

/** Tells whether a folder has expected.json, or one that may exist but cannot be looked at. */
function hasLabels(dir: string): boolean {
  try {
    statSync(join(dir, 'expected.json'));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

function listFolder(path: string): string[] {
  try {
    return readdirSync(path)
      .sort()
      .map((name) => join(path, name));
  } catch (error) {
    throw new InputError('input.unreadable', `cannot read cases: ${(error as Error).message}`, {
      file: path,
    });
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    // A dangling link or an entry without permission is no folder to read cases from.
    return false;
  }
}

const same = (a: unknown, b: unknown) =>
  String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();

function citedRecords(alert: Alert, dir: string): Set<string> {
  return new Set(alert.evidence.map((item) => `${relative(dir, item.file)}#${item.record}`));
}

/** Why an alert does not match a label, or undefined when it does. */
export function mismatch(label: LabelledAlert, alert: Alert, dir: string): string | undefined {
  if (!same(alert.analytic, label.analytic))
    return `analytic ${alert.analytic} is not ${label.analytic}`;
  if (!same(alert.party, label.party)) return `party "${alert.party}" is not "${label.party}"`;
  if (!same(alert.actor, label.actor)) return `actor "${alert.actor}" is not "${label.actor}"`;
  const cited = citedRecords(alert, dir);
  const steps = new Map<number, string[]>();
  for (const item of label.evidence) {
    steps.set(item.step, [...(steps.get(item.step) ?? []), `${item.file}#${item.record}`]);
  }
  for (const [step, keys] of [...steps].sort((a, b) => a[0] - b[0])) {
    if (!keys.some((key) => cited.has(key))) return `step ${step} cites none of ${keys.join(', ')}`;
  }
  return undefined;
}

export async function evaluateCase(dir: string, config: EvaluateConfig): Promise<CaseResult> {
  const fromName = /an\d{4}/i.exec(basename(dir))?.[0];
  let expected: CaseLabels;
  try {
    expected = readCaseLabels(dir);
  } catch (error) {
    return {
      name: basename(dir),
      kind: 'unknown',
      analytics: fromName ? [fromName.toUpperCase()] : [],
      matched: [],
      missed: [],
      extra: [],
      error: (error as Error).message,
    };
  }

  const analytics = new Set(expected.alerts.map((alert) => alert.analytic.toUpperCase()));
  if (expected.analytic) analytics.add(expected.analytic.toUpperCase());
  if (fromName) analytics.add(fromName.toUpperCase());
  const result: CaseResult = {
    name: basename(dir),
    kind: expected.kind ?? 'unknown',
    analytics: [...analytics].sort(),
    matched: [],
    missed: [],
    extra: [],
  };

  let alerts: Alert[];
  try {
    const contextFile = join(dir, 'trustwatch.yaml');
    const context = existsSync(contextFile)
      ? parseContext(contextFile, readFileSync(contextFile, 'utf8'))
      : emptyContext();
    alerts = [];
    const summary = await runScan(
      {
        paths: [join(dir, 'logs')],
        context,
        rules: await config.rulesFor(context),
        registry: config.registry,
        mappings: config.mappings,
        logger: config.logger,
        clock: config.clock,
      },
      { alert: (alert) => alerts.push(alert) },
    );
    const problems = inputProblems(summary.files, dir);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  } catch (error) {
    result.error = (error as Error).message;
    result.missed = expected.alerts.map((label) => ({
      label,
      why: 'the case could not be scanned',
    }));
    return result;
  }

  // A suppressed alert is one the case's allow-list expects, so it is neither a hit nor extra.
  const unmatched = alerts.filter(
    (alert) =>
      !alert.suppressed && alert.analytic !== null && analytics.has(alert.analytic.toUpperCase()),
  );
  for (const label of expected.alerts) {
    const index = unmatched.findIndex((alert) => mismatch(label, alert, dir) === undefined);
    if (index >= 0) {
      result.matched.push(label);
      unmatched.splice(index, 1);
      continue;
    }
    const reasons = unmatched.map((alert) => mismatch(label, alert, dir)).filter(Boolean);
    result.missed.push({
      label,
      why:
        reasons.length > 0
          ? `nearest alert: ${reasons[0]}`
          : `no ${label.analytic} alert was raised`,
    });
  }
  for (const alert of unmatched) {
    const first = alert.evidence[0];
    const where = first ? ` from ${relative(dir, first.file)}#${first.record}` : '';
    result.extra.push({
      alert,
      why:
        expected.alerts.length === 0
          ? `the case is ${result.kind}: no ${alert.analytic} alert expected, got one for ${alert.party} / ${alert.actor}${where}`
          : `no label left for ${alert.party} / ${alert.actor}${where}`,
    });
  }
  return result;
}

/**
 * Lists the inputs of a case that were not read or had records rejected: labels are made for
 * every record, so a case read in part would score against data it did not see.
 */
function inputProblems(files: readonly FileStats[], dir: string): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const path = relative(dir, file.path);
    if (file.error) problems.push(`${path}: not read: ${file.error}`);
    else if (file.rejected > 0) {
      const codes = Object.entries(file.rejectedByCode)
        .map(([code, count]) => `${code} ${count}`)
        .join(', ');
      problems.push(`${path}: ${file.rejected} of ${file.read} records rejected (${codes})`);
    }
  }
  if (files.length === 0) problems.push('logs/ contains no input');
  return problems;
}

/** True positives, false positives and false negatives per analytic, with precision and recall. */
export function scoreByAnalytic(results: readonly CaseResult[]): AnalyticScore[] {
  const scores = new Map<string, AnalyticScore>();
  const get = (analytic: string): AnalyticScore => {
    let score = scores.get(analytic);
    if (!score) {
      score = {
        analytic,
        cases: 0,
        truePositives: 0,
        falsePositives: 0,
        falseNegatives: 0,
        precision: undefined,
        recall: undefined,
      };
      scores.set(analytic, score);
    }
    return score;
  };
  for (const result of results) {
    for (const analytic of result.analytics) get(analytic).cases++;
    for (const label of result.matched) get(label.analytic.toUpperCase()).truePositives++;
    for (const { label } of result.missed) get(label.analytic.toUpperCase()).falseNegatives++;
    for (const { alert } of result.extra)
      get(String(alert.analytic).toUpperCase()).falsePositives++;
  }
  for (const score of scores.values()) {
    const found = score.truePositives + score.falsePositives;
    const labelled = score.truePositives + score.falseNegatives;
    score.precision = found === 0 ? undefined : score.truePositives / found;
    score.recall = labelled === 0 ? undefined : score.truePositives / labelled;
  }
  return [...scores.values()].sort((a, b) => a.analytic.localeCompare(b.analytic));
}
