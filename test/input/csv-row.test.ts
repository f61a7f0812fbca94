import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvRowScanner, splitCsvRow } from '../../src/input/csv-row.js';

/**
 * The CSV row scanner copies text a run at a time. A plain scanner that reads one character at a
 * time, as RFC 4180 describes the format, gives the expected result for random rows.
 */

interface Scanned {
  cells: string[];
  complete: boolean[];
  looseMultiLine: boolean;
  invalidQuote: { kind: string; cell: number; line: number; index: number } | undefined;
}

/**
 * Scans lines one character at a time, as the reference for `CsvRowScanner`, up to the line
 * that ends the row.
 */
function scanByCharacter(lines: readonly string[]): Scanned {
  const cells: string[] = [];
  const complete: boolean[] = [];
  let cell = '';
  let state: 'start' | 'unquoted' | 'quoted' | 'closed' = 'start';
  let cellStartLine = 0;
  let looseMultiLine = false;
  let invalidQuote: Scanned['invalidQuote'];
  const note = (kind: string, line: number, index: number) => {
    invalidQuote ??= { kind, cell: cells.length, line, index };
  };

  for (const [lineIndex, line] of lines.entries()) {
    if (lineIndex > 0) cell += '\n';
    for (let index = 0; index < line.length; index++) {
      const char = line[index];
      if (state === 'quoted') {
        if (char !== '"') cell += char;
        else if (line[index + 1] === '"') {
          cell += '"';
          index++;
        } else state = 'closed';
      } else if (char === ',') {
        cells.push(cell);
        cell = '';
        state = 'start';
        cellStartLine = lineIndex;
      } else if (state === 'start' && char === '"') {
        state = 'quoted';
      } else {
        if (state === 'closed') {
          if (cellStartLine < lineIndex) looseMultiLine = true;
          note('closing', lineIndex, index - 1);
        }
        if (char === '"') note('opening', lineIndex, index);
        state = 'unquoted';
        cell += char;
      }
    }
    complete.push(state !== 'quoted');
    if (state !== 'quoted') break;
  }
  if (state !== 'quoted') cells.push(cell);
  return { cells, complete, looseMultiLine, invalidQuote };
}

function scanByRuns(lines: readonly string[]): Scanned {
  const scanner = new CsvRowScanner();
  const complete: boolean[] = [];
  for (const line of lines) {
    complete.push(scanner.addLine(line));
    if (complete.at(-1)) break;
  }
  return {
    cells: scanner.cells,
    complete,
    looseMultiLine: scanner.looseMultiLine,
    invalidQuote: scanner.invalidQuote,
  };
}

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('CsvRowScanner', () => {
  it('reads random rows as the plain scanner does', () => {
    const next = random(7);
    const alphabet = ['a', 'b', ',', '"', '"', ' ', '{', '}'];
    for (let run = 0; run < 3000; run++) {
      const lines = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
        Array.from({ length: Math.floor(next() * 12) }, () => {
          return alphabet[Math.floor(next() * alphabet.length)];
        }).join(''),
      );
      assert.deepEqual(scanByRuns(lines), scanByCharacter(lines), JSON.stringify(lines));
    }
  });

  it('notes a quote inside unquoted text', () => {
    const scanner = new CsvRowScanner();
    assert.equal(scanner.addLine('a,5" screen,"b"'), true);
    assert.deepEqual(scanner.cells, ['a', '5" screen', 'b']);
    assert.deepEqual(scanner.invalidQuote, { kind: 'opening', cell: 1, line: 0, index: 3 });
  });

  it('notes text after a closing quote', () => {
    const scanner = new CsvRowScanner();
    assert.equal(scanner.addLine('"a","ab"cd'), true);
    assert.deepEqual(scanner.cells, ['a', 'abcd']);
    assert.deepEqual(scanner.invalidQuote, { kind: 'closing', cell: 1, line: 0, index: 7 });
  });

  it('notes nothing in RFC 4180 rows', () => {
    const scanner = new CsvRowScanner();
    assert.equal(scanner.addLine('a,"say ""hi"", then ""bye""",""'), true);
    assert.deepEqual(scanner.cells, ['a', 'say "hi", then "bye"', '']);
    assert.equal(scanner.invalidQuote, undefined);
  });

  it('keeps doubled quotes across lines', () => {
    const scanner = new CsvRowScanner();
    assert.equal(scanner.addLine('a,"{""b"": ""c,'), false);
    assert.deepEqual(scanner.openValue, { line: 0, quote: 2, cell: 1 });
    assert.equal(scanner.addLine('d""}",e'), true);
    assert.deepEqual(scanner.cells, ['a', '{"b": "c,\nd"}', 'e']);
    assert.equal(scanner.invalidQuote, undefined);
  });

  it('drops text and keeps the quote state', () => {
    const scanner = new CsvRowScanner();
    assert.equal(scanner.addLine('a,"long value'), false);
    scanner.dropText();
    assert.equal(scanner.addLine('more'), false);
    scanner.dropText();
    assert.equal(scanner.addLine('end",b'), true);
    assert.deepEqual(scanner.cells, ['', '\nend', 'b']);
  });

  it('splits one row', () => {
    assert.deepEqual(splitCsvRow('a,,"b,c"'), ['a', '', 'b,c']);
    assert.equal(splitCsvRow('a,"b'), undefined);
  });
});
