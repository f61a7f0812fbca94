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

/** Splits one complete CSV row; returns undefined while a quoted value is still open. */
export function splitCsvRow(row: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < row.length; index++) {
    const char = row[index];
    if (quoted) {
      if (char === '"' && row[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  if (quoted) return undefined;
  cells.push(cell);
  return cells;
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

  const emitRow = (text: string, origin: Origin, out: Output) => {
    const cells = splitCsvRow(text) as string[];
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
    const cells = pending.quotes % 2 === 0 ? splitCsvRow(pending.text) : undefined;
    if (
      cells !== undefined &&
      pending.lines.length > 1 &&
      header &&
      header.length !== cells.length
    ) {
      // A stray quote that pairs with a quote rows later joins those rows into one.
      const message = `a quote on this line pairs with one ${pending.lines.length - 1} lines later`;
      giveUp(
        `${message}, into a row of ${cells.length} cells where the header names ${header.length}`,
        out,
      );
    } else if (cells !== undefined) {
      emitRow(pending.text, (pending.lines[0] as { origin: Origin }).origin, out);
      pending = undefined;
    } else if (pending.lines.length >= MAX_ROW_LINES) {
      giveUp(`a quoted value opened on this line is not closed within ${MAX_ROW_LINES} lines`, out);
    }
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
