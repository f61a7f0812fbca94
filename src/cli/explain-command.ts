import type { Command } from 'commander';
import { describeRules, describeTrust, partyEntries } from '../alert/evidence-text.js';
import type { Alert } from '../model/alert.js';
import { UsageError } from '../model/errors.js';
import { systemClock } from '../model/logger.js';
import { escapeControls } from '../model/terminal-text.js';
import { SqliteStore } from '../sinks/sqlite-store.js';
import { EXIT_OK } from './common.js';
import { standardOutput } from './standard-output.js';

interface ExplainOptions {
  db: string;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'show an alert from the database: its evidence timeline, step by step, and its severity',
    )
    .argument('<alert-id>', 'the alert id, or a unique start of it')
    .option('--db <path>', 'SQLite database the scan wrote', 'trustwatch.db')
    .option('--json', 'print the stored alert as JSON')
    .action((id: string, options: ExplainOptions) => {
      process.exitCode = explainCommand(id, options);
    });
}

function explainCommand(id: string, options: ExplainOptions): number {
  if (options.db === ':memory:')
    throw new UsageError('explain reads a database file; :memory: keeps no alerts');
  const store = new SqliteStore(options.db, systemClock, { reading: true });
  const found = store.findAlerts(id);
  store.close();
  if (found.length === 0) throw new UsageError(`no alert with id ${id} in ${options.db}`);
  if (found.length > 1) {
    throw new UsageError(
      `${found.length} alerts start with ${id}: ${found.map((alert) => alert.id).join(', ')}; give more of the id`,
    );
  }
  const alert = found[0] as Alert;
  standardOutput().write(options.json ? `${JSON.stringify(alert, null, 2)}\n` : explainText(alert));
  return EXIT_OK;
}

/**
 * The explanation of an alert as text: what, who, the timeline with the values that counted,
 * why so severe. Control characters of the values are shown as escapes.
 */
export function explainText(alert: Alert): string {
  const lines: string[] = [];
  const analytic = alert.analytic ? `${alert.analytic} ` : '';
  lines.push(
    `${alert.severity.level.toUpperCase()} (score ${alert.severity.score})  ${analytic}${alert.rule.title}`,
  );
  lines.push(`id ${alert.id}${alert.suppressed ? '  [suppressed]' : ''}`);
  lines.push('');
  lines.push(
    `rule    ${alert.rule.title} (${alert.rule.type}, level ${alert.rule.level}) by ${alert.rule.author || 'unknown'}`,
  );
  lines.push(`        ${alert.rule.id}  ${alert.rule.source}`);
  if (alert.party) {
    lines.push(`party   ${alert.party}`);
    const entries = partyEntries(alert);
    if (entries.length > 0) lines.push(`        matched by ${entries.join(', ')}`);
  }
  if (alert.actor) lines.push(`actor   ${alert.actor}`);
  if (alert.host) lines.push(`host    ${alert.host}`);
  if (alert.attack.length > 0) lines.push(`ATT&CK  ${alert.attack.join(', ')}`);
  lines.push(`time    ${alert.first_time} .. ${alert.last_time}`);
  if (alert.group)
    lines.push(
      `group   ${Object.entries(alert.group)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}`,
    );

  lines.push('', 'Timeline');
  const ordered = [...alert.evidence].sort(
    (a, b) => a.time.localeCompare(b.time) || a.step - b.step,
  );
  for (const item of ordered) {
    const step = alert.rule.type === 'detection' ? '' : `step ${item.step} ${item.label}  `;
    lines.push(`  ${item.time}  ${step}${item.file} record ${item.record}`);
    lines.push(`      ${item.summary}`);
    const values = Object.entries(item.fields).map(
      ([key, value]) => `${key}=${formatValue(value)}`,
    );
    if (values.length > 0) lines.push(`      ${values.join('  ')}`);
    if (alert.rule.type !== 'detection' && item.rules && item.rules.length > 0) {
      lines.push(`      ${describeRules(item.rules)}`);
    }
    if (item.trust) {
      lines.push(`      party ${describeTrust(item.trust)}`);
      if (item.trust.scope_reason) lines.push(`      out of scope: ${item.trust.scope_reason}`);
    }
  }
  if (alert.evidence_omitted > 0)
    lines.push(`  … ${alert.evidence_omitted} more records counted but not kept`);
  if (alert.evidence.some((item) => item.rules === undefined)) {
    lines.push(
      '  Stored by an earlier trustwatch, which did not record the rule each record matched or',
      '  the context entry that tied it to its party; a new scan of the input into this',
      '  database records them.',
    );
  }

  lines.push('', `Severity ${alert.severity.score} (${alert.severity.level})`);
  for (const factor of alert.severity.factors) {
    lines.push(`  +${String(factor.points).padStart(2)}  ${factor.factor}: ${factor.detail}`);
  }
  if (alert.suppression) {
    lines.push(
      '',
      `Suppressed by the allow-list entry ${alert.suppression.entry}: ${alert.suppression.reason}`,
    );
  }
  if (alert.grouped.length > 0) lines.push('', `Grouped with ${alert.grouped.join(', ')}`);
  return `${lines.map(escapeControls).join('\n')}\n`;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
