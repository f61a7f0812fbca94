import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { type ParsedInput, parseInput, TEST_SETTINGS } from '../helpers/parse.js';

/**
 * A stray quote at the start of a cell of the GitHub audit log CSV export opens a quoted value
 * that runs on over the lines after it. Lines that read as audit entries end that value, so the
 * damaged row is rejected alone and the rows after it are read.
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-github-stray-'));

const HEADER = 'action,actor,created_at,org,repo,actor_location.country_code,data.events,data.note';
const ACTIONS = ['git.clone', 'org.add_member', 'git.push', 'repo.download_zip'];
const START = 1714986000000;

/** Row `index` of a generated export: every row has its own actor, time, repo and note. */
function row(index: number): string {
  const action = ACTIONS[index % ACTIONS.length];
  return `${action},user${index},${START + index * 1000},contoso,contoso/r${index},DE,,note ${index}`;
}

function rows(count: number): string[] {
  return Array.from({ length: count }, (_, index) => row(index));
}

/** Adds a quote at the start of the cell of `column` in a generated row. */
function strayQuote(text: string, column: string): string {
  const cells = text.split(',');
  const index = HEADER.split(',').indexOf(column);
  cells[index] = `"${cells[index]}`;
  return cells.join(',');
}

let files = 0;

async function readLines(lines: readonly string[], eol = '\n', end = eol): Promise<ParsedInput> {
  const path = join(dir, `audit-${++files}.csv`);
  writeFileSync(path, `${[HEADER, ...lines].join(eol)}${end}`);
  return parseInput(path);
}

function eventLines(parsed: ParsedInput): number[] {
  return parsed.events.map((event) => event.origin.line ?? -1);
}

function rejectedLines(parsed: ParsedInput): number[] {
  return parsed.rejections.map((rejection) => rejection.origin.line ?? -1);
}

/** Checks that each row, by the line it starts on, is parsed or rejected exactly once. */
function assertEachRowOnce(parsed: ParsedInput, rowLines: readonly number[]): void {
  const seen = [...eventLines(parsed), ...rejectedLines(parsed)].sort((a, b) => a - b);
  assert.deepEqual(seen, rowLines);
}

/** Lines of rows `from` to `to` - 1 of a generated export without multi-line values. */
function linesOf(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, offset) => from + offset + 2);
}

function without(lines: readonly number[], ...removed: number[]): number[] {
  return lines.filter((line) => !removed.includes(line));
}

describe('github-audit-csv stray quote at a cell start', () => {
  const cases = [
    { column: 'action', cell: '"git.clone' },
    { column: 'actor', cell: '"user12' },
    { column: 'created_at', cell: '"1714986012000' },
    { column: 'repo', cell: '"contoso/r12' },
    { column: 'data.note', cell: '"note 12' },
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const { column, cell } of cases) {
      it(`rejects only its row: ${column}, ${JSON.stringify(eol)}`, async () => {
        const lines = rows(60);
        lines[12] = strayQuote(lines[12] as string, column);
        const parsed = await readLines(lines, eol);

        assert.equal(parsed.format, 'github-audit-csv');
        assert.deepEqual(rejectedLines(parsed), [14]);
        assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
        assert.equal(
          parsed.rejections[0]?.message,
          `a quote opens the ${column} cell (${cell}) and is not closed before line 15, ` +
            'which starts a row',
        );
        assert.equal(parsed.rejections[0]?.snippet, lines[12]);
        assert.deepEqual(eventLines(parsed), without(linesOf(0, 60), 14));
        assert.equal(parsed.events[12]?.fields.actor, 'user13');
        assert.equal(parsed.events[12]?.fields['data.note'], 'note 13');
        assertEachRowOnce(parsed, linesOf(0, 60));
        assert.deepEqual(parsed.warnings, []);
      });
    }
  }

  // A quote at the end of the same cell 30 rows later would close the stray quote's value into a
  // row of the header's width, so only the rows between, which start rows, end the value.
  for (const column of ['action', 'actor', 'data.note']) {
    it(`keeps rows before a closing quote: ${column}`, async () => {
      const lines = rows(60);
      lines[10] = strayQuote(lines[10] as string, column);
      const cells = (lines[40] as string).split(',');
      const index = HEADER.split(',').indexOf(column);
      cells[index] = `${cells[index]}"`;
      lines[40] = cells.join(',');
      const parsed = await readLines(lines);

      assert.deepEqual(rejectedLines(parsed), [12]);
      assert.equal(parsed.events.length, 59);
      assert.equal(parsed.events[39]?.fields[column], cells[index]);
      assert.equal(parsed.events[10]?.fields.actor, 'user11');
      assertEachRowOnce(parsed, linesOf(0, 60));
      assert.deepEqual(parsed.warnings, []);
    });
  }

  it('rejects each of two stray quotes alone', async () => {
    const lines = rows(60);
    lines[10] = strayQuote(lines[10] as string, 'actor');
    lines[30] = strayQuote(lines[30] as string, 'actor');
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [12, 32]);
    assert.deepEqual(
      parsed.rejections.map((rejection) => rejection.message),
      [
        'a quote opens the actor cell ("user10) and is not closed before line 13, which starts a row',
        'a quote opens the actor cell ("user30) and is not closed before line 33, which starts a row',
      ],
    );
    assert.equal(parsed.events.length, 58);
    assertEachRowOnce(parsed, linesOf(0, 60));
  });

  const neighbours = [
    ['actor', 'actor'],
    ['actor', 'action'],
    ['data.note', 'data.note'],
    ['data.note', 'created_at'],
    ['action', 'data.note'],
  ];
  for (const [first, second] of neighbours) {
    it(`rejects damaged rows in a row: ${first}, then ${second}`, async () => {
      const lines = rows(20);
      lines[5] = strayQuote(lines[5] as string, first as string);
      lines[6] = strayQuote(lines[6] as string, second as string);
      const parsed = await readLines(lines);

      assert.deepEqual(rejectedLines(parsed), [7, 8]);
      assert.match(parsed.rejections[0]?.message ?? '', / before line 8, which starts a row$/);
      assert.match(parsed.rejections[1]?.message ?? '', / before line 9, which starts a row$/);
      assert.equal(parsed.events.length, 18);
      assertEachRowOnce(parsed, linesOf(0, 20));
    });
  }

  it('rejects three damaged rows in a row', async () => {
    const lines = rows(20);
    lines[5] = strayQuote(lines[5] as string, 'actor');
    lines[6] = strayQuote(lines[6] as string, 'action');
    lines[7] = strayQuote(lines[7] as string, 'data.note');
    const parsed = await readLines(lines, '\r\n');

    assert.deepEqual(rejectedLines(parsed), [7, 8, 9]);
    assert.deepEqual(eventLines(parsed), without(linesOf(0, 20), 7, 8, 9));
    assertEachRowOnce(parsed, linesOf(0, 20));
  });

  for (const [name, eol, end] of [
    ['with a line break', '\n', '\n'],
    ['without a line break', '\n', ''],
    ['with blank lines', '\n', '\n\n\n'],
    ['with CRLF', '\r\n', '\r\n'],
  ] as const) {
    it(`rejects a damaged last row ${name}`, async () => {
      const lines = rows(10);
      lines[9] = strayQuote(lines[9] as string, 'data.note');
      const parsed = await readLines(lines, eol, end);

      assert.deepEqual(rejectedLines(parsed), [11]);
      assert.equal(
        parsed.rejections[0]?.message,
        'a quote opens the data.note cell ("note 9) and is not closed before the end of the input',
      );
      assert.equal(parsed.events.length, 9);
      assertEachRowOnce(parsed, linesOf(0, 10));
    });
  }

  it('rejects a damaged row before the last', async () => {
    const lines = rows(10);
    lines[8] = strayQuote(lines[8] as string, 'actor');
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [10]);
    assert.deepEqual(eventLines(parsed), without(linesOf(0, 10), 10));
  });

  it('keeps a value with line breaks whole', async () => {
    const note = '"first line, with a comma\n\nsaid ""hi"", twice\nlast line"';
    const lines = rows(10);
    lines[4] = `${lines[4]?.replace(/,note 4$/, ',')}${note}`;
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), []);
    assert.equal(
      parsed.events[4]?.fields['data.note'],
      'first line, with a comma\n\nsaid "hi", twice\nlast line',
    );
    assert.equal(parsed.events[5]?.origin.line, 10);
    assert.equal(parsed.events.length, 10);
    assert.deepEqual(parsed.warnings, []);
  });

  it('reads a multi-line value after damage', async () => {
    const lines = rows(10);
    lines[3] = strayQuote(lines[3] as string, 'actor');
    lines[4] = `${lines[4]?.replace(/,note 4$/, ',')}"a note, with a comma\nand a line break"`;
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [5]);
    assert.equal(parsed.events[3]?.origin.line, 6);
    assert.equal(parsed.events[3]?.fields['data.note'], 'a note, with a comma\nand a line break');
    assertEachRowOnce(parsed, [...linesOf(0, 5), ...linesOf(6, 11)]);
  });

  it('rejects damage after a multi-line value', async () => {
    const lines = rows(10);
    lines[3] = `${lines[3]?.replace(/,note 3$/, ',')}"a note\nand a line break"`;
    lines[4] = strayQuote(lines[4] as string, 'actor');
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [7]);
    assert.equal(parsed.events[3]?.fields['data.note'], 'a note\nand a line break');
    assertEachRowOnce(parsed, [...linesOf(0, 4), ...linesOf(5, 11)]);
  });

  it('rejects a stray quote on a continuation line', async () => {
    const lines = rows(10);
    const damaged = 'hook.create,bob,1714986003000,contoso,,DE,"line one\nline two","stray note';
    lines[3] = damaged;
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [5]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("stray note) and is not closed before line 7, ' +
        'which starts a row',
    );
    assert.equal(parsed.rejections[0]?.snippet, damaged);
    assertEachRowOnce(parsed, [...linesOf(0, 4), ...linesOf(5, 11)]);
  });

  it('reads lines before the next row', async () => {
    const lines = rows(10);
    lines[3] = strayQuote(lines[3] as string, 'data.note');
    lines.splice(4, 0, 'continued text');
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [5, 6]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("note 3) and is not closed before line 7, which ' +
        'starts a row; the lines after it are read as rows',
    );
    assert.equal(parsed.rejections[1]?.message, 'row has 1 cells, the header names 8');
    assert.equal(parsed.events.length, 9);
    assertEachRowOnce(parsed, linesOf(0, 11));
  });

  it('rejects a pairing into too many cells', async () => {
    const lines = rows(10);
    lines[3] = strayQuote(lines[3] as string, 'data.note');
    lines.splice(4, 0, 'the end" of it,x');
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [5, 6]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("note 3) and pairs with a quote 1 line later, into ' +
        'a row of 9 cells where the header names 8; the lines after it are read as rows',
    );
    assert.equal(parsed.rejections[1]?.message, 'row has 2 cells, the header names 8');
    assertEachRowOnce(parsed, linesOf(0, 11));
  });

  it('names a stray quote paired on its own line', async () => {
    const lines = rows(6);
    lines[1] = 'git.clone,"user1,1714986001000,contoso,contoso/r1,DE,"[""push""]",note 1';
    lines[2] = 'org.add_member,"user2,1714986002000,contoso,contoso/r2,DE",,note 2';
    lines[3] = 'git.push,user3,1714986003000,contoso,contoso/r3,DE,"[""push""]",note, 3';
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [3, 4, 5]);
    assert.deepEqual(
      parsed.rejections.map((rejection) => rejection.message),
      [
        'a quote opens the actor cell ("user1) and pairs with a quote later on the line, into ' +
          'a row of 3 cells where the header names 8',
        'a quote opens the actor cell ("user2) and pairs with a quote later on the line, into ' +
          'a row of 4 cells where the header names 8',
        'row has 9 cells, the header names 8',
      ],
    );
    assertEachRowOnce(parsed, linesOf(0, 6));
  });

  it('rejects a pairing that opens a multi-line value', async () => {
    const lines = rows(10);
    lines[3] = `${strayQuote(row(3), 'actor').replace(',note 3', ',')}"a note\nmore\nthe end"`;
    const parsed = await readLines(lines);

    assert.deepEqual(rejectedLines(parsed), [5]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("user3) and pairs with a quote later on the line, which ' +
        'then opens a value that closes 2 lines later',
    );
    assert.equal(parsed.rejections[0]?.snippet, lines[3]);
    assert.deepEqual(eventLines(parsed), [2, 3, 4, 8, 9, 10, 11, 12, 13]);
    assertEachRowOnce(parsed, [...linesOf(0, 4), ...linesOf(6, 12)]);
  });

  for (const [at, expected] of [
    [3, 'is not closed before line 6, which starts a row'],
    [9, 'is not closed before the end of the input'],
  ] as const) {
    it(`rejects a pairing that leaves a value open: row ${at}`, async () => {
      const lines = rows(10);
      lines[at] = `${strayQuote(row(at), 'actor').replace(`,note ${at}`, ',')}"a note, cut`;
      const parsed = await readLines(lines);

      assert.deepEqual(rejectedLines(parsed), [at + 2]);
      assert.equal(
        parsed.rejections[0]?.message,
        `a quote opens the actor cell ("user${at}) and pairs with a quote later on the line, ` +
          `which then opens a value that ${expected}`,
      );
      assertEachRowOnce(parsed, linesOf(0, 10));
    });
  }

  it('rejects a pairing across rows without times', async () => {
    const lines = rows(6).map((text) => text.replace(/,17149860\d+,/, ',,'));
    lines[1] = strayQuote(lines[1] as string, 'actor');
    lines[3] = (lines[3] as string).replace('user3', 'us"er3');
    const path = join(dir, `audit-${++files}.csv`);
    writeFileSync(path, `${[HEADER, ...lines].join('\n')}\n`);
    const parsed = await parseInput(path, undefined, {
      ...TEST_SETTINGS,
      missingTime: 'input_time',
    });

    assert.deepEqual(rejectedLines(parsed), [3]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("user1) and pairs with a quote 2 lines later, across ' +
        'lines that read as rows of 8 cells on their own; the lines after it are read as rows',
    );
    assert.equal(parsed.events[2]?.fields.actor, 'us"er3');
    assertEachRowOnce(parsed, linesOf(0, 6));
  });

  it('rejects a value left open for too many lines', async () => {
    const lines = rows(4);
    lines[1] = strayQuote(lines[1] as string, 'data.note');
    lines.splice(2, 0, ...Array.from({ length: 1000 }, (_, index) => `text ${index}`));
    const parsed = await readLines(lines);

    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("note 1) and is not closed within 1000 lines; the ' +
        'lines after it are read as rows',
    );
    assert.equal(parsed.rejections[0]?.origin.line, 3);
    assert.equal(parsed.rejections.length, 1001);
    assert.deepEqual(eventLines(parsed), [2, 1004, 1005]);
    assertEachRowOnce(parsed, [
      2,
      ...Array.from({ length: 1001 }, (_, index) => index + 3),
      1004,
      1005,
    ]);
  });

  it('tells rows by ISO times and @timestamp', async () => {
    const header = '@timestamp,action,actor,org,data.note';
    const lines = [
      '2024-05-06T09:00:00.000Z,git.clone,alice,contoso,',
      '2024-05-06T09:01:00.000Z,git.push,"bob,contoso,first',
      '2024-05-06T09:02:00.000Z,org.add_member,carol,contoso,',
      '2024-05-06T09:03:00.000Z,git.clone,dave,contoso,"a note\n2024-05-06T09:03:30.000Z,see notes,x,y,z"',
      '2024-05-06T09:04:00.000Z,git.clone,erin,contoso,',
    ];
    const path = join(dir, `audit-${++files}.csv`);
    writeFileSync(path, `${[header, ...lines].join('\n')}\n`);
    const parsed = await parseInput(path);

    assert.equal(parsed.format, 'github-audit-csv');
    assert.deepEqual(rejectedLines(parsed), [3]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("bob) and is not closed before line 4, which starts a row',
    );
    assert.deepEqual(eventLines(parsed), [2, 4, 5, 7]);
    // A line of the header's width whose action cell is no action stays in the value.
    assert.equal(
      parsed.events[2]?.fields['data.note'],
      'a note\n2024-05-06T09:03:30.000Z,see notes,x,y,z',
    );
    assert.equal(parsed.warnings[0]?.fields?.row_like_lines, '6');
  });
});

describe('github-audit-csv stray quotes in a scan', () => {
  it('counts each row once and names the damaged cells', () => {
    const lines = rows(60);
    lines[10] = strayQuote(lines[10] as string, 'data.note');
    lines[40] = `${lines[40]}"`;
    lines[20] = strayQuote(lines[20] as string, 'actor');
    lines[30] = strayQuote(lines[30] as string, 'actor');
    const path = join(dir, 'scan.csv');
    writeFileSync(path, `${[HEADER, ...lines].join('\r\n')}\r\n`);

    for (const workers of ['1', '2']) {
      const result = runCli([
        'scan',
        '--db',
        ':memory:',
        '--no-progress',
        '--output',
        'hits',
        '--workers',
        workers,
        path,
      ]);

      assert.equal(result.status, 0, result.stderr);
      assert.ok(
        result.stderr.includes(
          `${path} [github-audit-csv] 60 read, 57 parsed, 3 rejected (invalid_csv_row 3)`,
        ),
        result.stderr,
      );
      const reasons = [
        ...result.stderr.matchAll(/line=(\d+) record=\d+ code=\S+ reason="((?:[^"\\]|\\.)*)"/g),
      ];
      assert.deepEqual(
        reasons.map((match) => [Number(match[1]), match[2]]),
        [
          [
            12,
            'a quote opens the data.note cell (\\"note 10) and is not closed before line 13, which starts a row',
          ],
          [
            22,
            'a quote opens the actor cell (\\"user20) and is not closed before line 23, which starts a row',
          ],
          [
            32,
            'a quote opens the actor cell (\\"user30) and is not closed before line 33, which starts a row',
          ],
        ],
      );
    }
  });
});
