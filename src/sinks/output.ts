import { partyEntries } from '../alert/evidence-text.js';
import type { Alert, EvidenceItem } from '../model/alert.js';
import { escapeControls } from '../model/terminal-text.js';
import { parseIsoTime } from '../model/time.js';
import { formatTimeIn } from '../model/time-zone.js';
import { countAlertHit, type RuleHits, renderHitTable } from './hit-table.js';
import { toOcsf } from './ocsf.js';

/**
 * Alert writers for standard output: NDJSON or OCSF as alerts come, JSON or a table at the end,
 * or only the per-rule hit table (`hits`).
 */

export type OutputFormat = 'table' | 'json' | 'ndjson' | 'ocsf' | 'hits';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson', 'ocsf', 'hits'];

/** The version written into OCSF metadata. */
export const PRODUCT_VERSION = '0.1.0';

export interface AlertWriterOptions {
  /**
   * IANA zone of the times that the table and hit table show. Without it the table shows UTC
   * ISO times; NDJSON, OCSF and JSON always carry UTC times.
   */
  timezone?: string;
}

export interface AlertWriter {
  write(alert: Alert): void;
  end(): void;
}

/**
 * Receives the output text. `alerts` is how many alerts the text completes, so that the caller
 * can tell how many reached their reader when a write fails part way.
 */
export type OutputText = (text: string, alerts: number) => void;

export function createAlertWriter(
  format: OutputFormat,
  write: OutputText,
  options: AlertWriterOptions = {},
): AlertWriter {
  if (format === 'hits') {
    const hits = new Map<string, RuleHits>();
    let count = 0;
    return {
      write: (alert) => {
        countAlertHit(hits, alert);
        count++;
      },
      // The table sums up every alert, so it counts them all once it is written whole.
      end: () => {
        const lines = renderHitTable(hits.values(), options.timezone ?? 'UTC');
        write(lines.length > 0 ? `${lines.join('\n')}\n` : 'No alerts.\n', count);
      },
    };
  }
  if (format === 'ndjson') {
    return { write: (alert) => write(`${JSON.stringify(alert)}\n`, 1), end: () => {} };
  }
  if (format === 'ocsf') {
    return {
      write: (alert) => write(`${JSON.stringify(toOcsf(alert, PRODUCT_VERSION))}\n`, 1),
      end: () => {},
    };
  }
  const alerts: Alert[] = [];
  if (format === 'json') {
    return {
      write: (alert) => alerts.push(alert),
      end: () => {
        for (const [text, count] of jsonArrayParts(alerts)) write(text, count);
      },
    };
  }
  return {
    write: (alert) => alerts.push(alert),
    end: () => {
      const blocks = tableBlocks(alerts, options.timezone);
      if (blocks.length === 0) write('No alerts.\n', 0);
      for (const block of blocks) write(block, 1);
    },
  };
}

/**
 * Splits `JSON.stringify(alerts, null, 2)` and its final line break into one part per alert, each
 * with the number of alerts it completes. The closing bracket goes with the last alert, so that
 * all alerts count as written only when the array is whole.
 */
export function jsonArrayParts(alerts: readonly Alert[]): [string, number][] {
  if (alerts.length === 0) return [['[]\n', 0]];
  // Elements are indented one level deeper. JSON text contains no raw line breaks inside strings.
  return alerts.map((alert, index) => {
    const element = `  ${JSON.stringify(alert, null, 2).replace(/\n/g, '\n  ')}`;
    const last = index === alerts.length - 1;
    return [`${index === 0 ? '[\n' : ''}${element}${last ? '\n]\n' : ',\n'}`, 1];
  });
}

/**
 * A readable listing: one block per alert with its evidence, the highest severity score first,
 * then the earliest first event. Suppressed alerts come last. Control
 * characters of the values are shown as escapes (terminal-text.ts).
 */
export function renderTable(alerts: readonly Alert[], timezone?: string): string {
  const blocks = tableBlocks(alerts, timezone);
  return blocks.length === 0 ? 'No alerts.\n' : blocks.join('');
}

/** Returns the blocks of `renderTable`, one per alert in its order, each ending in a blank line. */
function tableBlocks(alerts: readonly Alert[], timezone?: string): string[] {
  const time = (text: string) =>
    timezone === undefined ? text : formatTimeIn(parseIsoTime(text), timezone);
  const sorted = [...alerts].sort(
    (a, b) =>
      Number(a.suppressed) - Number(b.suppressed) ||
      b.severity.score - a.severity.score ||
      a.first_time.localeCompare(b.first_time),
  );
  return sorted.map((alert) => `${renderAlert(alert, time).join('\n')}\n\n`);
}

const EVIDENCE_SHOWN = 12;

function renderAlert(alert: Alert, time: (text: string) => string): string[] {
  const lines: string[] = [];
  const analytic = alert.analytic ? `${alert.analytic} ` : '';
  const mark = alert.suppressed ? '  [suppressed]' : '';
  lines.push(`${alert.severity.level.toUpperCase()}  ${analytic}${alert.rule.title}${mark}`);

  const who = [
    alert.party ? `party ${alert.party}` : '',
    alert.actor ? `actor ${alert.actor}` : '',
    alert.host ? `host ${alert.host}` : '',
  ].filter(Boolean);
  if (who.length > 0) lines.push(`  ${who.join(', ')}`);
  const entries = partyEntries(alert);
  if (entries.length > 0) lines.push(`  party matched by ${entries.join(', ')}`);
  lines.push(`  ${time(alert.first_time)} .. ${time(alert.last_time)}   id ${alert.id}`);
  if (alert.attack.length > 0) lines.push(`  ATT&CK ${alert.attack.join(', ')}`);
  lines.push(`  rule by ${alert.rule.author || 'unknown author'}: ${alert.rule.source}`);

  const factors = alert.severity.factors.filter((factor) => factor.factor !== 'rule_level');
  if (factors.length > 0) {
    const listed = factors.map((factor) => `${factor.factor} +${factor.points}`).join(', ');
    lines.push(`  severity ${alert.severity.score}: ${listed}`);
    for (const factor of factors) lines.push(`    - ${factor.factor}: ${factor.detail}`);
  }
  if (alert.suppression) {
    lines.push(`  suppressed: ${alert.suppression.reason} (${alert.suppression.entry})`);
  }

  const chain = alert.rule.type !== 'detection';
  for (const item of alert.evidence.slice(0, EVIDENCE_SHOWN)) {
    const step = chain ? `step ${item.step} ${item.label.padEnd(12)} ` : '';
    const rules = chain ? otherRules(item) : '';
    lines.push(`    ${step}${item.file}:${item.record}  ${item.summary}${rules}`);
  }
  const more = alert.evidence.length - EVIDENCE_SHOWN + alert.evidence_omitted;
  if (more > 0) lines.push(`    … ${more} more records`);
  return lines.map(escapeControls);
}

/** Lists the rules a record matched, unless its step label already names the only one. */
function otherRules(item: EvidenceItem): string {
  const names = (item.rules ?? []).map((rule) => rule.name ?? rule.title);
  if (names.length === 0 || (names.length === 1 && names[0] === item.label)) return '';
  return `  (rule ${names.join(', ')})`;
}
