import type { AllowEntry } from '../context/context.js';
import type { Alert } from '../model/alert.js';

/**
 * Allow-list matching: an alert that an entry covers is marked suppressed with the entry's
 * reason. It is still stored, written and counted, so nothing disappears silently. An entry's
 * `until` is compared with the alert's event time, so a historical scan gives the same result
 * whenever it runs.
 */
export function findAllowEntry(
  alert: Alert,
  entries: readonly AllowEntry[],
): AllowEntry | undefined {
  const time = Date.parse(alert.first_time);
  return entries.find((entry) => {
    if (entry.until !== undefined && time > entry.until) return false;
    if (
      entry.party !== undefined &&
      entry.party.toLowerCase() !== (alert.party ?? '').toLowerCase()
    )
      return false;
    if (entry.actor && !entry.actor.test(alert.actor ?? '')) return false;
    if (entry.host && !entry.host.test(alert.host ?? '')) return false;
    if (entry.rule !== undefined) {
      const wanted = entry.rule.toLowerCase();
      const names = [
        alert.rule.id,
        alert.rule.name ?? '',
        alert.rule.title,
        alert.analytic ?? '',
      ].map((name) => name.toLowerCase());
      if (!names.includes(wanted)) return false;
    }
    return true;
  });
}

export function applySuppression(alert: Alert, entries: readonly AllowEntry[]): void {
  const entry = findAllowEntry(alert, entries);
  if (!entry) return;
  alert.suppressed = true;
  alert.suppression = { reason: entry.reason, entry: entry.text };
}
