import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { type ParsedInput, parseInput, TEST_SETTINGS } from '../helpers/parse.js';

/**
 * A stray quote at the start of a cell of a Microsoft 365 audit log CSV export opens a quoted
 * value that runs on over the lines after it. Lines that start a row (a readable CreationDate,
 * an Operation name and an AuditData JSON object) end that value, so the damaged row is
 * rejected alone and the rows after it are read.
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-m365-stray-'));

/** The Purview compliance portal's export, every cell quoted. */
const PURVIEW = [
  'RecordId',
  'CreationDate',
  'RecordType',
  'Operation',
  'UserId',
  'AuditData',
  'AssociatedAdminUnits',
  'AssociatedAdminUnitsNames',
];

/** `Search-UnifiedAuditLog | Export-Csv`, after its `#TYPE` line. */
const EXPORT_CSV = [
  'RunspaceId',
  'RecordType',
  'CreationDate',
  'UserIds',
  'Operations',
  'AuditData',
  'ResultIndex',
  'ResultCount',
  'Identity',
  'IsValid',
  'ObjectState',
];

const TYPE_LINE =
  '#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogEvent';
const OPERATIONS = ['MailItemsAccessed', 'Set-Mailbox', 'Add member to role.', 'FileAccessed'];

function quoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Builds the AuditData of row `index`: its own id, user and time, and a quote in its subject. */
function auditData(index: number, pretty = false): string {
  const record = {
    CreationTime: `2024-05-06T09:00:${String(index).padStart(2, '0')}`,
    Id: `id-${index}`,
    Operation: OPERATIONS[index % OPERATIONS.length],
    UserId: `user${index}@contoso.com`,
    ClientIP: '203.0.113.7',
    Subject: 'say "hi", twice',
  };
  return JSON.stringify(record, null, pretty ? 1 : undefined);
}

/** Builds the cells of row `index` of an export with this header, each quoted. */
function cellsOf(header: readonly string[], index: number, pretty = false): string[] {
  const seconds = String(index).padStart(2, '0');
  const values: Record<string, string> = {
    RecordId: `rid-${index}`,
    RunspaceId: '3f2e1d0c-0000-4000-8000-000000000000',
    CreationDate:
      header === PURVIEW ? `2024-05-06T09:00:${seconds}.0000000Z` : `5/6/2024 9:00:${seconds} AM`,
    RecordType: 'ExchangeItem',
    Operation: OPERATIONS[index % OPERATIONS.length] as string,
    Operations: OPERATIONS[index % OPERATIONS.length] as string,
    UserId: `user${index}@contoso.com`,
    UserIds: `user${index}@contoso.com`,
    AuditData: auditData(index, pretty),
    ResultIndex: String(index + 1),
    ResultCount: '10',
    Identity: `id-${index}`,
    IsValid: 'True',
    ObjectState: 'Unchanged',
  };
  return header.map((name) => quoted(values[name] ?? ''));
}

interface Export {
  header: readonly string[];
  /** The cells of each row, quoted as written. */
  rows: string[][];
}

function generated(header: readonly string[], count: number, pretty: number[] = []): Export {
  const rows = Array.from({ length: count }, (_, index) =>
    cellsOf(header, index, pretty.includes(index)),
  );
  return { header, rows };
}

/** Drops the closing quote of a cell, which leaves a stray quote at its start. */
function loseClosingQuote(file: Export, row: number, column: string): void {
  const cells = file.rows[row] as string[];
  const index = file.header.indexOf(column);
  cells[index] = (cells[index] as string).slice(0, -1);
}

interface Written {
  path: string;
  /** The line each row starts on. */
  rowLines: number[];
}

let files = 0;

function write(file: Export, eol = '\n', end = eol): Written {
  const lines = file.header === EXPORT_CSV ? [TYPE_LINE] : [];
  lines.push(file.header.map(quoted).join(','));
  const rowLines: number[] = [];
  let line = lines.length + 1;
  for (const cells of file.rows) {
    const text = cells.join(',');
    rowLines.push(line);
    line += text.split('\n').length;
    lines.push(text.replace(/\n/g, eol));
  }
  const path = join(dir, `audit-${++files}.csv`);
  writeFileSync(path, `${lines.join(eol)}${end}`);
  return { path, rowLines };
}

async function read(file: Export, eol = '\n', end = eol): Promise<ParsedInput & Written> {
  const written = write(file, eol, end);
  return { ...(await parseInput(written.path)), ...written };
}

function eventLines(parsed: ParsedInput): number[] {
  return parsed.events.map((event) => event.origin.line ?? -1);
}

function rejectedLines(parsed: ParsedInput): number[] {
  return parsed.rejections.map((rejection) => rejection.origin.line ?? -1);
}

/**
 * Checks that each row is parsed or rejected exactly once, by the line it starts on, and that
 * records are numbered by row.
 */
function assertEachRowOnce(parsed: ParsedInput & Written): void {
  const seen = [...eventLines(parsed), ...rejectedLines(parsed)].sort((a, b) => a - b);
  assert.deepEqual(seen, parsed.rowLines);

  const records = [...parsed.events, ...parsed.rejections]
    .map((item) => item.origin.record)
    .sort((a, b) => a - b);
  assert.deepEqual(
    records,
    parsed.rowLines.map((_, index) => index + 1),
  );
}

function without(lines: readonly number[], ...removed: number[]): number[] {
  return lines.filter((line) => !removed.includes(line));
}

describe('m365-audit-csv stray quote at a cell start', () => {
  const cases = [
    {
      header: PURVIEW,
      column: 'RecordId',
      message:
        'a quote opens the RecordId cell ("rid-4) and pairs with a quote later on the line, ' +
        'into a row of 7 cells where the header names 8',
    },
    {
      header: PURVIEW,
      column: 'Operation',
      message:
        'a quote opens the Operation cell ("MailItemsAccessed) and pairs with a quote later on ' +
        'the line, into a row of 7 cells where the header names 8',
    },
    {
      header: PURVIEW,
      column: 'AuditData',
      // The doubled quotes of the empty cells after it keep the value open to the line's end.
      message:
        'a quote opens the AuditData cell ("{""CreationTime"":""2024-05-06T09:00:04…) and is ' +
        'not closed before line 7, which starts a row',
    },
    {
      header: PURVIEW,
      column: 'AssociatedAdminUnitsNames',
      message:
        'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line ' +
        '7, which starts a row',
    },
    {
      header: EXPORT_CSV,
      column: 'RunspaceId',
      message:
        'a quote opens the RunspaceId cell ("3f2e1d0c-0000-4000-8000-000000000000) and pairs ' +
        'with a quote later on the line, into a row of 10 cells where the header names 11',
    },
    {
      header: EXPORT_CSV,
      column: 'UserIds',
      message:
        'a quote opens the UserIds cell ("user4@contoso.com) and pairs with a quote later on ' +
        'the line, into a row of 10 cells where the header names 11',
    },
    {
      header: EXPORT_CSV,
      column: 'ObjectState',
      message:
        'a quote opens the ObjectState cell ("Unchanged) and is not closed before line 8, ' +
        'which starts a row',
    },
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const { header, column, message } of cases) {
      it(`rejects only its row: ${column}, ${JSON.stringify(eol)}`, async () => {
        const file = generated(header, 10);
        loseClosingQuote(file, 4, column);
        const parsed = await read(file, eol);
        const damaged = parsed.rowLines[4] as number;

        assert.equal(parsed.format, 'm365-audit-csv');
        assert.deepEqual(rejectedLines(parsed), [damaged]);
        assert.equal(parsed.rejections[0]?.code, 'invalid_csv');
        assert.equal(parsed.rejections[0]?.message, message);
        assert.equal(parsed.rejections[0]?.origin.record, 5);
        assert.equal(parsed.rejections[0]?.snippet, file.rows[4]?.join(',').slice(0, 120));
        assert.deepEqual(eventLines(parsed), without(parsed.rowLines, damaged));
        assert.equal(parsed.events[4]?.fields.UserId, 'user5@contoso.com');
        assert.equal(parsed.events[4]?.fields.Subject, 'say "hi", twice');
        assertEachRowOnce(parsed);
        assert.deepEqual(parsed.warnings, []);
      });
    }
  }

  it('rejects a stray quote in unquoted cells', async () => {
    // Only AuditData is quoted, as a writer that quotes where needed writes it.
    const file = generated(PURVIEW, 10);
    for (const cells of file.rows) {
      cells.forEach((cell, index) => {
        if (PURVIEW[index] !== 'AuditData') cells[index] = cell.slice(1, -1);
      });
    }
    const row = file.rows[4] as string[];
    row[4] = `"${row[4]}`;
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [6]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the UserId cell ("user4@contoso.com) and pairs with a quote later on the ' +
        'line, into a row of 13 cells where the header names 8',
    );
    assert.equal(parsed.events.length, 9);
    assert.equal(parsed.events[0]?.fields.RecordId, 'rid-0');
    assertEachRowOnce(parsed);
  });
});

describe('m365-audit-csv quotes inside AuditData', () => {
  const cases: [string, (cell: string) => string, string][] = [
    [
      'a doubled quote lost',
      (cell) => cell.replace('""UserId"":""', '""UserId"":"'),
      'the AuditData cell has text after its closing quote at column 201 ' +
        '(…cessed"",""UserId"":"user4@contoso.com"")',
    ],
    [
      'a quote added',
      (cell) => cell.replace('""UserId"":""', '""UserId"":"""'),
      'the AuditData cell has text after its closing quote at column 203 ' +
        '(…ssed"",""UserId"":"""user4@contoso.com"")',
    ],
    [
      'an embedded quote not doubled',
      (cell) => cell.replace('\\""hi\\""', '\\"hi\\"'),
      'the AuditData cell has text after its closing quote at column 271 ' +
        '(…,""Subject"":""say \\"hi\\")',
    ],
    [
      'a stray quote before the value',
      (cell) => `"${cell}`,
      'the AuditData cell has text after its closing quote at column 96 ' +
        '(…user4@contoso.com",""{""CreationTime"":"…)',
    ],
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const [name, damage, message] of cases) {
      it(`rejects only its row: ${name}, ${JSON.stringify(eol)}`, async () => {
        const file = generated(PURVIEW, 10);
        const cells = file.rows[4] as string[];
        const column = PURVIEW.indexOf('AuditData');
        cells[column] = damage(cells[column] as string);
        assert.notEqual(cells[column], cellsOf(PURVIEW, 4)[column]);
        const parsed = await read(file, eol);

        assert.deepEqual(rejectedLines(parsed), [6]);
        assert.equal(parsed.rejections[0]?.code, 'invalid_csv');
        assert.equal(parsed.rejections[0]?.message, message);
        assert.equal(parsed.events.length, 9);
        assertEachRowOnce(parsed);
      });
    }
  }

  it('reads a quote inside a JSON string', async () => {
    const parsed = await read(generated(EXPORT_CSV, 3));

    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events[2]?.fields.Subject, 'say "hi", twice');
    assert.equal(parsed.events[2]?.fields.Identity, 'id-2');
  });
});

describe('m365-audit-csv damaged rows next to each other', () => {
  const neighbours = [
    ['RecordId', 'RecordId'],
    ['AssociatedAdminUnitsNames', 'AssociatedAdminUnitsNames'],
    ['AssociatedAdminUnitsNames', 'RecordId'],
    ['CreationDate', 'AssociatedAdminUnitsNames'],
    ['AuditData', 'Operation'],
  ];
  for (const [first, second] of neighbours) {
    it(`rejects each alone: ${first}, then ${second}`, async () => {
      const file = generated(PURVIEW, 10);
      loseClosingQuote(file, 4, first as string);
      loseClosingQuote(file, 5, second as string);
      const parsed = await read(file);

      assert.deepEqual(rejectedLines(parsed), [6, 7]);
      assert.deepEqual(eventLines(parsed), without(parsed.rowLines, 6, 7));
      assertEachRowOnce(parsed);
    });
  }

  it('rejects three damaged rows in a row', async () => {
    const file = generated(EXPORT_CSV, 10);
    loseClosingQuote(file, 4, 'RecordType');
    loseClosingQuote(file, 5, 'ObjectState');
    loseClosingQuote(file, 6, 'CreationDate');
    const parsed = await read(file, '\r\n');

    assert.deepEqual(rejectedLines(parsed), [7, 8, 9]);
    // The next row's own stray quote keeps it from starting a row, so the quote at its start
    // closes the value, and that row is read again on its own.
    assert.equal(
      parsed.rejections[1]?.message,
      'a quote opens the ObjectState cell ("Unchanged) and pairs with a quote 1 line later, ' +
        'into a row of 20 cells where the header names 11; the lines after it are read as rows',
    );
    assert.deepEqual(eventLines(parsed), without(parsed.rowLines, 7, 8, 9));
    assertEachRowOnce(parsed);
  });

  it('rejects two stray quotes far apart', async () => {
    const file = generated(PURVIEW, 30);
    loseClosingQuote(file, 3, 'AssociatedAdminUnitsNames');
    loseClosingQuote(file, 20, 'AssociatedAdminUnitsNames');
    const parsed = await read(file);

    assert.deepEqual(
      parsed.rejections.map((rejection) => rejection.message),
      [
        'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line 6, ' +
          'which starts a row',
        'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line 23, ' +
          'which starts a row',
      ],
    );
    assert.equal(parsed.events.length, 28);
    assertEachRowOnce(parsed);
  });
});

describe('m365-audit-csv damaged last row', () => {
  for (const [name, eol, end] of [
    ['with a line break', '\n', '\n'],
    ['without a line break', '\n', ''],
    ['with blank lines', '\n', '\n\n\n'],
    ['with CRLF', '\r\n', '\r\n'],
  ] as const) {
    it(`rejects it ${name}`, async () => {
      const file = generated(PURVIEW, 10);
      loseClosingQuote(file, 9, 'AssociatedAdminUnitsNames');
      const parsed = await read(file, eol, end);

      assert.deepEqual(rejectedLines(parsed), [11]);
      assert.equal(
        parsed.rejections[0]?.message,
        'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before the end ' +
          'of the input',
      );
      assert.equal(parsed.rejections[0]?.origin.record, 10);
      assert.equal(parsed.events.length, 9);
      assertEachRowOnce(parsed);
    });
  }

  it('rejects a damaged first row', async () => {
    const file = generated(EXPORT_CSV, 10);
    loseClosingQuote(file, 0, 'ObjectState');
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [3]);
    assert.equal(parsed.rejections[0]?.origin.record, 1);
    assert.equal(parsed.events[0]?.origin.record, 2);
    assertEachRowOnce(parsed);
  });
});

describe('m365-audit-csv multi-line AuditData', () => {
  it('reads values with line breaks around damage', async () => {
    const file = generated(PURVIEW, 10, [3, 5]);
    loseClosingQuote(file, 4, 'AssociatedAdminUnitsNames');
    const parsed = await read(file);
    const damaged = parsed.rowLines[4] as number;

    assert.deepEqual(rejectedLines(parsed), [damaged]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line ' +
        `${parsed.rowLines[5]}, which starts a row`,
    );
    assert.equal(parsed.events[3]?.fields.Id, 'id-3');
    assert.equal(parsed.events[4]?.fields.Id, 'id-5');
    assert.equal(parsed.events[4]?.fields.Subject, 'say "hi", twice');
    assertEachRowOnce(parsed);
    assert.deepEqual(parsed.warnings, []);
  });

  it('rejects a value left open with its lines', async () => {
    const file = generated(EXPORT_CSV, 10, [4]);
    const cells = file.rows[4] as string[];
    // The value's closing quote is lost and the cells after it are gone.
    cells.splice(5, 6, (cells[5] as string).slice(0, -1));
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [7]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the AuditData cell ("{) and is not closed before line 15, which starts a ' +
        'row; the lines after it from inside its value are rejected with it',
    );
    assert.equal(parsed.rowLines[5], 15);
    assert.equal(parsed.events.length, 9);
    assertEachRowOnce(parsed);
  });

  it('rejects a value closed by a lost quote', async () => {
    const file = generated(PURVIEW, 6, [2]);
    const cells = file.rows[2] as string[];
    cells[5] = (cells[5] as string).replace('""UserId"": ""', '""UserId"": "');
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [4]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the AuditData cell ("{) and pairs with a quote 4 lines later, into a row ' +
        'of 7 cells where the header names 8; the lines after it from inside its value are ' +
        'rejected with it',
    );
    assert.deepEqual(eventLines(parsed), without(parsed.rowLines, 4));
    assertEachRowOnce(parsed);
  });

  it('ends a value at a month name', async () => {
    // Only AuditData is quoted, so the next row has no quote before its value.
    const file = generated(PURVIEW, 8, [0, 1, 2, 3, 4, 5, 6, 7]);
    file.rows.forEach((cells, index) => {
      cells.forEach((cell, column) => {
        if (PURVIEW[column] !== 'AuditData') cells[column] = cell.slice(1, -1);
      });
      cells[1] = `6 mai 2024 09:00:0${index}`;
    });
    const damaged = file.rows[4] as string[];
    damaged[7] = '"';
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [parsed.rowLines[4]]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line ' +
        `${parsed.rowLines[5]}, which starts a row`,
    );
    assert.equal(parsed.events[4]?.fields.Id, 'id-5');
    assert.equal(parsed.events[4]?.fields.CreationDate, '6 mai 2024 09:00:05');
    assertEachRowOnce(parsed);
  });

  it('names a stray quote before the value', async () => {
    const file = generated(PURVIEW, 6, [2]);
    loseClosingQuote(file, 2, 'RecordType');
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [4]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the RecordType cell ("ExchangeItem) and pairs with a quote later on the ' +
        'line, which then opens a value that closes 7 lines later',
    );
    assertEachRowOnce(parsed);
  });

  it('counts lines after a row closed early with it', async () => {
    const file = generated(PURVIEW, 6, [2]);
    const cells = file.rows[2] as string[];
    cells[5] = `"${cells[5]}`;
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [4]);
    assert.equal(
      parsed.rejections[0]?.message,
      'the AuditData cell has text after its closing quote at column 98 ' +
        '(…user2@contoso.com",""{)',
    );
    assert.deepEqual(eventLines(parsed), without(parsed.rowLines, 4));
    assertEachRowOnce(parsed);
  });
});

describe('m365-audit-csv quoting', () => {
  it('rejects a quote inside an unquoted cell', async () => {
    const file = generated(PURVIEW, 4);
    const cells = file.rows[1] as string[];
    cells[4] = 'user1@contoso"com';
    const parsed = await read(file);

    assert.deepEqual(rejectedLines(parsed), [3]);
    assert.equal(
      parsed.rejections[0]?.message,
      'the UserId cell has a quote inside unquoted text at column 82 ' +
        '(…ilbox",user1@contoso"com)',
    );
    assert.equal(parsed.events.length, 3);
    assertEachRowOnce(parsed);
  });

  it('reads a header left open without its quotes', async () => {
    const path = join(dir, 'open-header.csv');
    const row = '"2024-03-01T10:00:00Z","u@contoso.com","Set-Mailbox","{}"';
    writeFileSync(path, `"CreationDate,"UserIds","Operations","AuditData\n${row}\n`);
    const parsed = await parseInput(path);

    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events[0]?.fields.Operations, 'Set-Mailbox');
    assert.equal(parsed.events[0]?.time, Date.parse('2024-03-01T10:00:00Z'));
    assert.equal(parsed.warnings[0]?.fields?.damage, 'a quote at column 38 that is not closed');
  });

  it('rejects a header left open that names no AuditData', async () => {
    const path = join(dir, 'open-header-unknown.csv');
    writeFileSync(path, '"CreationDate,"UserIds","Operations","Audit\n"a","b","c","{}"\n');

    await assert.rejects(parseInput(path, 'm365-audit-csv'), {
      message:
        `${path}:1: not a Microsoft 365 audit log CSV export: the header row has a quote at ` +
        'column 38 that is not closed, and read without quotes it names no AuditData column ' +
        'beside a CreationDate, Operation or RecordType (header: "\\"CreationDate,' +
        '\\"UserIds\\",\\"Operations\\",\\"Audit")',
    });
  });

  it('rejects a row longer than the limit', async () => {
    const file = generated(PURVIEW, 6, [2]);
    const written = write(file);
    // Each line is within the limit, and the row of many lines is not.
    const lines = readFileSync(written.path, 'utf8').split('\n');
    const limit = Math.max(...lines.map((line) => line.length)) + 1;
    assert.ok((file.rows[2] as string[]).join(',').length > limit);
    const limits = { ...TEST_SETTINGS.limits, maxRecordLength: limit };
    const parsed = await parseInput(written.path, undefined, { ...TEST_SETTINGS, limits });

    assert.deepEqual(rejectedLines(parsed), [4]);
    assert.equal(parsed.rejections[0]?.code, 'record_too_large');
    assert.equal(
      parsed.rejections[0]?.message,
      `CSV row is longer than the record length limit of ${limit} characters`,
    );
    assert.deepEqual(eventLines(parsed), without(written.rowLines, 4));
    assertEachRowOnce({ ...parsed, ...written });
  });
});

describe('m365-audit-csv stray quotes in a scan', () => {
  it('counts each row once and names the damaged cells', () => {
    const file = generated(EXPORT_CSV, 10, [7]);
    loseClosingQuote(file, 2, 'UserIds');
    loseClosingQuote(file, 5, 'ObjectState');
    const { path } = write(file, '\r\n');

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
          `${path} [m365-audit-csv] 10 read, 8 parsed, 2 rejected (invalid_csv 2)`,
        ),
        result.stderr,
      );
      const reasons = [
        ...result.stderr.matchAll(/line=(\d+) record=(\d+) code=\S+ reason="((?:[^"\\]|\\.)*)"/g),
      ];
      assert.deepEqual(
        reasons.map((match) => [Number(match[1]), Number(match[2]), match[3]]),
        [
          [
            5,
            3,
            'a quote opens the UserIds cell (\\"user2@contoso.com) and pairs with a quote later ' +
              'on the line, into a row of 10 cells where the header names 11',
          ],
          [
            8,
            6,
            'a quote opens the ObjectState cell (\\"Unchanged) and is not closed before line 9, ' +
              'which starts a row',
          ],
        ],
      );
    }
  });
});
