/** The rows of the benchmark and the one table they print as. */

export interface Row {
  /** Row group, 1 to 7, as bench/README.md numbers them. */
  group: number;
  label: string;
  events: number;
  /** Median wall seconds over `runs`. */
  seconds: number;
  runs: number;
  cpuSeconds?: number | undefined;
  peakRssMiB?: number | undefined;
  /** Events per second of the bare ceiling on the same input, for the ratio column. */
  ceilingRate?: number | undefined;
  /** The ratio to the ceiling measured in pairs, which the table shows when it is set. */
  ceilingRatio?: number | undefined;
  note?: string;
}

const HEADER = [
  '#',
  'row',
  'events',
  'runs',
  'wall s',
  'events/s',
  '× ceiling',
  'CPU s',
  'peak RSS',
];

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Formats a count with its noun: `1 copy`, `5,671 alerts`. */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${integer(count)} ${count === 1 ? singular : plural}`;
}

function cells(row: Row): string[] {
  const rate = row.events / row.seconds;
  return [
    String(row.group),
    row.label,
    integer(row.events),
    String(row.runs),
    row.seconds.toFixed(2),
    integer(rate),
    ratioCell(row, rate),
    row.cpuSeconds === undefined ? '—' : row.cpuSeconds.toFixed(1),
    row.peakRssMiB === undefined ? '—' : `${integer(row.peakRssMiB)} MiB`,
  ];
}

/** Renders the rows as a Markdown table; numbers are right-aligned, each note in its own column. */
export function renderTable(rows: readonly Row[]): string[] {
  const body = rows.map((row) => [...cells(row), row.note ?? '']);
  const header = [...HEADER, 'notes'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((line) => (line[column] as string).length)),
  );
  const leftAligned = new Set([1, header.length - 1]);
  const format = (line: string[]) =>
    `| ${line
      .map((text, column) => {
        const width = widths[column] as number;
        return leftAligned.has(column) ? text.padEnd(width) : text.padStart(width);
      })
      .join(' | ')} |`;
  const rule = `|${widths
    .map((width, column) =>
      leftAligned.has(column) ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`,
    )
    .join('|')}|`;
  return [format(header), rule, ...body.map(format)];
}

/** Formats the row's ratio to the ceiling: the one measured in pairs if any, else by rates. */
function ratioCell(row: Row, rate: number): string {
  if (row.ceilingRatio !== undefined) return row.ceilingRatio.toFixed(3);
  return row.ceilingRate === undefined ? '—' : (rate / row.ceilingRate).toFixed(3);
}
