import { RecordError } from '../model/errors.js';
import type { Event, Origin } from '../model/event.js';
import { invalidHeaderError, readCsvHeader, warnDamagedHeader } from './csv-header.js';
import type { RowShape } from './csv-row-shape.js';
import { type CsvLine, type CsvRow, CsvRowReader } from './csv-rows.js';
import type { ParseContext, ParseOutput, RecordParser } from './format.js';
import { rejectionFrom } from './format.js';

/**
 * The parser of a CSV export whose first line that is not blank names the columns, and whose
 * every row after it is one entry (the GitHub audit log export, EvtxECmd's output). Rows of
 * another width than the header's are rejected as `invalid_csv_row`.
 */

export interface HeaderCsvOptions {
  /** Name of the export in messages, such as `GitHub audit log CSV export`. */
  title: string;
  /** Tests whether header names are the export's; a damaged header must pass it to be read. */
  namesColumns(names: readonly string[]): boolean;
  /** Reason given when a damaged header fails `namesColumns`, such as `names no action …`. */
  missingColumns: string;
  rowShape(header: readonly string[]): RowShape;
  /** Rows longer than this many lines are rejected as an unclosed quote. */
  maxRowLines: number;
  /** Builds the event of a row, its cells by column name; a `RecordError` rejects the row. */
  toEvent(row: Record<string, string>, origin: Origin, snippet: string): Event;
}

/** Maximum length of the row text that a rejection shows. */
const SNIPPET_LENGTH = 120;

/** Returns the column names of a sample's first line, or undefined when it is JSON or absent. */
export function sampleHeaderNames(text: string | undefined): string[] | undefined {
  const first = text?.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
  if (first === undefined || first.trimStart().startsWith('{')) return undefined;
  return readCsvHeader(first).names.map((name) => name.trim());
}

export function headerCsvParser(context: ParseContext, options: HeaderCsvOptions): RecordParser {
  let header: string[] | undefined;

  /**
   * Reads the header from the first line that is not blank. A header with damaged quotes is read
   * without them when its names are then the export's, and the input fails otherwise, because
   * no row can be read without it.
   */
  const readHeader = (line: string, lineNumber: number) => {
    if (line.trim() === '') return;

    const text = line.replace(/^\uFEFF/, '');
    const read = readCsvHeader(text);
    const names = read.names.map((name) => name.trim());
    if (read.damage !== undefined) {
      if (!options.namesColumns(names)) {
        const reason = options.missingColumns;
        throw invalidHeaderError(context, lineNumber, text, options.title, read, reason);
      }
      warnDamagedHeader(context, lineNumber, text, read);
    }
    header = names;
    reader.setHeader(names, options.rowShape(names));
  };

  const emitRow = ({ cells, lines }: CsvRow, out: ParseOutput) => {
    // The reader receives lines only once the header is read.
    if (!header) return;
    const snippet = lines
      .map((line) => line.text)
      .join('\n')
      .slice(0, SNIPPET_LENGTH);
    const origin = (lines[0] as CsvLine).origin;
    try {
      if (cells.length !== header.length) {
        const message = `row has ${cells.length} cells, the header names ${header.length}`;
        throw new RecordError('invalid_csv_row', message, undefined, snippet);
      }
      const row: Record<string, string> = {};
      header.forEach((name, index) => {
        row[name] = cells[index] as string;
      });
      out.events.push(options.toEvent(row, origin, snippet));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, origin));
    }
  };

  const reader = new CsvRowReader({
    context,
    code: 'invalid_csv_row',
    maxRowLines: options.maxRowLines,
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
