import type { Alert } from '../model/alert.js';
import { escapeControls } from '../model/terminal-text.js';
import { parseIsoTime } from '../model/time.js';
import { formatTimeIn } from '../model/time-zone.js';

/**
 * The per-rule hit table of a hunt, like the summaries DFIR tools print after a scan: one row
 * per rule that raised alerts, most severe level first, then most hits.
 */

/** Alerts of one rule in a scan. */
export interface RuleHits {
  id: string;
  title: string;
  level: string;
  /** Detection rule, a Sigma correlation type, or `chain`. */
  type: string;
  hits: number;
  firstTime: number;
  lastTime: number;
}

const LEVEL_RANK: Record<string, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  informational: 4,
};

/** Adds an alert to the hits of its rule. */
export function countHit(
  hits: Map<string, RuleHits>,
  alert: Alert,
  firstTime: number,
  lastTime: number,
): void {
  const entry = hits.get(alert.rule.id);
  if (entry) {
    entry.hits++;
    entry.firstTime = Math.min(entry.firstTime, firstTime);
    entry.lastTime = Math.max(entry.lastTime, lastTime);
    return;
  }
  hits.set(alert.rule.id, {
    id: alert.rule.id,
    title: alert.rule.title,
    level: alert.level,
    type: alert.rule.type,
    hits: 1,
    firstTime,
    lastTime,
  });
}

/** Renders the table as lines; times are shown in `zone`, control characters as escapes. */
export function renderHitTable(hits: Iterable<RuleHits>, zone: string): string[] {
  const rows = [...hits].sort(
    (a, b) =>
      (LEVEL_RANK[a.level] ?? 9) - (LEVEL_RANK[b.level] ?? 9) ||
      b.hits - a.hits ||
      a.title.localeCompare(b.title),
  );
  if (rows.length === 0) return [];
  const cells = rows.map((row) => [
    row.level,
    String(row.hits),
    formatTimeIn(row.firstTime, zone),
    formatTimeIn(row.lastTime, zone),
    escapeControls(row.type === 'detection' ? row.title : `${row.title} (${row.type})`),
  ]);
  const header = ['level', 'hits', 'first', 'last', 'rule'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] as string).length)),
  );
  const format = (cell: string[]) =>
    cell
      .map((text, column) =>
        column === cell.length - 1
          ? text
          : column === 1
            ? text.padStart(widths[column] as number)
            : text.padEnd(widths[column] as number),
      )
      .join('  ');
  const total = rows.reduce((sum, row) => sum + row.hits, 0);
  return [format(header), ...cells.map(format), `${rows.length} rules raised ${total} alerts`];
}

/** Adds an alert to the hits of its rule, reading its times from the alert itself. */
export function countAlertHit(hits: Map<string, RuleHits>, alert: Alert): void {
  countHit(hits, alert, parseIsoTime(alert.first_time), parseIsoTime(alert.last_time));
}
