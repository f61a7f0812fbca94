/**
 * CSV rows read line by line. A quote opens a quoted value only at the start of a cell, as RFC
 * 4180 has it. So a quote inside an unquoted cell (`5" screen`, `he said "hi`) is text, as the
 * csv module of Python 3.11 reads it by default. Text after a closing quote is kept too
 * (`"ab"cd` reads `abcd`). A row spans lines only while a quoted value is open.
 */

type CellState = 'start' | 'unquoted' | 'quoted' | 'closed';

export class CsvRowScanner {
  readonly cells: string[] = [];
  /** Index, among the row's lines, of the line each cell starts on. */
  readonly cellLines: number[] = [];
  /**
   * Whether a quoted cell that spans lines has text after its closing quote. An RFC 4180 writer
   * never produces one, because it quotes a value with line breaks whole and doubles its quotes.
   */
  looseMultiLine = false;
  /** Index in the first line of the quote whose value is still open at its end. */
  firstOpenQuote: number | undefined;
  /** Index of the cell that `firstOpenQuote` opens. */
  firstOpenCell: number | undefined;
  /** Lines added so far. */
  lines = 0;

  private cell = '';
  private state: CellState = 'start';
  private cellStartLine = 0;
  private quoteIndex = 0;

  /**
   * @param textQuote index in the first line of a quote at a cell start that is read as text,
   * because it is known to be stray. The default, -1, reads every such quote as an opening one.
   */
  constructor(private readonly textQuote = -1) {}

  /** Reads one more line of the row and returns true when the row ends with it. */
  addLine(line: string): boolean {
    if (this.lines > 0) this.cell += '\n';
    for (let index = 0; index < line.length; index++) {
      const char = line[index];
      if (this.state === 'quoted') {
        if (char !== '"') {
          this.cell += char;
        } else if (line[index + 1] === '"') {
          this.cell += '"';
          index++;
        } else {
          this.state = 'closed';
        }
      } else if (char === ',') {
        this.endCell();
      } else if (this.state === 'start' && char === '"' && this.opensValue(index)) {
        this.state = 'quoted';
        this.quoteIndex = index;
      } else {
        if (this.state === 'closed' && this.cellStartLine < this.lines) this.looseMultiLine = true;
        this.state = 'unquoted';
        this.cell += char;
      }
    }

    if (this.lines === 0 && this.state === 'quoted') {
      this.firstOpenQuote = this.quoteIndex;
      this.firstOpenCell = this.cells.length;
    }
    this.lines++;
    if (this.state === 'quoted') return false;
    this.endCell();
    return true;
  }

  /**
   * The quoted value still open after the last line: the index among the row's lines of the line
   * it starts on, the index of its quote in that line, and the index of its cell.
   */
  get openValue(): { line: number; quote: number; cell: number } | undefined {
    if (this.state !== 'quoted') return undefined;
    return { line: this.cellStartLine, quote: this.quoteIndex, cell: this.cells.length };
  }

  private opensValue(index: number): boolean {
    return this.lines > 0 || index !== this.textQuote;
  }

  private endCell(): void {
    this.cells.push(this.cell);
    this.cellLines.push(this.cellStartLine);
    this.cell = '';
    this.state = 'start';
    this.cellStartLine = this.lines;
  }
}

/** Splits one complete CSV row; returns undefined while a quoted value is still open. */
export function splitCsvRow(row: string): string[] | undefined {
  const scanner = new CsvRowScanner();
  return scanner.addLine(row) ? scanner.cells : undefined;
}
