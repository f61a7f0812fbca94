import { describeRules, describeTrust } from '../alert/evidence-text.js';
import type { Alert, EvidenceItem } from '../model/alert.js';

/**
 * The HTML report of a scan: one self-contained file (inline CSS and SVG, no script, and a
 * content security policy that forbids every network fetch) with the alert list, each alert's
 * evidence on a timeline, and each party's activity over time with its alerts marked.
 */

export interface ReportInput {
  title: string;
  generatedAt: number;
  inputs: number;
  records: number;
  rejected: number;
  alerts: readonly Alert[];
  /** Events of each party per hour (epoch ms of the hour's start). */
  activity: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** The reason the report covers only part of the inputs (a stopped scan), shown above the alerts. */
  partial?: string;
}

const LEVELS = ['critical', 'high', 'medium', 'low'] as const;
const STEP_COLOURS = ['#2563eb', '#d97706', '#dc2626', '#7c3aed', '#059669'];

function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#f7f7f8}
header{background:#111827;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px}section{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:0 0 16px;padding:12px 16px}
h2{font-size:16px;margin:4px 0 12px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.critical{background:#991b1b}.high{background:#dc2626}.medium{background:#d97706}.low{background:#2563eb}
.suppressed{opacity:.55}details{margin:6px 0}summary{cursor:pointer}
.counts span{margin-right:16px}.muted{color:#6b7280}code{font-size:12px}
.factor{display:inline-block;margin:2px 6px 2px 0;padding:1px 6px;border:1px solid #e5e7eb;border-radius:4px;font-size:12px}
.factors{list-style:none;margin:0 0 8px;padding:0}
footer{padding:8px 24px 24px;color:#6b7280;font-size:12px}
.partial{border-color:#d97706;background:#fffbeb}
`;

export function renderReport(input: ReportInput): string {
  const byLevel = new Map<string, number>();
  for (const alert of input.alerts)
    byLevel.set(alert.severity.level, (byLevel.get(alert.severity.level) ?? 0) + 1);
  const counts = LEVELS.map(
    (level) => `<span><b>${byLevel.get(level) ?? 0}</b> ${level}</span>`,
  ).join('');
  const suppressed = input.alerts.filter((alert) => alert.suppressed).length;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(input.title)}</h1>
<div>${input.inputs} inputs, ${input.records} records (${input.rejected} rejected), generated ${escapeHtml(new Date(input.generatedAt).toISOString())}</div></header>
<main>
${renderPartial(input.partial)}<section id="summary"><h2>Alerts</h2><div class="counts">${counts}<span><b>${suppressed}</b> suppressed</span></div></section>
<section id="alerts"><h2>Alert list</h2>${renderAlertList(input.alerts)}</section>
<section id="activity"><h2>Activity per party</h2>${renderActivity(input.activity, input.alerts)}</section>
</main>
<footer>Made by trustwatch. IP geolocation by <a href="https://db-ip.com">DB-IP</a> (CC BY 4.0); AS numbers from
routeviews.org, nro.net and DB-IP. Each alert names the author of its rule.</footer>
</body></html>
`;
}

function renderPartial(reason: string | undefined): string {
  if (reason === undefined) return '';
  const text = `<h2>Partial report</h2><p>${escapeHtml(reason)}</p>`;
  return `<section id="partial" class="partial">${text}</section>\n`;
}

function renderAlertList(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return '<p class="muted">No alerts.</p>';
  const order = (alert: Alert) => LEVELS.indexOf(alert.severity.level as (typeof LEVELS)[number]);
  const sorted = [...alerts].sort(
    (a, b) =>
      Number(a.suppressed) - Number(b.suppressed) ||
      order(a) - order(b) ||
      a.first_time.localeCompare(b.first_time),
  );
  return sorted.map(renderAlert).join('\n');
}

function renderAlert(alert: Alert): string {
  const level = alert.severity.level;
  const who = [alert.party, alert.actor, alert.host].filter(Boolean).map(escapeHtml).join(' · ');
  const factors = alert.severity.factors
    .map(
      (factor) =>
        `<li class="factor-reason"><span class="factor">${escapeHtml(factor.factor)} +${factor.points}</span>${escapeHtml(factor.detail)}</li>`,
    )
    .join('');
  const rows = alert.evidence.map(renderEvidenceRow).join('');
  const suppression = alert.suppression
    ? `<p>Suppressed: ${escapeHtml(alert.suppression.reason)} <span class="muted">(${escapeHtml(alert.suppression.entry)})</span></p>`
    : '';
  return `<details class="alert${alert.suppressed ? ' suppressed' : ''}" data-alert-id="${escapeHtml(alert.id)}">
<summary><span class="badge ${level}">${level}</span> ${alert.analytic ? `<b>${escapeHtml(alert.analytic)}</b> ` : ''}${escapeHtml(alert.rule.title)} <span class="muted">${who} · ${escapeHtml(alert.first_time)}</span></summary>
<p>Rule by ${escapeHtml(alert.rule.author || 'unknown')} · <code>${escapeHtml(alert.rule.source)}</code> · ATT&amp;CK ${escapeHtml(alert.attack.join(', ') || 'none')} · id <code>${escapeHtml(alert.id)}</code></p>
<p>Severity ${alert.severity.score}:</p><ul class="factors">${factors}</ul>${suppression}
${renderTimeline(alert)}
<table class="evidence"><thead><tr><th>time</th><th>step</th><th>record</th><th>what</th><th>rule matched</th><th>party matched by</th></tr></thead><tbody>${rows}</tbody></table>
</details>`;
}

/** Renders one evidence record: when, which step, where, what, which rule and which party. */
function renderEvidenceRow(item: EvidenceItem): string {
  const rules = item.rules && item.rules.length > 0 ? describeRules(item.rules) : '';
  const trust = item.trust ? describeTrust(item.trust) : '';
  const scope = item.trust?.scope_reason ? `; out of scope: ${item.trust.scope_reason}` : '';
  return `<tr><td><code>${escapeHtml(item.time)}</code></td><td>${item.step} ${escapeHtml(item.label)}</td><td><code>${escapeHtml(item.file)}:${item.record}</code></td><td>${escapeHtml(item.summary)}</td><td class="evidence-rules">${escapeHtml(rules)}</td><td class="evidence-trust">${escapeHtml(trust + scope)}</td></tr>`;
}

/** The evidence of an alert as dots on a time axis, one row per step. */
function renderTimeline(alert: Alert): string {
  const times = alert.evidence.map((item) => Date.parse(item.time));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const span = Math.max(end - start, 1);
  const steps = [...new Set(alert.evidence.map((item) => item.step))].sort((a, b) => a - b);
  const width = 760;
  const left = 110;
  const rowHeight = 22;
  const height = steps.length * rowHeight + 26;
  const x = (time: number) => left + ((time - start) / span) * (width - left - 20);

  const rows = steps
    .map((step, index) => {
      const y = 14 + index * rowHeight;
      const label = alert.evidence.find((item) => item.step === step)?.label ?? `step ${step}`;
      const name = alert.rule.type === 'detection' ? 'match' : `${step} ${label}`.slice(0, 16);
      return `<text x="4" y="${y + 4}" font-size="11">${escapeHtml(name)}</text><line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`;
    })
    .join('');
  const dots = alert.evidence
    .map((item) => {
      const y = 14 + steps.indexOf(item.step) * rowHeight;
      const colour = STEP_COLOURS[(item.step - 1) % STEP_COLOURS.length];
      return `<circle class="evidence-dot" cx="${x(Date.parse(item.time)).toFixed(1)}" cy="${y}" r="5" fill="${colour}"><title>${escapeHtml(`${item.time} ${item.summary}`)}</title></circle>`;
    })
    .join('');
  const axis = `<text x="${left}" y="${height - 4}" font-size="11" fill="#6b7280">${escapeHtml(new Date(start).toISOString())}</text><text x="${width - 20}" y="${height - 4}" font-size="11" fill="#6b7280" text-anchor="end">${escapeHtml(new Date(end).toISOString())}</text>`;
  return `<svg class="timeline" width="${width}" height="${height}" role="img" aria-label="evidence timeline">${rows}${dots}${axis}</svg>`;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Bucket sizes of the activity chart, the first that keeps it under MAX_BARS bars is used. */
const BUCKETS = [HOUR_MS, 6 * HOUR_MS, DAY_MS, 7 * DAY_MS, 30 * DAY_MS, 365 * DAY_MS];
const MAX_BARS = 240;

/** Events per party over the scan's time range in buckets of an hour up to a year; alerts marked. */
function renderActivity(
  activity: ReadonlyMap<string, ReadonlyMap<number, number>>,
  alerts: readonly Alert[],
): string {
  if (activity.size === 0) return '<p class="muted">No events of a trusted party.</p>';
  // Loops, because a year of hours for hundreds of parties is more than a spread call takes.
  let start = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const hours of activity.values()) {
    for (const hour of hours.keys()) {
      start = Math.min(start, hour);
      last = Math.max(last, hour);
    }
  }
  const end = last + HOUR_MS;
  const bucket =
    BUCKETS.find((size) => (end - start) / size <= MAX_BARS) ??
    (BUCKETS[BUCKETS.length - 1] as number);
  const first = Math.floor(start / bucket) * bucket;
  const count = Math.max(1, Math.ceil((end - first) / bucket));

  return [...activity.keys()]
    .sort()
    .map((party) => {
      const hours = activity.get(party) as ReadonlyMap<number, number>;
      const values = new Array<number>(count).fill(0);
      for (const [hour, events] of hours) {
        const index = Math.min(count - 1, Math.floor((hour - first) / bucket));
        values[index] = (values[index] ?? 0) + events;
      }
      const total = values.reduce((sum, value) => sum + value, 0);
      const partyAlerts = alerts.filter((alert) => alert.party === party);
      return `<div class="party" data-party="${escapeHtml(party)}"><h3>${escapeHtml(party)} <span class="muted">${total} events, ${partyAlerts.length} alerts</span></h3>${renderBars(values, first, bucket, partyAlerts)}</div>`;
    })
    .join('\n');
}

function renderBars(
  values: number[],
  first: number,
  bucket: number,
  alerts: readonly Alert[],
): string {
  const width = 760;
  const height = 90;
  const max = Math.max(...values, 1);
  const barWidth = (width - 20) / values.length;
  const bars = values
    .map((value, index) => {
      if (value === 0) return '';

      const barHeight = (value / max) * (height - 30);
      const label = `${new Date(first + index * bucket).toISOString()}: ${value} events`;
      return `<rect class="activity-bar" x="${(10 + index * barWidth).toFixed(1)}" y="${(height - 20 - barHeight).toFixed(1)}" width="${Math.max(barWidth - 1, 1).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="#93c5fd"><title>${escapeHtml(label)}</title></rect>`;
    })
    .join('');
  const span = values.length * bucket;
  const markers = alerts
    .map((alert) => {
      const x = 10 + ((Date.parse(alert.first_time) - first) / span) * (width - 20);
      return `<line class="alert-marker" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="4" y2="${height - 20}" stroke="#dc2626" stroke-width="2"><title>${escapeHtml(`${alert.first_time} ${alert.rule.title}`)}</title></line>`;
    })
    .join('');
  const axis = `<text x="10" y="${height - 4}" font-size="11" fill="#6b7280">${escapeHtml(new Date(first).toISOString())}</text><text x="${width - 10}" y="${height - 4}" font-size="11" fill="#6b7280" text-anchor="end">${escapeHtml(new Date(first + span).toISOString())}</text>`;
  return `<svg class="activity" width="${width}" height="${height}" role="img" aria-label="activity over time">${bars}${markers}${axis}</svg>`;
}
