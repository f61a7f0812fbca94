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

function createParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;
  let pending: { text: string; origin: Origin; lines: number } | undefined;

  const emitRow = (text: string, origin: Origin, out: Parameters<RecordParser['push']>[1]) => {
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

  return {
    push(record: FramedRecord, out) {
      const line = record.value as string;
      if (pending) {
        pending.text += `\n${line}`;
        pending.lines++;
      } else {
        if (line.trim() === '') return;
        pending = { text: line, origin: record.origin, lines: 1 };
      }
      if (splitCsvRow(pending.text) !== undefined) {
        emitRow(pending.text, pending.origin, out);
        pending = undefined;
      } else if (pending.lines >= MAX_ROW_LINES) {
        out.rejections.push({
          code: 'invalid_csv_row',
          message: `quoted value not closed within ${MAX_ROW_LINES} lines`,
          origin: pending.origin,
          snippet: pending.text.slice(0, 120),
        });
        pending = undefined;
      }
    },
    end(out) {
      if (!pending) return;
      out.rejections.push({
        code: 'invalid_csv_row',
        message: 'the input ends inside a quoted value',
        origin: pending.origin,
        snippet: pending.text.slice(0, 120),
      });
      pending = undefined;
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
