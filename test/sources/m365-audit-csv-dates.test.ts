import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * A row whose CreationDate has a date and no time of day, as an export saved again by a
 * spreadsheet writes it, starts a row. So it ends a value that a stray quote left open, and the
 * damaged row is rejected alone. The rows are built from the real records of
 * test/fixtures/identity/panther-microsoft365-audit.ndjson (see the README beside it).
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-m365-dates-'));
let files = 0;

const audit = readFileSync(fixturePath('identity', 'panther-microsoft365-audit.ndjson'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

const HEADER = ['RunspaceId', 'RecordType', 'CreationDate', 'UserIds', 'Operations', 'AuditData'];

/** Quotes a cell always, as Export-Csv does. */
function quoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Quotes a cell only when it needs quotes, as a spreadsheet saves it. */
function asNeeded(value: string): string {
  return /[",\r\n]/.test(value) ? quoted(value) : value;
}

interface Layout {
  name: string;
  quote: (value: string) => string;
  pretty: boolean;
}

const LAYOUTS: Layout[] = [
  { name: 'every cell quoted', quote: quoted, pretty: false },
  { name: 'cells quoted as needed', quote: asNeeded, pretty: false },
  { name: 'pretty AuditData quoted as needed', quote: asNeeded, pretty: true },
];

function rowOf(record: Record<string, unknown>, date: string, layout: Layout): string {
  const cells = [
    '3f2e1d0c-0000-4000-8000-000000000000',
    String(record.RecordType ?? record.recordtype),
    date,
    String(record.UserId ?? record.userid ?? ''),
    String(record.Operation ?? record.operation),
    JSON.stringify(record, null, layout.pretty ? 1 : undefined),
  ];
  return cells.map(layout.quote).join(',');
}

/** Returns the line each row starts on, after the header on line 1. */
function rowLines(rows: readonly string[]): number[] {
  let line = 2;
  return rows.map((row) => {
    const start = line;
    line += row.split('\n').length;
    return start;
  });
}

describe('m365-audit-csv CreationDate without a time', () => {
  const dates = ['2022-12-12', '12/12/2022', '12.12.2022', '2022/12/12', '12 déc. 2022'];
  for (const layout of LAYOUTS) {
    for (const date of dates) {
      it(`ends a stray quote's value: ${layout.name}, ${date}`, async () => {
        const rows = audit.map((record) => rowOf(record, date, layout));
        // The AuditData of the second row lost its closing quote.
        rows[1] = (rows[1] as string).slice(0, -1);
        const path = join(dir, `export-${++files}.csv`);
        writeFileSync(path, `${[HEADER.map(quoted).join(','), ...rows].join('\n')}\n`);
        const lines = rowLines(rows);
        const parsed = await parseInput(path);

        assert.equal(parsed.format, 'm365-audit-csv');
        assert.deepEqual(
          parsed.rejections.map((rejection) => rejection.origin.line),
          [lines[1]],
        );
        const opened = layout.pretty ? '"{' : '"{""Actor"":[{""ID"":""012345-abcde-543-…';
        const inside = layout.pretty
          ? '; the lines after it from inside its value are rejected with it'
          : '';
        assert.equal(
          parsed.rejections[0]?.message,
          `a quote opens the AuditData cell (${opened}) and is not closed before line ` +
            `${lines[2]}, which starts a row${inside}`,
        );
        assert.deepEqual(
          parsed.events.map((event) => [event.origin.line, event.fields.Operations]),
          [0, 2, 3, 4].map((index) => [
            lines[index],
            audit[index]?.Operation ?? audit[index]?.operation,
          ]),
        );
        assert.equal(parsed.events[1]?.fields.CreationDate, date);
      });
    }
  }
});
