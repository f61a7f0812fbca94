import { parseAnyTime } from '../model/time.js';
import { isValidTime } from './record-time.js';
import { CsvRowScanner, splitCsvRow } from '../input/csv-row.js';

/**
 * Tests on the lines of a GitHub audit log CSV export. A quote at the start of a cell opens a
 * value that may span lines, so a stray quote there makes the rows after it part of its value.
 * These tests tell such rows from the lines of a real value: a row has the header's width, and
 * its `action` and time cells read as an audit entry's.
 */

/** GitHub names actions by category and operation: `repo.create`, `org.config.enable_sso`. */
const ACTION_PATTERN = /^[\w-]+(\.[\w-]+)+$/;

/** Header columns that hold an entry's time; `detect` requires one of them. */
const TIME_COLUMNS = ['@timestamp', 'created_at'];

/** The header's width, and the columns whose cells tell an audit entry's row. */
export interface RowShape {
  width: number;
  /** Index of the `action` column, or -1 when the header has none. */
  action: number;
  /** Indexes of the time columns. */
  times: number[];
}

export function rowShapeOf(header: readonly string[]): RowShape {
  const times = TIME_COLUMNS.map((name) => header.indexOf(name)).filter((index) => index >= 0);
  return { width: header.length, action: header.indexOf('action'), times };
}

function isTimeText(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '' && isValidTime(parseAnyTime(text));
}

/**
 * Tests whether `cells` hold an action and a readable time, for the columns that the header
 * has. A cell past the end of `cells` fails the test.
 */
function hasEntryCells(cells: readonly string[], shape: RowShape): boolean {
  if (shape.action >= 0 && !ACTION_PATTERN.test(cells[shape.action] ?? '')) return false;
  return shape.times.length === 0 || shape.times.some((index) => isTimeText(cells[index]));
}

/**
 * Tests whether a line, read on its own, starts an audit entry's row. A row of the header's
 * width with an action and a time does. So does the first line of such a row whose quoted value
 * spans lines, and a line that is such a row once its own open quote is removed. When the
 * header has neither an `action` nor a time column, the header's width is enough.
 */
export function startsRow(line: string, shape: RowShape): boolean {
  const scanner = new CsvRowScanner();
  if (scanner.addLine(line)) {
    return scanner.cells.length === shape.width && hasEntryCells(scanner.cells, shape);
  }

  // The cells before a value that spans lines must contain the action and a time.
  const hasEntryColumns = shape.action >= 0 || shape.times.length > 0;
  const before = scanner.cells;
  if (hasEntryColumns && before.length < shape.width && hasEntryCells(before, shape)) return true;

  const quote = scanner.openValue?.quote ?? 0;
  const cells = splitCsvRow(line.slice(0, quote) + line.slice(quote + 1));
  return cells?.length === shape.width && hasEntryCells(cells, shape);
}

export function isRowWide(line: string, width: number): boolean {
  return splitCsvRow(line)?.length === width;
}

interface RowLine {
  text: string;
}

/**
 * Tests whether a row joined from several lines is a stray quote at a cell start paired with a
 * quote lines later, rather than a value with line breaks. It is when a cell spanning lines has
 * text after its closing quote, which RFC 4180 quoting never writes. Each line must also read as
 * a row of the header's width on its own, the first without its open quote. The last line may
 * instead start a quoted value of its own at its first quote.
 */
export function isStrayQuotePair(
  lines: readonly RowLine[],
  row: CsvRowScanner,
  width: number,
): boolean {
  if (!row.looseMultiLine || row.firstOpenQuote === undefined) return false;

  const first = (lines[0] as RowLine).text;
  const quote = row.firstOpenQuote;
  if (splitCsvRow(first.slice(0, quote) + first.slice(quote + 1))?.length !== width) return false;

  const last = (lines[lines.length - 1] as RowLine).text;
  const lastQuote = last.indexOf('"');
  const lastOpensValue = lastQuote === 0 || last[lastQuote - 1] === ',';
  const middle = lines.slice(1, -1);
  return (
    middle.every((line) => line.text.trim() === '' || isRowWide(line.text, width)) &&
    (lastOpensValue || isRowWide(last, width))
  );
}

/** Quotes at cell starts that `findStrayQuote` tries, so that a long damaged line stays cheap. */
const MAX_STRAY_QUOTE_TRIES = 16;

/** A quote at a cell start that opens a value it should not. */
export interface StrayQuote {
  /** Index among the row's lines of the line that contains the quote. */
  line: number;
  /** Index of the quote in that line. */
  quote: number;
  /** Index of the cell that the quote opens. */
  cell: number;
}

/**
 * Finds the quote at a cell start that gives a one-line row the wrong width, because it opens a
 * value that a later quote on the line closes. It is the first such quote that, read as text,
 * leaves a row of `width` cells, or a row whose value at a later quote goes on over the next
 * lines (`spans`), as a value with line breaks does.
 */
export function findStrayQuote(
  line: string,
  width: number,
): (StrayQuote & { spans: boolean }) | undefined {
  let tries = 0;
  for (let quote = line.indexOf('"'); quote >= 0; quote = line.indexOf('"', quote + 1)) {
    if (quote > 0 && line[quote - 1] !== ',') continue;
    if (++tries > MAX_STRAY_QUOTE_TRIES) return undefined;
    // The text before a quote at a cell start ends with its cell's empty start.
    const before = splitCsvRow(line.slice(0, quote));
    if (before === undefined) continue;

    const scanner = new CsvRowScanner(quote);
    const ends = scanner.addLine(line);
    const cell = before.length - 1;
    if (ends && scanner.cells.length === width) return { line: 0, quote, cell, spans: false };
    if (!ends && scanner.cells.length < width) return { line: 0, quote, cell, spans: true };
  }
  return undefined;
}

/** Maximum length of the cell text that a message shows. */
const MAX_CELL_TEXT = 40;

/**
 * Returns the text of a cell that a stray quote opens, as written: from the quote to the next
 * comma on its line, since a cell read with its quote as text ends there.
 */
export function strayCellText(line: string, quote: number): string {
  const comma = line.indexOf(',', quote);
  const text = line.slice(quote, comma < 0 ? line.length : comma);
  return text.length > MAX_CELL_TEXT ? `${text.slice(0, MAX_CELL_TEXT)}…` : text;
}
