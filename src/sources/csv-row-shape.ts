import { CsvRowScanner, splitCsvRow } from '../input/csv-row.js';

/**
 * Tests on the lines of a CSV export of log entries. A quote at the start of a cell opens a value
 * that may span lines, so a stray quote there makes the rows after it part of its value. These
 * tests tell such rows from the lines of a real value: a row has the header's width, and its
 * cells read as an entry's, which each format's `RowShape` decides.
 */

/** The header's width, and each format's tests for the cells that start an entry's row. */
export interface RowShape {
  width: number;
  /** Tests whether the cells of a one-line row of `width` cells are an entry's. */
  isEntry(cells: readonly string[]): boolean;
  /**
   * Tests whether a line whose last cell opens a quoted value that goes on over the next lines
   * starts an entry's row. `cells` are the cells before that value, and `value` is the text
   * after its opening quote on the line, as written.
   */
  startsEntry(cells: readonly string[], value: string): boolean;
  /**
   * Tests whether a line is one that only the inside of a quoted value has, and that no row of
   * the export starts with. After a row rejected for its quotes, such lines are counted in its
   * rejection rather than read as rows of their own. Without it, every line is read as a row.
   */
  isValueLine?(line: string): boolean;
}

/**
 * Tests whether a line, read on its own, starts an entry's row. A row of the header's width
 * whose cells are an entry's does, and so does the first line of such a row whose quoted value
 * spans lines. A line that is such a row once its own open quote is removed does too.
 */
export function startsRow(line: string, shape: RowShape): boolean {
  const scanner = new CsvRowScanner();
  if (scanner.addLine(line)) {
    return scanner.cells.length === shape.width && shape.isEntry(scanner.cells);
  }

  const quote = scanner.openValue?.quote ?? 0;
  if (
    scanner.cells.length < shape.width &&
    shape.startsEntry(scanner.cells, line.slice(quote + 1))
  ) {
    return true;
  }

  const cells = splitCsvRow(line.slice(0, quote) + line.slice(quote + 1));
  return cells?.length === shape.width && shape.isEntry(cells);
}

/**
 * Tests whether a quoted value, still open at a line that starts a row and closed lines later, is
 * one value with line breaks rather than a stray quote's value. It is when the value closes as an
 * RFC 4180 writer closes it: its row has the header's width and no quote that RFC 4180 does not
 * allow. Two stray quotes can close a value that way too: one at a cell start of an entry's row
 * and one at a cell end of a later entry's row. So the value is not one when each of those two
 * lines starts a row without that quote.
 * NOTE: a value with line breaks whose first and last lines read as entries once their quotes are
 * removed is read as two stray quotes, because its text cannot tell them apart.
 */
export function isWholeValue(
  lines: readonly RowLine[],
  row: CsvRowScanner,
  open: StrayQuote,
  shape: RowShape,
): boolean {
  if (row.cells.length !== shape.width || row.invalidQuote !== undefined) return false;

  const opening = (lines[open.line] as RowLine).text;
  if (!startsRow(withoutCharAt(opening, open.quote), shape)) return true;

  // The cell after the value starts on the line that closes it, or the value is the row's last.
  const closing = (lines[row.cellLines[open.cell + 1] ?? lines.length - 1] as RowLine).text;
  return !startsRow(withoutCharAt(closing, closingQuote(closing)), shape);
}

/**
 * Returns the index of the quote that closes a value open at the start of the line: the first
 * quote that is not one of a doubled pair.
 */
function closingQuote(line: string): number {
  let quote = line.indexOf('"');
  while (quote >= 0 && line.charCodeAt(quote + 1) === 0x22) quote = line.indexOf('"', quote + 2);
  return quote;
}

function withoutCharAt(text: string, index: number): string {
  return index < 0 ? text : text.slice(0, index) + text.slice(index + 1);
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

/** Quotes at cell starts that a search for a stray quote tries, so a long line stays cheap. */
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

/** Yields the first quotes at cell starts on a line, with the index of the cell each opens. */
function* cellStartQuotes(line: string): Generator<StrayQuote> {
  let tries = 0;
  for (let quote = line.indexOf('"'); quote >= 0; quote = line.indexOf('"', quote + 1)) {
    if (quote > 0 && line[quote - 1] !== ',') continue;
    if (++tries > MAX_STRAY_QUOTE_TRIES) return;
    // The text before a quote at a cell start ends with its cell's empty start.
    const before = splitCsvRow(line.slice(0, quote));
    if (before !== undefined) yield { line: 0, quote, cell: before.length - 1 };
  }
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
  for (const stray of cellStartQuotes(line)) {
    const scanner = new CsvRowScanner(stray.quote);
    const ends = scanner.addLine(line);
    if (ends && scanner.cells.length === width) return { ...stray, spans: false };
    if (!ends && scanner.cells.length < width) return { ...stray, spans: true };
  }
  return undefined;
}

/**
 * Finds the quote at a cell start on the first line of a row joined from several lines that
 * gives the row the wrong width. Read as text, it leaves a row of `width` cells that ends on the
 * last line, because a later quote on the first line opens the value that spans the lines.
 */
export function findJoinedStrayQuote(
  lines: readonly RowLine[],
  width: number,
): StrayQuote | undefined {
  for (const stray of cellStartQuotes((lines[0] as RowLine).text)) {
    const scanner = new CsvRowScanner(stray.quote);
    const ends = lines.findIndex((line) => scanner.addLine(line.text));
    if (ends === lines.length - 1 && scanner.cells.length === width) return stray;
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
  return shortCellText(line.slice(quote, comma < 0 ? line.length : comma));
}

/** Cuts a cell's text that a message shows to `MAX_CELL_TEXT` characters. */
export function shortCellText(text: string): string {
  return text.length > MAX_CELL_TEXT ? `${text.slice(0, MAX_CELL_TEXT)}…` : text;
}
