import { RecordError } from '../../model/errors.js';
import type { Origin } from '../../model/event.js';
import type { FramedRecord, ParseContext, RecordParser, SourceFormat } from '../format.js';
import { rejectionFrom } from '../format.js';
import type { JsonObject } from '../json-shape.js';
import { githubEvent } from './audit-fields.js';
import { CsvRowScanner, splitCsvRow } from '../../input/csv-row.js';
import {
  findStrayQuote,
  isRowWide,
  isStrayQuotePair,
  type RowShape,
  rowShapeOf,
  type StrayQuote,
  startsRow,
  strayCellText,
} from '../csv-row-shape.js';

export { splitCsvRow } from '../../input/csv-row.js';

/**
 * The CSV export of the GitHub audit log web UI: a header row of keys (`action`, `actor`,
 * `created_at`, `actor_location.country_code`, `data.hook_id` …), then one entry per row. A
 * quoted value may hold commas, doubled quotes and line breaks, so a row can span lines; its
 * record is the line it starts on. Empty cells are left out, and a cell that contains a JSON array
 * or object (`data.events`) is parsed. Dotted keys stay flat, as rules read them by that name.
 */

function cellValue(cell: string): unknown {
  const trimmed = cell.trim();
  if ((trimmed.startsWith('[') && trimmed.endsWith(']')) || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return cell;
    }
  }
  return cell;
}

/** Rows longer than this many lines are rejected as an unclosed quote. */
const MAX_ROW_LINES = 1000;

/** Warnings per input about quoted values whose lines read as rows; the rest are counted. */
const MAX_ROW_LIKE_WARNINGS = 10;

type Output = Parameters<RecordParser['push']>[1];

interface PendingLine {
  text: string;
  origin: Origin;
}

/** The lines of a row whose quoted value is still open, and the row read so far. */
interface PendingRow {
  scanner: CsvRowScanner;
  lines: PendingLine[];
  /**
   * A stray quote on the first line that the scanner reads as text. It paired with a later
   * quote on the line, which then opens a value with line breaks. The row is rejected for it.
   */
  stray?: StrayQuote;
}

/** Message text for a stray quote that closes at the next quote on its own line. */
const PAIRED_ON_LINE = 'pairs with a quote later on the line';

function createParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;
  let shape: RowShape | undefined;
  /** A row whose lines are all read leaves this, so a pending row always has a value open. */
  let pending: PendingRow | undefined;
  let rowLikeWarnings = 0;

  const emitRow = (cells: string[], text: string, origin: Origin, out: Output) => {
    if (!header) {
      header = cells.map((name) => name.trim().replace(/^\uFEFF/, ''));
      shape = rowShapeOf(header);
      return;
    }
    try {
      if (cells.length !== header.length) {
        throw new RecordError(
          'invalid_csv_row',
          `row has ${cells.length} cells, the header names ${header.length}`,
          undefined,
          text.slice(0, 120),
        );
      }
      const fields: JsonObject = {};
      header.forEach((name, index) => {
        const cell = cells[index] as string;
        if (cell !== '') fields[name] = cellValue(cell);
      });
      if (typeof fields.action !== 'string') {
        throw new RecordError(
          'unexpected_shape',
          'row has no action',
          undefined,
          text.slice(0, 120),
        );
      }
      out.events.push(githubEvent('github-audit-csv', fields, origin, context));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, origin));
    }
  };

  /**
   * Warns when lines inside a quoted value read as rows of the header's width on their own,
   * though not as audit entries (no action or time where the header has them). Lines that do
   * read as entries end the value before they are reached (see `take`). The value is still read
   * as one, because the export quotes a value with line breaks whole and doubles its quotes, so
   * such a value closes only where it ends. A stray quote at a cell start paired with one at a
   * cell end lines later reads the same (Python's csv module joins the lines too), so the
   * warning names the lines, where such damage may have hidden rows.
   * NOTE: GitHub's documentation does not describe the export's quoting. RFC 4180 quoting is
   * assumed, as the test fixture writes it.
   */
  const warnRowLikeLines = (lines: readonly PendingLine[], row: CsvRowScanner) => {
    const width = (header as string[]).length;
    const inside = lines.slice(1).filter((line) => isRowWide(line.text, width));
    const firstInside = inside[0];
    if (!firstInside) return;
    if (++rowLikeWarnings > MAX_ROW_LIKE_WARNINGS) return;

    const first = lines[0] as PendingLine;
    const lineIndex = lines.indexOf(firstInside);
    const cell = row.cellLines.filter((start) => start < lineIndex).length - 1;
    const key = `${first.origin.line}`;
    if (!firstRowLikeWarning(context.logger, context.file, key)) return;
    context.logger.warn(
      'a quoted CSV value contains lines that read as rows on their own; they are read as part ' +
        'of the value, so check them for a stray quote',
      {
        file: context.file,
        line: first.origin.line,
        column: header?.[cell],
        row_like_lines: inside.map((line) => line.origin.line).join(', '),
      },
    );
  };

  const take = (text: string, origin: Origin, out: Output) => {
    // A value still open where a row starts was opened by a stray quote: the export quotes a
    // value with line breaks whole, and text in a value rarely reads as a whole audit entry.
    // NOTE: a value that a user wrote with lines that read as entries (an action, a time and
    // the header's width) is split into those rows too, which the rejected lines around them
    // show.
    if (pending && shape && startsRow(text, shape)) {
      const where = `is not closed before line ${origin.line}, which starts a row`;
      while (pending) rejectOpenValue(where, out);
    }

    if (!pending) {
      if (text.trim() === '') return;
      pending = { scanner: new CsvRowScanner(), lines: [] };
    }
    pending.lines.push({ text, origin });
    // Each line is scanned once, so a value left open stays linear in its length.
    if (!pending.scanner.addLine(text)) {
      if (pending.lines.length >= MAX_ROW_LINES) {
        rejectOpenValue(`is not closed within ${MAX_ROW_LINES} lines`, out);
      }
      return;
    }

    const { scanner: row, lines } = pending;
    if (header && lines.length === 1 && row.cells.length !== header.length) {
      const stray = findStrayQuote(text, header.length);
      if (stray?.spans) {
        // Read as text, the stray quote leaves a later quote opening a value with line breaks.
        const scanner = new CsvRowScanner(stray.quote);
        scanner.addLine(text);
        pending = { scanner, lines, stray };
        return;
      }
      if (stray) {
        const width = `${row.cells.length} cells where the header names ${header.length}`;
        rejectStrayQuote(1, stray, `${PAIRED_ON_LINE}, into a row of ${width}`, out);
        return;
      }
    }
    if (header && lines.length > 1) {
      if (rejectJoinedRow(out)) return;
      warnRowLikeLines(lines, row);
    }

    const joined = lines.map((line) => line.text).join('\n');
    pending = undefined;
    emitRow(row.cells, joined, (lines[0] as PendingLine).origin, out);
  };

  /**
   * Rejects the pending row, complete over several lines, when a stray quote on its first line
   * joined them, and returns whether it did.
   */
  const rejectJoinedRow = (out: Output): boolean => {
    const { scanner: row, lines, stray } = pending as PendingRow;
    const width = (header as string[]).length;
    const later = `${linesAway(lines.length - 1)} later`;
    if (stray) {
      const reason = `${PAIRED_ON_LINE}, which then opens a value that closes ${later}`;
      rejectStrayQuote(lines.length, stray, reason, out);
      return true;
    }

    // A stray quote at a cell start pairs with a quote lines later and joins those lines.
    const first = { line: 0, quote: row.firstOpenQuote ?? 0, cell: row.firstOpenCell ?? 0 };
    const paired = `pairs with a quote ${later}`;
    if (row.cells.length !== width) {
      const cells = `${row.cells.length} cells where the header names ${width}`;
      rejectStrayQuote(1, first, `${paired}, into a row of ${cells}`, out);
      return true;
    }
    if (isStrayQuotePair(lines, row, width)) {
      const rows = `across lines that read as rows of ${width} cells on their own`;
      rejectStrayQuote(1, first, `${paired}, ${rows}`, out);
      return true;
    }
    return false;
  };

  /** Rejects the pending row at the quote of its open value; see `rejectStrayQuote`. */
  const rejectOpenValue = (where: string, out: Output) => {
    const row = pending;
    const open = row?.scanner.openValue;
    if (!row || !open) throw new Error('a pending CSV row has no open value');
    if (row.stray) {
      const reason = `${PAIRED_ON_LINE}, which then opens a value that ${where}`;
      rejectStrayQuote(open.line + 1, row.stray, reason, out);
    } else {
      rejectStrayQuote(open.line + 1, open, where, out);
    }
  };

  const cellName = (cell: number) => {
    const column = header?.[cell];
    return column === undefined ? `cell ${cell + 1}` : `the ${column} cell`;
  };

  /**
   * Rejects the first `rowLines` lines of the pending row for its stray quote, with `reason`
   * after the quote's cell, then reads the lines after them again. So a stray quote costs its
   * own row only. The row is rejected rather than read with the quote as text, because its cell
   * would then not be what GitHub wrote: a quote was added, or the value's closing quote and
   * maybe more text were lost. Rules and baselines compare values exactly. The rejection is
   * counted and logged with the line and the cell's text.
   */
  const rejectStrayQuote = (rowLines: number, stray: StrayQuote, reason: string, out: Output) => {
    const lines = pending?.lines ?? [];
    pending = undefined;
    const row = lines.slice(0, rowLines);
    const rest = lines.slice(rowLines);
    const first = row[0];
    const quoteLine = row[stray.line];
    if (!first || !quoteLine) return;

    const cell = `${cellName(stray.cell)} (${strayCellText(quoteLine.text, stray.quote)})`;
    const readAgain = rest.some((next) => next.text.trim() !== '');
    const after = readAgain ? '; the lines after it are read as rows' : '';
    out.rejections.push({
      code: 'invalid_csv_row',
      message: `a quote opens ${cell} and ${reason}${after}`,
      origin: first.origin,
      snippet: row
        .map((next) => next.text)
        .join('\n')
        .slice(0, 120),
    });
    for (const next of rest) take(next.text, next.origin, out);
  };

  return {
    push(record: FramedRecord, out) {
      take(record.value as string, record.origin, out);
    },
    end(out) {
      while (pending) rejectOpenValue('is not closed before the end of the input', out);
      if (rowLikeWarnings > MAX_ROW_LIKE_WARNINGS) {
        context.logger.warn('more quoted CSV values contain lines that read as rows', {
          file: context.file,
          values_total: rowLikeWarnings,
        });
      }
    },
  };
}

/** Lines already warned about, per logger and input. */
const warnedLines = new WeakMap<object, Map<string, Set<string>>>();

/**
 * Notes a warning about `key` of `file` and returns false when `logger` already has it. A scan
 * parses each input's head once to find its first event time and again with the rest, so a
 * head row would be warned about twice.
 */
function firstRowLikeWarning(logger: object, file: string, key: string): boolean {
  const files = warnedLines.get(logger) ?? new Map<string, Set<string>>();
  warnedLines.set(logger, files);
  const keys = files.get(file) ?? new Set<string>();
  files.set(file, keys);
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

export const githubAuditCsvFormat: SourceFormat = {
  name: 'github-audit-csv',
  description: 'GitHub audit log CSV export of the web UI (header row of keys, one entry per row)',
  framing: 'lines',
  detect(sample) {
    const first = sample.text?.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
    if (first === undefined || first.trimStart().startsWith('{')) return 0;
    const columns = new Set((splitCsvRow(first) ?? []).map((name) => name.trim()));
    const hasTime = columns.has('created_at') || columns.has('@timestamp');
    return columns.has('action') && columns.has('actor') && hasTime ? 0.9 : 0;
  },
  createParser,
};

/** Names a distance in lines: `1 line`, `3 lines`. */
function linesAway(count: number): string {
  return count === 1 ? '1 line' : `${count} lines`;
}
