import { RecordError } from '../../model/errors.js';
import { invalidHeaderError, readCsvHeader, warnDamagedHeader } from '../csv-header.js';
import { type CsvLine, type CsvRow, CsvRowReader } from '../csv-rows.js';
import type { ParseContext, ParseOutput, RecordParser, SourceFormat } from '../format.js';
import { rejectionFrom } from '../format.js';
import type { JsonObject } from '../json-shape.js';
import { githubRowShape } from './audit-csv-shape.js';
import { githubEvent } from './audit-fields.js';

export { splitCsvRow } from '../../input/csv-row.js';

/**
 * The CSV export of the GitHub audit log web UI: a header row of keys (`action`, `actor`,
 * `created_at`, `actor_location.country_code`, `data.hook_id` …), then one entry per row. A
 * quoted value may hold commas, doubled quotes and line breaks, so a row can span lines; its
 * record is the line it starts on. Empty cells are left out, and a cell that contains a JSON array
 * or object (`data.events`) is parsed. Dotted keys stay flat, as rules read them by that name.
 * A quote inside a cell is read as text. A stray quote at a cell start costs its own row only
 * (see `CsvRowReader`).
 * NOTE: GitHub's documentation does not describe the export's quoting. RFC 4180 quoting is
 * assumed, as the test fixture writes it.
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

/** Tests whether header names are the keys of an audit log export, as `detect` requires. */
function namesAuditKeys(names: readonly string[]): boolean {
  const keys = new Set(names);
  const hasTime = keys.has('created_at') || keys.has('@timestamp');
  return keys.has('action') && keys.has('actor') && hasTime;
}

const FORMAT_TITLE = 'GitHub audit log CSV export';

function createParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;

  /**
   * Reads the header from the first line that is not blank. A header with damaged quotes is read
   * without them when its names are then an export's keys, and the input fails otherwise, because
   * no row can be read without it.
   */
  const readHeader = (line: string, lineNumber: number) => {
    if (line.trim() === '') return;

    const text = line.replace(/^\uFEFF/, '');
    const read = readCsvHeader(text);
    const names = read.names.map((name) => name.trim());
    if (read.damage !== undefined) {
      if (!namesAuditKeys(names)) {
        const reason = 'names no action, actor and created_at or @timestamp key';
        throw invalidHeaderError(context, lineNumber, text, FORMAT_TITLE, read, reason);
      }
      warnDamagedHeader(context, lineNumber, text, read);
    }
    header = names;
    reader.setHeader(names, githubRowShape(names));
  };

  const emitRow = ({ cells, lines }: CsvRow, out: ParseOutput) => {
    // The reader receives lines only once the header is read.
    if (!header) return;
    const text = lines.map((line) => line.text).join('\n');
    const origin = (lines[0] as CsvLine).origin;
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

  const reader = new CsvRowReader({
    context,
    code: 'invalid_csv_row',
    maxRowLines: MAX_ROW_LINES,
    maxRowLength: context.settings.limits.maxRecordLength,
    strictQuotes: false,
    onRow: emitRow,
    onReject: (rejection, out) => out.rejections.push(rejection),
  });

  return {
    push(record, out) {
      const line = record.value as string;
      if (header) reader.push(line, record.origin, out);
      else readHeader(line, record.origin.line ?? 0);
    },
    end(out) {
      reader.end(out);
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
    return namesAuditKeys(readCsvHeader(first).names.map((name) => name.trim())) ? 0.9 : 0;
  },
  createParser,
};
