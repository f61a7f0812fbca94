import { RecordError } from '../../model/errors.js';
import type { Origin } from '../../model/event.js';
import type { FramedRecord, ParseContext, RecordParser, SourceFormat } from '../format.js';
import { rejectionFrom } from '../format.js';
import type { JsonObject } from '../json-shape.js';
import { githubEvent } from './audit-fields.js';

/**
 * The CSV export of the GitHub audit log web UI: a header row of keys (`action`, `actor`,
 * `created_at`, `actor_location.country_code`, `data.hook_id` …), then one entry per row. A
 * quoted value may hold commas, doubled quotes and line breaks, so a row can span lines; its
 * record is the line it starts on. Empty cells are left out, and a cell that contains a JSON array
 * or object (`data.events`) is parsed. Dotted keys stay flat, as rules read them by that name.
 */

/** The cells of a CSV row, the span of each in the row's text, and the quote left open. */
interface ScannedRow {
  cells: string[];
  /** Start and end of each cell's text in the row, its quotes included. */
  spans: [number, number][];
  /** Index of the quote whose value is still open at the end of the text. */
  openQuote: number | undefined;
}

function scanCsvRow(row: string): ScannedRow {
  const cells: string[] = [];
  const spans: [number, number][] = [];
  let cell = '';
  let start = 0;
  let openQuote: number | undefined;
  for (let index = 0; index < row.length; index++) {
    const char = row[index];
    if (openQuote !== undefined) {
      if (char === '"' && row[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') {
        openQuote = undefined;
      } else {
        cell += char;
      }
    } else if (char === '"') {
      openQuote = index;
    } else if (char === ',') {
      cells.push(cell);
      spans.push([start, index]);
      cell = '';
      start = index + 1;
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  spans.push([start, row.length]);
  return { cells, spans, openQuote };
}

/** Splits one complete CSV row; returns undefined while a quoted value is still open. */
export function splitCsvRow(row: string): string[] | undefined {
  const scanned = scanCsvRow(row);
  return scanned.openQuote === undefined ? scanned.cells : undefined;
}

/** A value with line breaks as the export writes it: the whole cell quoted, inner quotes doubled. */
const QUOTED_CELL = /^"(?:[^"]|"")*"$/;

/**
 * Tests whether a row joined from several lines is a stray quote paired with a quote lines later
 * rather than a value with line breaks. It is when a cell spanning lines is not quoted as the
 * export quotes such values, and each line reads as a row of the same width on its own. The
 * first line is read without its open quote and the lines between as they are. The last line is
 * read without its first quote, unless that quote starts a cell. Such a quote may open a real
 * value, so then `lastIsStray` is false and the line is read again.
 */
function strayQuotePair(
  lines: readonly string[],
  joined: ScannedRow,
  text: string,
): { lastIsStray: boolean } | undefined {
  const width = joined.cells.length;
  const rawCells = joined.spans.map(([start, end]) => text.slice(start, end));
  if (rawCells.every((cell) => !cell.includes('\n') || QUOTED_CELL.test(cell))) return undefined;

  const first = lines[0] as string;
  const last = lines[lines.length - 1] as string;
  const firstQuote = scanCsvRow(first).openQuote;
  const lastQuote = last.indexOf('"');
  const opensValue = lastQuote === 0 || last[lastQuote - 1] === ',';
  const isPair =
    firstQuote !== undefined &&
    widthWithout(first, firstQuote) === width &&
    lines.slice(1, -1).every((line) => line.trim() === '' || splitCsvRow(line)?.length === width) &&
    (opensValue || widthWithout(last, lastQuote) === width);
  return isPair ? { lastIsStray: !opensValue } : undefined;
}

/** Returns the cell count of a line with the quote at `index` dropped. */
function widthWithout(line: string, index: number): number | undefined {
  return splitCsvRow(line.slice(0, index) + line.slice(index + 1))?.length;
}

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

function countQuotes(text: string): number {
  let count = 0;
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) count++;
  return count;
}

function createParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;
  /**
   * The lines of a row whose quoted value is still open, their text joined, and the number of
   * quotes in them: a row ends on a line that makes it even.
   */
  let pending:
    | { text: string; lines: { text: string; origin: Origin }[]; quotes: number }
    | undefined;
  type Output = Parameters<RecordParser['push']>[1];

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

  const take = (text: string, origin: Origin, out: Output) => {
    if (pending) {
      pending.text += `\n${text}`;
      pending.lines.push({ text, origin });
      pending.quotes += countQuotes(text);
    } else {
      if (text.trim() === '') return;
      pending = { text, lines: [{ text, origin }], quotes: countQuotes(text) };
    }
    // Counting a line's quotes keeps a long open value linear: splitting the joined text again
    // for each line took 44 s for 20,000 rows with 40 stray quotes.
    const row = pending.quotes % 2 === 0 ? scanCsvRow(pending.text) : undefined;
    if (row !== undefined && pending.lines.length > 1 && header) {
      // A stray quote that pairs with a quote rows later joins those rows into one.
      const span = pending.lines.length - 1;
      const message = `a quote on this line pairs with one ${linesAway(span)} later`;
      if (header.length !== row.cells.length) {
        const width = `${row.cells.length} cells where the header names ${header.length}`;
        giveUp(`${message}, into a row of ${width}`, out);
        return;
      }
      const lines = pending.lines.map((line) => line.text);
      const pair = strayQuotePair(lines, row, pending.text);
      if (pair) {
        const rows = `across lines that read as rows of ${header.length} cells on their own`;
        const lastMessage = `a quote on this line pairs with one ${linesAway(span)} earlier, ${rows}`;
        giveUp(`${message}, ${rows}`, out, pair.lastIsStray ? lastMessage : undefined);
        return;
      }
    }

    if (row !== undefined) {
      emitRow(row.cells, pending.text, (pending.lines[0] as { origin: Origin }).origin, out);
      pending = undefined;
    } else if (pending.lines.length >= MAX_ROW_LINES) {
      giveUp(`a quoted value opened on this line is not closed within ${MAX_ROW_LINES} lines`, out);
    }
  };

  /**
   * Rejects the first line of the pending row, whose quote never closed or closed rows later,
   * and reads the lines after it again as rows of their own. A stray quote in one row would
   * otherwise take every row after it along. With `lastMessage`, the last line is rejected too,
   * since its quote is the stray one that paired with the first.
   */
  const giveUp = (message: string, out: Output, lastMessage?: string) => {
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
    const last = lastMessage === undefined ? undefined : rest.pop();
    for (const line of rest) take(line.text, line.origin, out);
    if (!last) return;
    out.rejections.push({
      code: 'invalid_csv_row',
      message: lastMessage as string,
      origin: last.origin,
      snippet: last.text.slice(0, 120),
    });
  };

  return {
    push(record: FramedRecord, out) {
      take(record.value as string, record.origin, out);
    },
    end(out) {
      while (pending) giveUp('a quoted value opened on this line is not closed', out);
    },
  };
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
