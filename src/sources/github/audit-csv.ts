import { RecordError } from '../../model/errors.js';
import type { Origin } from '../../model/event.js';
import type { FramedRecord, ParseContext, RecordParser, SourceFormat } from '../format.js';
import { rejectionFrom } from '../format.js';
import type { JsonObject } from '../json-shape.js';
import { githubEvent } from './audit-fields.js';
import { CsvRowScanner, splitCsvRow } from './csv-row.js';

export { splitCsvRow } from './csv-row.js';

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

/**
 * Tests whether a row joined from several lines is a stray quote at a cell start paired with a
 * quote lines later, rather than a value with line breaks. It is when a cell spanning lines has
 * text after its closing quote, which RFC 4180 quoting never writes. Each line must also read as
 * a row of the header's width on its own, the first without its open quote. The last line may
 * instead start a quoted value of its own at its first quote.
 */
function isStrayQuotePair(
  lines: readonly PendingLine[],
  row: CsvRowScanner,
  width: number,
): boolean {
  if (!row.looseMultiLine || row.firstOpenQuote === undefined) return false;

  const first = (lines[0] as PendingLine).text;
  const quote = row.firstOpenQuote;
  if (splitCsvRow(first.slice(0, quote) + first.slice(quote + 1))?.length !== width) return false;

  const last = (lines[lines.length - 1] as PendingLine).text;
  const lastQuote = last.indexOf('"');
  const lastOpensValue = lastQuote === 0 || last[lastQuote - 1] === ',';
  const middle = lines.slice(1, -1);
  return (
    middle.every((line) => line.text.trim() === '' || isRowWide(line.text, width)) &&
    (lastOpensValue || isRowWide(last, width))
  );
}

function isRowWide(line: string, width: number): boolean {
  return splitCsvRow(line)?.length === width;
}

function createParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;
  /** The lines of a row whose quoted value is still open, and the row read so far. */
  let pending: { scanner: CsvRowScanner; lines: PendingLine[] } | undefined;
  let rowLikeWarnings = 0;

  const emitRow = (cells: string[], text: string, origin: Origin, out: Output) => {
    if (!header) {
      header = cells.map((name) => name.trim().replace(/^\uFEFF/, ''));
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
   * Warns when lines inside a quoted value read as rows of the header's width on their own.
   * The value is still read as one, because the export quotes a value with line breaks whole
   * and doubles its quotes, so such a value closes only where it ends. Text in it (a pasted
   * note, a description) may look like rows, and reading those lines as rows would turn text
   * that users write into audit events. A stray quote at a cell start paired with one at a cell
   * end lines later reads the same (Python's csv module joins the lines too), so the warning
   * names the lines, where such damage may have hidden rows.
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
    if (!pending) {
      if (text.trim() === '') return;
      pending = { scanner: new CsvRowScanner(), lines: [] };
    }
    pending.lines.push({ text, origin });
    // Each line is scanned once, so a value left open stays linear in its length.
    if (!pending.scanner.addLine(text)) {
      if (pending.lines.length >= MAX_ROW_LINES) {
        const message = `a quoted value opened on this line is not closed within ${MAX_ROW_LINES} lines`;
        giveUp(message, out);
      }
      return;
    }

    const { scanner: row, lines } = pending;
    if (lines.length > 1 && header) {
      // A stray quote at a cell start pairs with a quote rows later and joins those rows.
      const message = `a quote on this line pairs with one ${linesAway(lines.length - 1)} later`;
      if (row.cells.length !== header.length) {
        const width = `${row.cells.length} cells where the header names ${header.length}`;
        giveUp(`${message}, into a row of ${width}`, out);
        return;
      }
      if (isStrayQuotePair(lines, row, header.length)) {
        const rows = `across lines that read as rows of ${header.length} cells on their own`;
        giveUp(`${message}, ${rows}`, out);
        return;
      }
      warnRowLikeLines(lines, row);
    }

    const joined = lines.map((line) => line.text).join('\n');
    pending = undefined;
    emitRow(row.cells, joined, (lines[0] as PendingLine).origin, out);
  };

  /**
   * Rejects the first line of the pending row, whose quote never closed or closed rows later,
   * and reads the lines after it again as rows of their own. A stray quote in one row would
   * otherwise take every row after it along.
   */
  const giveUp = (message: string, out: Output) => {
    if (!pending) return;
    const [first, ...rest] = pending.lines;
    pending = undefined;
    if (!first) return;
    out.rejections.push({
      code: 'invalid_csv_row',
      message: `${message}; the lines after it are read as rows`,
      origin: first.origin,
      snippet: first.text.slice(0, 120),
    });
    for (const line of rest) take(line.text, line.origin, out);
  };

  return {
    push(record: FramedRecord, out) {
      take(record.value as string, record.origin, out);
    },
    end(out) {
      while (pending) giveUp('a quoted value opened on this line is not closed', out);
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
