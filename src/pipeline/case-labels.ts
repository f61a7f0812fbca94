import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The labels of an evaluation case, `expected.json`: the alerts the case must raise, each with
 * its analytic, party, actor and the records of every step. The file is checked whole, so that
 * a case with a broken label file fails with the reason instead of scoring as empty.
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

export interface CaseLabels {
  analytic: string | undefined;
  kind: string | undefined;
  alerts: LabelledAlert[];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads and checks `expected.json` of a case folder; throws an Error that names the file. */
export function readCaseLabels(dir: string): CaseLabels {
  const file = join(dir, 'expected.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read the labels: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const { line, column } = jsonErrorLocation(text, (error as Error).message);
    throw new Error(`${file}:${line}:${column}: invalid JSON: ${(error as Error).message}`);
  }

  const problems: string[] = [];
  const labels = parseLabels(raw, problems);
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  return labels;
}

function parseLabels(raw: unknown, problems: string[]): CaseLabels {
  if (!isMap(raw)) {
    problems.push('expected an object with an alerts list');
    return { analytic: undefined, kind: undefined, alerts: [] };
  }
  const text = (key: string): string | undefined => {
    const value = raw[key];
    if (value === undefined || typeof value === 'string') return value;
    problems.push(`${key} must be a string, not ${JSON.stringify(value)}`);
    return undefined;
  };
  const analytic = text('analytic');
  const kind = text('kind');
  if (!Array.isArray(raw.alerts)) {
    problems.push('alerts must be a list');
    return { analytic, kind, alerts: [] };
  }
  const alerts = raw.alerts.flatMap((alert, index) => {
    const parsed = parseAlert(alert, `alerts[${index}]`, problems);
    return parsed ? [parsed] : [];
  });
  return { analytic, kind, alerts };
}

function parseAlert(raw: unknown, at: string, problems: string[]): LabelledAlert | undefined {
  if (!isMap(raw)) {
    problems.push(`${at} must be an object`);
    return undefined;
  }
  const missing = ['analytic', 'party', 'actor'].filter((key) => typeof raw[key] !== 'string');
  for (const key of missing) problems.push(`${at}.${key} must be a string`);
  if (!Array.isArray(raw.evidence)) problems.push(`${at}.evidence must be a list`);
  if (missing.length > 0 || !Array.isArray(raw.evidence)) return undefined;

  const evidence: LabelledEvidence[] = [];
  raw.evidence.forEach((item, index) => {
    const where = `${at}.evidence[${index}]`;
    if (
      !isMap(item) ||
      !Number.isInteger(item.step) ||
      typeof item.file !== 'string' ||
      !Number.isInteger(item.record)
    ) {
      problems.push(`${where} must be {step, file, record} with whole-number step and record`);
      return;
    }
    evidence.push({ step: item.step as number, file: item.file, record: item.record as number });
  });
  return {
    analytic: raw.analytic as string,
    party: raw.party as string,
    actor: raw.actor as string,
    evidence,
  };
}

/**
 * Returns the 1-based line and column of a `JSON.parse` error in `text`: V8 gives the offset
 * (`at position 12`), or none when the text ends too soon, which is the end of the text.
 */
export function jsonErrorLocation(text: string, message: string): { line: number; column: number } {
  const position = /at position (\d+)/.exec(message);
  const offset = position ? Math.min(Number(position[1]), text.length) : text.length;
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
