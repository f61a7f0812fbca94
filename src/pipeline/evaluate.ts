import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { emptyContext, parseContext } from '../context/load.js';
import type { Alert } from '../model/alert.js';
import type { Clock, Logger } from '../model/logger.js';
import type { IndexedMapping } from '../rules/logsources/mapping.js';
import type { Rule } from '../rules/rule.js';
import type { FormatRegistry } from '../sources/registry.js';
import { runScan } from './scan.js';

/**
 * Measured quality on labelled cases: each case folder holds `logs/`, `trustwatch.yaml` and
 * `expected.json`. A scan of the logs is compared with the labels under the suite's matching
 * rule: an alert matches a label when analytic, party and actor are equal and, for every step,
 * it cites at least one of the records labelled for that step. Extra records are not an error.
 */

export interface LabelledEvidence {
  step: number;
  file: string;
  record: number;
}

export interface LabelledAlert {
  analytic: string;
  party: string;
  actor: string;
  evidence: LabelledEvidence[];
}

export interface CaseResult {
  name: string;
  kind: string;
  analytics: string[];
  matched: LabelledAlert[];
  missed: { label: LabelledAlert; why: string }[];
  extra: { alert: Alert; why: string }[];
  /** Set when the case could not be scanned. */
  error?: string;
}

export interface AnalyticScore {
  analytic: string;
  cases: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

export interface EvaluateConfig {
  rulesFor(context: ReturnType<typeof parseContext>): Promise<readonly Rule[]>;
  registry: FormatRegistry;
  mappings: readonly IndexedMapping[];
  logger: Logger;
  clock: Clock;
}

/** Case folders under the given paths: a folder with expected.json, or its children that have one. */
export function findCases(paths: readonly string[]): string[] {
  const cases: string[] = [];
  for (const path of paths) {
    if (existsSync(join(path, 'expected.json'))) {
      cases.push(path);
      continue;
    }
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      if (statSync(child).isDirectory() && existsSync(join(child, 'expected.json')))
        cases.push(child);
    }
  }
  return cases;
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
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    analytic?: string;
    kind?: string;
    alerts: LabelledAlert[];
  };
  const analytics = new Set(expected.alerts.map((alert) => alert.analytic.toUpperCase()));
  if (expected.analytic) analytics.add(expected.analytic.toUpperCase());
  const fromName = /an\d{4}/i.exec(basename(dir))?.[0];
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
    await runScan(
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
  } catch (error) {
    result.error = (error as Error).message;
    result.missed = expected.alerts.map((label) => ({
      label,
      why: 'the case could not be scanned',
    }));
    return result;
  }

  const unmatched = alerts.filter(
    (alert) => alert.analytic !== null && analytics.has(alert.analytic.toUpperCase()),
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
        precision: 1,
        recall: 1,
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
    score.precision = found === 0 ? 1 : score.truePositives / found;
    score.recall = labelled === 0 ? 1 : score.truePositives / labelled;
  }
  return [...scores.values()].sort((a, b) => a.analytic.localeCompare(b.analytic));
}
