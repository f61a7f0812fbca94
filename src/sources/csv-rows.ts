import { CsvRowScanner, type InvalidQuote } from '../input/csv-row.js';
import type { Origin } from '../model/event.js';
import {
  findJoinedStrayQuote,
  findStrayQuote,
  isRowWide,
  isStrayQuotePair,
  isWholeValue,
  type RowShape,
  type StrayQuote,
  shortCellText,
  startsRow,
  strayCellText,
} from './csv-row-shape.js';
import type { ParseContext, ParseOutput, Rejection } from './format.js';

/**
 * Rows of a CSV export of log entries, read from its lines. A quoted value may hold commas,
 * doubled quotes and line breaks, so a row can span lines. A stray quote at the start of a cell
 * opens a value that would run on over the rows after it. So a value still open at a line that
 * starts an entry's row (see `RowShape`) is read on only while it may still close as a value with
 * line breaks does (`isWholeValue`). When it does not, the damaged row is rejected alone, with a
 * reason that names its cell and the cell's text, and the lines after it are read as rows.
 */

/** One line of the input and where it came from. */
export interface CsvLine {
  text: string;
  origin: Origin;
}

/** A complete row: its cells and the lines it was read from. */
export interface CsvRow {
  cells: string[];
  lines: readonly CsvLine[];
}

export interface CsvRowsConfig {
  context: ParseContext;
  /** Code of the rejections for a row whose quotes are damaged. */
  code: string;
  /** Lines of a row beyond which its open value is rejected as not closed. */
  maxRowLines: number;
  /**
   * Length of a row in characters beyond which it is rejected as `record_too_large`. The lines
   * after that are passed over up to the row's end or a line that starts a row.
   */
  maxRowLength: number;
  /**
   * Whether a row with a quote that RFC 4180 does not allow (`InvalidQuote`) is rejected. When
   * it is not, the scanner reads such a quote as text.
   */
  strictQuotes: boolean;
  /** Receives each complete row, in input order. Before `setHeader`, the header row comes too. */
  onRow(row: CsvRow, out: ParseOutput): void;
  /** Receives each rejection, in input order, with the origin of the row's first line. */
  onReject(rejection: Rejection, out: ParseOutput): void;
}

/** The lines of a row whose quoted value is still open, and the row read so far. */
interface PendingRow {
  scanner: CsvRowScanner;
  lines: CsvLine[];
  /** Length of the row's lines in characters, with a line break between each two. */
  length: number;
  /**
   * A stray quote on the first line that the scanner reads as text. It paired with a later
   * quote on the line, which then opens a value with line breaks. The row is rejected for it.
   */
  stray?: StrayQuote;
  /** Set once the row is rejected as too long: its lines are only read to find its end. */
  tooLong?: boolean;
  /** The first line that starts a row while the value is open, if one came. */
  rowStart?: RowStart;
}

/**
 * A line that starts a row inside an open value, found by its index among the pending row's
 * lines. The row is rejected there, at the value's quote and with `where` as the reason, unless
 * the value closes as one with line breaks.
 */
interface RowStart {
  index: number;
  open: StrayQuote;
  where: string;
}

/** Warnings per input about quoted values whose lines read as rows; the rest are counted. */
const MAX_ROW_LIKE_WARNINGS = 10;

/** Message text for a stray quote that closes at the next quote on its own line. */
const PAIRED_ON_LINE = 'pairs with a quote later on the line';

/** The warning about a quoted value whose lines read as rows, logged once per value. */
export const ROW_LIKE_MESSAGE =
  'a quoted CSV value contains lines that read as rows on their own; they are read as part ' +
  'of the value, so check them for a stray quote';

/** Maximum length of a rejection's snippet. */
const SNIPPET_LENGTH = 120;

export class CsvRowReader {
  private header: readonly string[] | undefined;
  private shape: RowShape | undefined;
  /** A row whose lines are all read leaves this, so a pending row always has a value open. */
  private pending: PendingRow | undefined;
  /**
   * Set after a row is rejected for its quotes, while the lines after it from inside a quoted
   * value (`RowShape.isValueLine`) are counted in its rejection.
   */
  private afterDamage = false;
  private rowLikeWarnings = 0;
  /**
   * Lines of a rejected row to read again, the next one last. They are read before the line
   * after them, one at a time rather than by recursion, so damaged rows in a row stay cheap.
   */
  private readonly backlog: CsvLine[] = [];

  constructor(private readonly config: CsvRowsConfig) {}

  /** Sets the header, whose names the messages use, and the shape that decides where rows start. */
  setHeader(header: readonly string[], shape: RowShape): void {
    this.header = header;
    this.shape = shape;
  }

  /** Reads one line of the input. */
  push(text: string, origin: Origin, out: ParseOutput): void {
    this.read({ text, origin }, out);
    this.readBacklog(out);
  }

  /** Rejects a row left open at the end of the input, and logs the warnings left unlogged. */
  end(out: ParseOutput): void {
    while (this.pending) {
      if (this.pending.rowStart) this.rejectAtRowStart(out);
      else this.rejectOpenValue('is not closed before the end of the input', out);
      this.readBacklog(out);
    }
    if (this.rowLikeWarnings > MAX_ROW_LIKE_WARNINGS) {
      this.config.context.logger.warn('more quoted CSV values contain lines that read as rows', {
        file: this.config.context.file,
        values_total: this.rowLikeWarnings,
      });
    }
  }

  private readBacklog(out: ParseOutput): void {
    for (let line = this.backlog.pop(); line; line = this.backlog.pop()) this.read(line, out);
  }

  /** Queues lines to be read again before the lines in the backlog now. */
  private readAgain(lines: readonly CsvLine[]): void {
    for (let index = lines.length - 1; index >= 0; index--) {
      this.backlog.push(lines[index] as CsvLine);
    }
  }

  /** Reads one line, from the input or from the backlog. */
  private read(line: CsvLine, out: ParseOutput): void {
    const { text, origin } = line;
    // A value still open where a row starts was most likely opened by a stray quote, because
    // text in a value rarely reads as an entry. The value may still be one with line breaks, as
    // an RFC 4180 writer quotes such a value whole, so the lines that follow decide.
    const current = this.pending;
    if (current && !current.rowStart && this.shape && startsRow(text, this.shape)) {
      if (current.tooLong) {
        // The row was rejected when it passed the length limit.
        this.pending = undefined;
      } else {
        current.rowStart = {
          index: current.lines.length,
          open: current.scanner.openValue as StrayQuote,
          where: `is not closed before line ${origin.line}, which starts a row`,
        };
      }
    }

    if (!this.pending) {
      if (text.trim() === '') return;
      if (this.afterDamage && this.shape?.isValueLine?.(text)) return;
      this.afterDamage = false;
      this.pending = { scanner: new CsvRowScanner(), lines: [], length: -1 };
    }
    const pending = this.pending;
    if (pending.tooLong) {
      this.passOver(text);
      return;
    }
    pending.lines.push(line);
    pending.length += text.length + 1;

    // Each line is scanned once, so a value left open stays linear in its length.
    const complete = pending.scanner.addLine(text);
    if (pending.length > this.config.maxRowLength) {
      if (pending.rowStart) this.rejectAtRowStart(out);
      else this.rejectTooLong(complete, out);
      return;
    }
    if (!complete) {
      if (pending.lines.length < this.config.maxRowLines) return;
      if (pending.rowStart) this.rejectAtRowStart(out);
      else this.rejectOpenValue(`is not closed within ${this.config.maxRowLines} lines`, out);
      return;
    }

    if (pending.rowStart) {
      const { lines, scanner, rowStart } = pending;
      if (!isWholeValue(lines, scanner, rowStart.open, this.shape as RowShape)) {
        this.rejectAtRowStart(out);
        return;
      }
      pending.rowStart = undefined;
    }
    if (this.checkOneLineRow(text, out)) return;
    const { scanner: row, lines } = pending;
    if (this.shape && lines.length > 1) {
      if (this.rejectJoinedRow(out)) return;
      this.warnRowLikeLines(lines, row);
    }

    this.pending = undefined;
    if (this.config.strictQuotes && row.invalidQuote) {
      this.rejectInvalidQuote(row.invalidQuote, lines, out);
      return;
    }
    this.config.onRow({ cells: row.cells, lines }, out);
  }

  /**
   * Rejects the pending row, complete on one line, when a stray quote paired with a later quote
   * on the line gives it the wrong width, and returns whether it did. When the quote read as text
   * leaves a later quote opening a value with line breaks, the row is read on to that value's
   * end and rejected then, so returns true too.
   */
  private checkOneLineRow(text: string, out: ParseOutput): boolean {
    const { scanner: row, lines } = this.pending as PendingRow;
    const width = this.shape?.width;
    if (width === undefined || lines.length !== 1 || row.cells.length === width) return false;

    const stray = findStrayQuote(text, width);
    if (stray?.spans) {
      const scanner = new CsvRowScanner(stray.quote);
      scanner.addLine(text);
      this.pending = { scanner, lines, length: text.length, stray };
      return true;
    }
    if (stray) {
      const cells = `${row.cells.length} cells where the header names ${width}`;
      this.rejectStrayQuote(1, stray, `${PAIRED_ON_LINE}, into a row of ${cells}`, out);
      return true;
    }
    return false;
  }

  /**
   * Rejects the pending row, complete over several lines, when a stray quote on its first line
   * joined them, and returns whether it did.
   */
  private rejectJoinedRow(out: ParseOutput): boolean {
    const { scanner: row, lines, stray } = this.pending as PendingRow;
    const width = (this.shape as RowShape).width;
    const later = `${linesAway(lines.length - 1)} later`;
    if (stray) {
      const reason = `${PAIRED_ON_LINE}, which then opens a value that closes ${later}`;
      this.rejectStrayQuote(lines.length, stray, reason, out);
      return true;
    }

    // A stray quote at a cell start pairs with a quote lines later and joins those lines.
    const first = { line: 0, quote: row.firstOpenQuote ?? 0, cell: row.firstOpenCell ?? 0 };
    const paired = `pairs with a quote ${later}`;
    if (row.cells.length !== width) {
      // A stray quote earlier on the first line may shift the value that spans the lines.
      const earlier = findJoinedStrayQuote(lines, width);
      if (earlier) {
        const reason = `${PAIRED_ON_LINE}, which then opens a value that closes ${later}`;
        this.rejectStrayQuote(lines.length, earlier, reason, out);
        return true;
      }
      const cells = `${row.cells.length} cells where the header names ${width}`;
      this.rejectStrayQuote(1, first, `${paired}, into a row of ${cells}`, out);
      return true;
    }
    if (isStrayQuotePair(lines, row, width)) {
      const rows = `across lines that read as rows of ${width} cells on their own`;
      this.rejectStrayQuote(1, first, `${paired}, ${rows}`, out);
      return true;
    }
    return false;
  }

  /**
   * Rejects the pending row at the quote of the value that was open at its `rowStart` line, and
   * reads the lines from that line on again.
   */
  private rejectAtRowStart(out: ParseOutput): void {
    const row = this.pending as PendingRow;
    const { index, open, where } = row.rowStart as RowStart;
    // The lines from the row start on come after the lines that the rejection reads again.
    this.readAgain(row.lines.slice(index));
    row.lines = row.lines.slice(0, index);
    this.rejectOpenValue(where, out, open);
  }

  /**
   * Rejects the pending row at the quote of its open value, or of `open`; see `rejectStrayQuote`.
   */
  private rejectOpenValue(
    where: string,
    out: ParseOutput,
    open = this.pending?.scanner.openValue,
  ): void {
    const row = this.pending;
    if (row?.tooLong) {
      // The row was rejected when it passed the length limit.
      this.pending = undefined;
      return;
    }
    if (!row || !open) throw new Error('a pending CSV row has no open value');
    if (row.stray) {
      const reason = `${PAIRED_ON_LINE}, which then opens a value that ${where}`;
      this.rejectStrayQuote(open.line + 1, row.stray, reason, out);
    } else {
      this.rejectStrayQuote(open.line + 1, open, where, out);
    }
  }

  /**
   * Rejects the first `rowLines` lines of the pending row for its stray quote, with `reason`
   * after the quote's cell, then reads the lines after them again. So a stray quote costs its
   * own row only. The row is rejected rather than read with the quote as text, because its cell
   * would then not be what the exporter wrote: a quote was added, or the value's closing quote
   * and maybe more text were lost. Rules and baselines compare values exactly.
   */
  private rejectStrayQuote(
    rowLines: number,
    stray: StrayQuote,
    reason: string,
    out: ParseOutput,
  ): void {
    const lines = this.pending?.lines ?? [];
    this.pending = undefined;
    const row = lines.slice(0, rowLines);
    const rest = lines.slice(rowLines);
    const first = row[0];
    const quoteLine = row[stray.line];
    if (!first || !quoteLine) return;

    const cell = `${this.cellName(stray.cell)} (${strayCellText(quoteLine.text, stray.quote)})`;
    this.rejectDamagedRow(row, `a quote opens ${cell} and ${reason}${this.linesAfter(rest)}`, out);
    this.readAgain(rest);
  }

  /**
   * Ends a message about a damaged row with what becomes of the lines after it that were read
   * with it: lines from inside its value are rejected with it, and the others are read again.
   */
  private linesAfter(rest: readonly CsvLine[]): string {
    const lines = rest.filter((line) => line.text.trim() !== '');
    const inside = lines.filter((line) => this.shape?.isValueLine?.(line.text)).length;
    if (inside === 0) return lines.length > 0 ? '; the lines after it are read as rows' : '';
    const rejected = '; the lines after it from inside its value are rejected with it';
    return inside === lines.length ? rejected : `${rejected}, and the others are read as rows`;
  }

  /**
   * Rejects a row whose cell has a quote that RFC 4180 does not allow. Such a row is rejected
   * rather than read with the quote as text, because a quote was added or lost there, so the
   * cell is not what the exporter wrote.
   */
  private rejectInvalidQuote(
    quote: InvalidQuote,
    lines: readonly CsvLine[],
    out: ParseOutput,
  ): void {
    const line = (lines[quote.line] as CsvLine).text;
    const where = quote.line === 0 ? '' : ` of line ${quote.line + 1} of the row`;
    const from = Math.max(0, quote.index - 20);
    const comma = line.indexOf(',', quote.index);
    const text = shortCellText(line.slice(from, comma < 0 ? line.length : comma));
    const problem =
      quote.kind === 'opening' ? 'a quote inside unquoted text' : 'text after its closing quote';
    const at = `at column ${quote.index + 1}${where} (${from > 0 ? '…' : ''}${text})`;
    this.rejectDamagedRow(lines, `${this.cellName(quote.cell)} has ${problem} ${at}`, out);
  }

  /** Rejects a row for its quotes, with the origin of its first line. */
  private rejectDamagedRow(lines: readonly CsvLine[], message: string, out: ParseOutput): void {
    const snippet = lines.map((next) => next.text).join('\n');
    this.config.onReject(
      {
        code: this.config.code,
        message,
        origin: (lines[0] as CsvLine).origin,
        snippet: snippet.slice(0, SNIPPET_LENGTH),
      },
      out,
    );
    this.afterDamage = true;
  }

  /**
   * Rejects the pending row as longer than the length limit. When its value is still open, the
   * lines after it are passed over up to the value's end, since they are part of the row.
   */
  private rejectTooLong(complete: boolean, out: ParseOutput): void {
    const { scanner, lines } = this.pending as PendingRow;
    const first = lines[0] as CsvLine;
    const limit = this.config.maxRowLength;
    this.config.onReject(
      {
        code: 'record_too_large',
        message: `CSV row is longer than the record length limit of ${limit} characters`,
        origin: first.origin,
        snippet: first.text.slice(0, SNIPPET_LENGTH),
      },
      out,
    );
    if (complete) {
      this.pending = undefined;
      return;
    }
    scanner.dropText();
    this.pending = { scanner, lines: [], length: 0, tooLong: true };
  }

  /** Reads a line of a row rejected as too long, keeping only where its quoted value is. */
  private passOver(text: string): void {
    const scanner = (this.pending as PendingRow).scanner;
    if (scanner.addLine(text)) this.pending = undefined;
    else scanner.dropText();
  }

  /** Names cell `cell` by its column: `the actor cell`, or `cell 9` past the header's end. */
  cellName(cell: number): string {
    const column = this.header?.[cell];
    return column === undefined ? `cell ${cell + 1}` : `the ${column} cell`;
  }

  /**
   * Warns when lines inside a quoted value read as rows of the header's width on their own,
   * though not as entries. Lines that do read as entries end the value before they are reached
   * (see `push`). The value is still read as one, because an RFC 4180 writer quotes a value
   * with line breaks whole and doubles its quotes, so such a value closes only where it ends. A
   * stray quote at a cell start paired with one at a cell end lines later reads the same
   * (Python's csv module joins the lines too), so the warning names the lines, where such damage
   * may have hidden rows.
   */
  private warnRowLikeLines(lines: readonly CsvLine[], row: CsvRowScanner): void {
    const { context } = this.config;
    const width = (this.shape as RowShape).width;
    const inside = lines.slice(1).filter((line) => isRowWide(line.text, width));
    const firstInside = inside[0];
    if (!firstInside) return;
    if (++this.rowLikeWarnings > MAX_ROW_LIKE_WARNINGS) return;

    const first = lines[0] as CsvLine;
    const lineIndex = lines.indexOf(firstInside);
    const cell = row.cellLines.filter((start) => start < lineIndex).length - 1;
    if (!firstCsvWarning(context.logger, context.file, `${first.origin.line}`)) return;
    context.logger.warn(ROW_LIKE_MESSAGE, {
      file: context.file,
      line: first.origin.line,
      column: this.header?.[cell],
      row_like_lines: inside.map((line) => line.origin.line).join(', '),
    });
  }
}

/** Warnings already logged, per logger and input. */
const warnedLines = new WeakMap<object, Map<string, Set<string>>>();

/**
 * Notes a warning about `key` (a line number, or `header`) of `file` and returns false when
 * `logger` already has it. A scan parses each input's head once to find its first event time
 * and again with the rest, so a head row would be warned about twice.
 */
export function firstCsvWarning(logger: object, file: string, key: string): boolean {
  const files = warnedLines.get(logger) ?? new Map<string, Set<string>>();
  warnedLines.set(logger, files);
  const keys = files.get(file) ?? new Set<string>();
  files.set(file, keys);
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

/** Names a distance in lines: `1 line`, `3 lines`. */
function linesAway(count: number): string {
  return count === 1 ? '1 line' : `${count} lines`;
}
