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
  /** Lines added so far. */
  lines = 0;

  private cell = '';
  private state: CellState = 'start';
  private cellStartLine = 0;
  private quoteIndex = 0;

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
      } else if (this.state === 'start' && char === '"') {
        this.state = 'quoted';
        this.quoteIndex = index;
      } else {
        if (this.state === 'closed' && this.cellStartLine < this.lines) this.looseMultiLine = true;
        this.state = 'unquoted';
        this.cell += char;
      }
    }

    if (this.lines === 0 && this.state === 'quoted') this.firstOpenQuote = this.quoteIndex;
    this.lines++;
    if (this.state === 'quoted') return false;
    this.endCell();
    return true;
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
