import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ParsedInput, parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * A quoted value with line breaks whose own lines read as whole entries of the export stays one
 * value when its quoting is consistent: it closes and its row has the header's width. A stray
 * quote whose value runs on over such lines is still rejected alone. The rows are built from the
 * real records of the fixtures (see test/fixtures/README.md and test/fixtures/identity/README.md).
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-csv-value-lines-'));
let files = 0;

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Quotes a cell when it needs quotes, as the GitHub export and most CSV writers do. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Quotes a cell always, as Export-Csv and the Purview export do. */
function quoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function write(lines: readonly string[], eol = '\n'): string {
  const path = join(dir, `export-${++files}.csv`);
  writeFileSync(path, `${lines.join(eol)}${eol}`);
  return path;
}

function eventLines(parsed: ParsedInput): number[] {
  return parsed.events.map((event) => event.origin.line ?? -1);
}

function rejectedLines(parsed: ParsedInput): number[] {
  return parsed.rejections.map((rejection) => rejection.origin.line ?? -1);
}

describe('github-audit-csv value whose lines read as entries', () => {
  const entries = records(fixturePath('github', 'panther-audit.ndjson'));

  /**
   * The cells of a fixture entry under `keys`, with `note` as its data.note. Panther writes the
   * export's `@timestamp` as `at_sign_timestamp`.
   */
  function rowOf(entry: Record<string, unknown>, keys: readonly string[], note = ''): string {
    const location = entry.actor_location as { country_code?: string } | undefined;
    const values: Record<string, unknown> = {
      ...entry,
      '@timestamp': entry.at_sign_timestamp,
      'actor_location.country_code': location?.country_code,
      'data.note': note,
    };
    return keys.map((key) => cell(values[key] === undefined ? '' : String(values[key]))).join(',');
  }

  const LAST = ['@timestamp', 'action', 'actor', 'created_at', 'org', 'repo'];
  const layouts = [
    { name: 'last column', keys: [...LAST, 'data.note'] },
    { name: 'middle column', keys: ['@timestamp', 'action', 'data.note', 'actor', 'created_at'] },
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const { name, keys } of layouts) {
      it(`keeps the value whole: ${name}, ${JSON.stringify(eol)}`, async () => {
        // A note that quotes two entries of the export, one per line, then a comment on them.
        const quotedRows = entries.slice(0, 2).map((entry) => rowOf(entry, keys));
        const note = ['Copied from the export:', ...quotedRows, 'Both are expected.'].join('\n');
        const rows = [
          rowOf(entries[2] as Record<string, unknown>, keys, note),
          rowOf(entries[3] as Record<string, unknown>, keys),
        ];
        const parsed = await parseInput(write([keys.join(','), ...rows], eol));

        assert.equal(parsed.format, 'github-audit-csv');
        assert.deepEqual(parsed.rejections, []);
        assert.deepEqual(eventLines(parsed), [2, 6]);
        assert.equal(parsed.events[0]?.fields.action, 'integration_installation.create');
        assert.equal(parsed.events[0]?.fields['data.note'], note);
        assert.equal(parsed.events[0]?.fields.created_at, '2022-12-11 05:28:05.542');
        assert.equal(parsed.events[1]?.fields.action, 'git.clone');
        assert.equal(parsed.warnings.length, 1);
        assert.equal(parsed.warnings[0]?.fields?.row_like_lines, '3, 4');
        assert.equal(parsed.warnings[0]?.fields?.column, 'data.note');
      });
    }
  }

  it('keeps values whose every line reads as an entry', async () => {
    const keys = [...LAST, 'data.note'];
    const note = entries.map((entry) => rowOf(entry, keys)).join('\n');
    const rows = entries.map((entry, index) => rowOf(entry, keys, index === 1 ? note : ''));
    const parsed = await parseInput(write([keys.join(','), ...rows]));

    assert.deepEqual(parsed.rejections, []);
    assert.deepEqual(eventLines(parsed), [2, 3, 7, 8]);
    assert.equal(parsed.events[1]?.fields['data.note'], note);
  });

  it('rejects a stray quote before such lines', async () => {
    const keys = [...LAST, 'data.note'];
    const rows = entries.map((entry) => rowOf(entry, keys));
    // The note's closing quote is lost, so its value never closes.
    const note = `Copied from the export:\n${rows[0]}\n${rows[1]}`;
    const damaged = rowOf(entries[2] as Record<string, unknown>, keys, note).slice(0, -1);
    const parsed = await parseInput(write([keys.join(','), damaged, rows[3] as string]));

    assert.deepEqual(rejectedLines(parsed), [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("Copied from the export:) and is not closed before ' +
        'line 3, which starts a row',
    );
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.line, event.fields.action]),
      [
        [3, 'protected_branch.destroy'],
        [4, 'org.disable_oauth_app_restrictions'],
        [5, 'git.clone'],
      ],
    );
  });

  it('rejects a stray quote closed by text after its quote', async () => {
    const keys = [...LAST, 'data.note'];
    const rows = entries.map((entry) => rowOf(entry, keys));
    const lines = [
      keys.join(','),
      `${rows[0]}"a note`,
      rows[1] as string,
      `${rows[2]}"quoted" text`,
      rows[3] as string,
    ];
    const parsed = await parseInput(write(lines));

    assert.deepEqual(rejectedLines(parsed), [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("a note) and is not closed before line 3, which ' +
        'starts a row',
    );
    assert.deepEqual(eventLines(parsed), [3, 4, 5]);
    // The export's reader keeps text after a closing quote.
    assert.equal(parsed.events[1]?.fields['data.note'], 'quoted text');
  });

  it('rejects two stray quotes that pair across entries', async () => {
    const keys = [...LAST, 'data.note'];
    const rows = entries.map((entry) => rowOf(entry, keys));
    // A quote added at the start of an actor and one at the end of a later actor.
    const lines = [
      keys.join(','),
      (rows[0] as string).replace(',cat,', ',"cat,'),
      rows[1] as string,
      (rows[2] as string).replace(',user_name,', ',user_name",'),
      rows[3] as string,
    ];
    const parsed = await parseInput(write(lines));

    assert.deepEqual(rejectedLines(parsed), [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("cat) and is not closed before line 3, which starts a row',
    );
    assert.deepEqual(eventLines(parsed), [3, 4, 5]);
    assert.equal(parsed.events[1]?.fields.actor, 'user_name"');
  });
});

describe('m365-audit-csv AuditData whose lines read as rows', () => {
  const audit = records(fixturePath('identity', 'panther-microsoft365-audit.ndjson'));
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

  /** Builds the Purview export's row of a record, every cell quoted. */
  function purviewRow(record: Record<string, unknown>, id: string, auditData: string): string {
    const time = String(record.CreationTime).replace(' ', 'T');
    const cells = [
      id,
      `${time}.0000000Z`,
      String(record.RecordType),
      String(record.Operation),
      String(record.UserId ?? ''),
      auditData,
      '',
      '',
    ];
    return cells.map(quoted).join(',');
  }

  /**
   * Builds the SharePoint record with an EventData text that is a row of the export. The
   * pretty-printed AuditData writes it on one line, which reads as a row on its own.
   */
  function sharingRecord(): Record<string, unknown> {
    const sharing = { ...(audit[2] as Record<string, unknown>) };
    const login = audit[0] as Record<string, unknown>;
    const time = '2022-12-12T15:57:57.0000000Z';
    sharing.EventData = `rid-9,${time},15,${login.Operation},${login.UserId},{},`;
    return sharing;
  }

  for (const eol of ['\n', '\r\n']) {
    it(`keeps the AuditData whole, ${JSON.stringify(eol)}`, async () => {
      const sharing = sharingRecord();
      const pretty = JSON.stringify(sharing, null, 1);
      const rows = [
        purviewRow(audit[1] as Record<string, unknown>, 'rid-1', JSON.stringify(audit[1])),
        purviewRow(sharing, 'rid-2', pretty),
        purviewRow(audit[3] as Record<string, unknown>, 'rid-3', JSON.stringify(audit[3])),
      ];
      const innerLine = 3 + pretty.split('\n').findIndex((line) => line.includes('EventData'));
      const parsed = await parseInput(write([PURVIEW.map(quoted).join(','), ...rows], eol));

      assert.equal(parsed.format, 'm365-audit-csv');
      assert.deepEqual(parsed.rejections, []);
      assert.deepEqual(
        parsed.events.map((event) => event.fields.Operation),
        ['UserLoggedIn', 'AddedToSecureLink', 'Update user.'],
      );
      assert.equal(parsed.events[1]?.fields.EventData, sharing.EventData);
      assert.equal(parsed.events[2]?.origin.line, 3 + pretty.split('\n').length);
      assert.equal(parsed.events[2]?.origin.record, 3);
      assert.equal(parsed.warnings.length, 1);
      assert.equal(parsed.warnings[0]?.fields?.row_like_lines, String(innerLine));
      assert.equal(parsed.warnings[0]?.fields?.column, 'AuditData');
    });
  }

  it('rejects a stray quote before such a row', async () => {
    const sharing = sharingRecord();
    const pretty = JSON.stringify(sharing, null, 1);
    // The last cell of the first row lost its closing quote.
    const damaged = purviewRow(audit[1] as Record<string, unknown>, 'rid-1', '{}').slice(0, -1);
    const rows = [
      damaged,
      purviewRow(sharing, 'rid-2', pretty),
      purviewRow(audit[3] as Record<string, unknown>, 'rid-3', JSON.stringify(audit[3])),
    ];
    const parsed = await parseInput(write([PURVIEW.map(quoted).join(','), ...rows]));

    assert.deepEqual(rejectedLines(parsed), [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the AssociatedAdminUnitsNames cell (") and is not closed before line 3, ' +
        'which starts a row',
    );
    assert.deepEqual(
      parsed.events.map((event) => event.fields.Operation),
      ['AddedToSecureLink', 'Update user.'],
    );
    assert.equal(parsed.events[0]?.fields.EventData, sharing.EventData);
  });

  it('rejects a value that closes with text after its quote', async () => {
    const sharing = sharingRecord();
    const pretty = JSON.stringify(sharing, null, 1);
    // A quote inside the value lost its double, so the value closes inside the JSON.
    const cut = purviewRow(sharing, 'rid-2', pretty).replace('""Site"": ""', '""Site"": "');
    const rows = [
      cut,
      purviewRow(audit[3] as Record<string, unknown>, 'rid-3', JSON.stringify(audit[3])),
    ];
    const parsed = await parseInput(write([PURVIEW.map(quoted).join(','), ...rows]));
    const inner = 2 + pretty.split('\n').findIndex((line) => line.includes('EventData'));

    // The lines of the value after that line are indented, so they are rejected with it too.
    assert.deepEqual(rejectedLines(parsed), [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      `a quote opens the AuditData cell ("{) and is not closed before line ${inner}, which ` +
        'starts a row; the lines after it from inside its value are rejected with it',
    );
    assert.deepEqual(
      parsed.events.map((event) => event.fields.Operation),
      ['Update user.'],
    );
  });
});
