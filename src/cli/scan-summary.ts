import type { ScanSummary } from '../pipeline/scan.js';

/** The scan summary that a scan writes to standard error after its alerts. */

/**
 * Time in time-limited regular expressions over which the summary names a rule, since
 * evaluations each within the budget can add up to a scan that looks stalled.
 */
const REPORTED_REGEX_MS = 1000;

/** Writes the summary: totals, inputs, rule evaluations and alerts, one line at a time. */
export function printSummary(
  summary: ScanSummary,
  totals: { read: number; parsed: number; rejected: number; skipped: number },
  newAlerts: number,
  db: string,
  rules: number,
  write: (line: string) => void,
): void {
  const seconds = summary.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(totals.read / seconds) : totals.read;
  write(
    `Scanned ${summary.files.length} inputs with ${rules} rules: ${totals.read} records read, ${totals.parsed} parsed, ${totals.rejected} rejected${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''} (${seconds.toFixed(1)} s, ${rate} records/s)`,
  );
  printInputs(summary.files, db, write);

  const evaluated = summary.detection.events_total;
  if (evaluated > 0) {
    const perEvent = summary.detection.evaluations_total / evaluated;
    const reused = summary.detection.verdicts_reused_total;
    write(
      `Rule evaluations: ${summary.detection.evaluations_total} for ${evaluated} events (${perEvent.toFixed(2)} per event); ${reused} events had the values of an earlier event and reused its verdicts`,
    );
  }
  if (summary.late > 0)
    write(`  ${summary.late} matched events arrived out of order beyond the reorder buffer`);
  for (const [rule, count] of summary.regexTimeouts) {
    const stopped = count >= summary.regexTimeoutLimit ? ', then stopped running it' : '';
    write(
      `  rule ${rule}: ${count} regular expression evaluations ran over the time budget${stopped}`,
    );
  }
  for (const [rule, spent] of summary.regexSpent) {
    if (spent.ms < REPORTED_REGEX_MS) continue;
    const seconds = (spent.ms / 1000).toFixed(1);
    const average = (spent.ms / spent.evaluations).toFixed(1);
    write(
      `  rule ${rule}: ${seconds} s in ${spent.evaluations} time-limited regular expression evaluations (${average} ms on average)`,
    );
  }
  const stored = db === ':memory:' ? '' : ` (${newAlerts} new in ${db})`;
  const suppressed =
    summary.suppressed > 0 ? `; ${summary.suppressed} suppressed by the allow-list` : '';
  write(`Alerts: ${summary.alerts}${stored}${suppressed}`);
  for (const [party, count] of [...summary.alertsByParty].sort((a, b) => b[1] - a[1]))
    write(`  party ${party}: ${count}`);
}

/**
 * Inputs listed one per line however many the scan read. Past this count only the inputs with
 * something to report are listed, because a folder of thousands of clean files would bury them.
 */
const MAX_LISTED_INPUTS = 50;

type InputStats = ScanSummary['files'][number];

/** Writes one line per input, or past `MAX_LISTED_INPUTS` only those with something to report. */
function printInputs(
  files: readonly InputStats[],
  db: string,
  write: (line: string) => void,
): void {
  const all = files.length <= MAX_LISTED_INPUTS;
  let unlisted = 0;
  for (const file of files) {
    if (all || hasNote(file)) write(inputLine(file));
    else unlisted++;
  }
  if (unlisted === 0) return;

  const where =
    db === ':memory:' ? '' : `; the scan_files table of ${db} has a row for every input`;
  const inputs = unlisted === 1 ? 'input' : 'inputs';
  write(`  and ${unlisted} more ${inputs} read whole, without rejections or damage${where}`);
}

/** Tells whether an input failed, was skipped or cut short, or had records rejected or skipped. */
function hasNote(file: InputStats): boolean {
  return (
    file.error !== undefined ||
    file.interrupted === true ||
    file.skipped !== undefined ||
    file.rejected > 0 ||
    file.skippedRecords > 0 ||
    file.damage.length > 0
  );
}

function inputLine(file: InputStats): string {
  if (file.error && file.read === 0) {
    return `  ${file.path}: not read: ${withoutPath(file.error, file.path)}`;
  }
  if (file.interrupted && file.read === 0) {
    return `  ${file.path}: not read: the scan was interrupted first`;
  }
  const format = file.format ? ` [${file.format}]` : '';
  if (file.skipped) return `  ${file.path}${format} skipped: ${file.skipped}`;

  const rejected = Object.entries(file.rejectedByCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const skippedReasons = Object.entries(file.skippedByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const skipped =
    file.skippedRecords > 0 ? `, ${file.skippedRecords} skipped (${skippedReasons})` : '';
  const outOfRange = file.outOfRange > 0 ? `, ${file.outOfRange} outside --since/--until` : '';
  const pages = file.emptyPages === 1 ? 'page' : 'pages';
  const emptyPages = file.emptyPages > 0 ? `, ${file.emptyPages} ${pages} without records` : '';
  const joined = file.events !== file.parsed ? `, joined into ${file.events} events` : '';
  // An input that failed part way (a truncated .gz) keeps the records read before.
  const failed = file.error ? `; then failed: ${withoutPath(file.error, file.path)}` : '';
  const damaged = file.damage.map((reason) => `; damaged: ${reason}`).join('');
  const interrupted = file.interrupted ? '; interrupted before its end' : '';
  return `  ${file.path}${format} ${file.read} read, ${file.parsed} parsed${joined}, ${file.rejected} rejected${rejected ? ` (${rejected})` : ''}${skipped}${outOfRange}${emptyPages}${damaged}${failed}${interrupted}`;
}

/**
 * Returns an input's error without the input's path in front, which the summary line gives
 * already: `a.csv:1: not a … export` reads `line 1: not a … export`.
 */
function withoutPath(error: string, path: string): string {
  if (!error.startsWith(`${path}:`)) return error;
  const rest = error.slice(path.length + 1);
  const location = /^(\d+)(?::(\d+))?: /.exec(rest);
  if (!location) return rest.trimStart();
  const column = location[2] === undefined ? '' : `, column ${location[2]}`;
  return `line ${location[1]}${column}: ${rest.slice(location[0].length)}`;
}
