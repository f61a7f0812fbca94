import type { Alert } from '../model/alert.js';
import { parseIsoTime } from '../model/time.js';
import { formatTimeIn } from '../model/time-zone.js';
import { countAlertHit, type RuleHits, renderHitTable } from './hit-table.js';

/**
 * Alert writers for standard output: NDJSON as alerts come, JSON or a table at the end, or only
 * the per-rule hit table (`hits`).
 */

export type OutputFormat = 'table' | 'json' | 'ndjson' | 'hits';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson', 'hits'];

export interface AlertWriterOptions {
  /**
   * IANA zone of the times that the table and hit table show. Without it the table shows UTC
   * ISO times; NDJSON and JSON always carry UTC ISO times.
   */
  timezone?: string;
}

export interface AlertWriter {
  write(alert: Alert): void;
  end(): void;
}

export function createAlertWriter(
  format: OutputFormat,
  write: (text: string) => void,
  options: AlertWriterOptions = {},
): AlertWriter {
  if (format === 'hits') {
    const hits = new Map<string, RuleHits>();
    return {
      write: (alert) => countAlertHit(hits, alert),
      end: () => {
        const lines = renderHitTable(hits.values(), options.timezone ?? 'UTC');
        write(lines.length > 0 ? `${lines.join('\n')}\n` : 'No alerts.\n');
      },
    };
  }
  if (format === 'ndjson') {
    return { write: (alert) => write(`${JSON.stringify(alert)}\n`), end: () => {} };
  }
  const alerts: Alert[] = [];
  if (format === 'json') {
    return {
      write: (alert) => alerts.push(alert),
      end: () => write(`${JSON.stringify(alerts, null, 2)}\n`),
    };
  }
  return {
    write: (alert) => alerts.push(alert),
    end: () => write(renderTable(alerts, options.timezone)),
  };
}

const LEVEL_ORDER: Record<string, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  informational: 4,
};

/** A readable listing: one block per alert with its evidence, most severe first. */
export function renderTable(alerts: readonly Alert[], timezone?: string): string {
  const time = (text: string) =>
    timezone === undefined ? text : formatTimeIn(parseIsoTime(text), timezone);
  if (alerts.length === 0) return 'No alerts.\n';
  const sorted = [...alerts].sort(
    (a, b) =>
      (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) ||
      a.first_time.localeCompare(b.first_time),
  );
  const lines: string[] = [];
  for (const alert of sorted) {
    const analytic = alert.analytic ? `${alert.analytic} ` : '';
    lines.push(`${alert.level.toUpperCase()}  ${analytic}${alert.rule.title}`);
    const who = [
      alert.party ? `party ${alert.party}` : '',
      alert.actor ? `actor ${alert.actor}` : '',
      alert.host ? `host ${alert.host}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    if (who) lines.push(`  ${who}`);
    lines.push(`  ${time(alert.first_time)} .. ${time(alert.last_time)}   id ${alert.id}`);
    if (alert.attack.length > 0) lines.push(`  ATT&CK ${alert.attack.join(', ')}`);
    lines.push(`  rule by ${alert.rule.author || 'unknown author'}: ${alert.rule.source}`);
    for (const item of alert.evidence.slice(0, 12)) {
      lines.push(
        `    step ${item.step} ${item.label.padEnd(12)} ${item.file}:${item.record}  ${item.summary}`,
      );
    }
    const more = alert.evidence.length - 12 + alert.evidence_omitted;
    if (more > 0) lines.push(`    … ${more} more records`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
