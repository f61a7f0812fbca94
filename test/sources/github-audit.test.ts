import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { splitCsvRow } from '../../src/sources/github/audit-csv.js';
import { slugify } from '../../src/sources/github/audit-fields.js';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trustwatch-github-')), name);
  writeFileSync(path, text);
  return path;
}

describe('github-audit source', () => {
  it('reads Panther audit entries', async () => {
    const parsed = await parseInput(fixturePath('github', 'panther-audit.ndjson'));
    assert.equal(parsed.format, 'github-audit');
    assert.equal(parsed.events.length, 4);
    assert.equal(parsed.rejections.length, 0);
    const [branch, , install, clone] = parsed.events;
    assert.deepEqual(branch?.logsource, { product: 'github', service: 'audit' });
    assert.equal(branch?.time, 1621305118553);
    assert.equal(branch?.core.actor, 'cat');
    assert.equal(branch?.core.target, 'my-org/my-repo');
    assert.equal(install?.time, Date.parse('2022-12-11T05:28:05.542Z'));
    assert.equal(install?.fields.app_slug, 'microsoft-teams-for-github');
    assert.equal(install?.core.app, 'microsoft-teams-for-github');
    assert.equal(clone?.core.srcIp, '5.6.7.8');
    assert.equal(clone?.fields.app_slug, undefined);
  });

  it('reads the REST API array, newest first', async () => {
    const entries = [
      { '@timestamp': 1714986300000, action: 'git.clone', actor: 'acme-backup[bot]', org: 'c' },
      { '@timestamp': 1714986000000, action: 'org.add_member', actor: 'alice', org: 'c' },
    ];
    const parsed = await parseInput(tempFile('audit.json', JSON.stringify(entries)));
    assert.equal(parsed.format, 'github-audit');
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.record, event.time]),
      [
        [1, 1714986300000],
        [2, 1714986000000],
      ],
    );
    assert.equal(parsed.events[0]?.fields.app_slug, 'acme-backup');
    assert.equal(parsed.events[0]?.core.app, 'acme-backup');
  });

  it('lists granted permissions as name and level', async () => {
    const entry = {
      created_at: 1714986000000,
      action: 'integration_installation.version_updated',
      actor: 'alice',
      integration: 'Acme-Backup',
      permissions: { administration: 'write', contents: 'read', metadata: 'READ' },
    };
    const parsed = await parseInput(tempFile('audit.ndjson', `${JSON.stringify(entry)}\n`));
    const event = parsed.events[0];
    assert.equal(event?.fields.app_slug, 'acme-backup');
    assert.deepEqual(event?.fields.permission_levels, [
      'administration:write',
      'contents:read',
      'metadata:read',
    ]);
  });

  it('reads the CSV export', async () => {
    const parsed = await parseInput(fixturePath('github', 'audit-export.csv'));
    assert.equal(parsed.format, 'github-audit-csv');
    assert.equal(parsed.rejections.length, 0);
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [2, 3, 4, 6],
    );
    const [install, clone, hook] = parsed.events;
    assert.equal(install?.time, 1714986000000);
    assert.equal(install?.fields['actor_location.country_code'], 'DE');
    assert.equal(install?.fields.repo, undefined);
    assert.equal(clone?.fields.app_slug, 'acme-backup');
    assert.deepEqual(hook?.fields['data.events'], ['push', 'pull_request']);
    assert.equal(hook?.fields['data.note'], 'a note, with a comma\nand a line break');
  });

  it('rejects a CSV row of the wrong width', async () => {
    const text = 'action,actor,created_at\ngit.clone,alice,1714986000000\ngit.push,bob\n';
    const parsed = await parseInput(tempFile('audit.csv', text));
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.rejections.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
    assert.equal(parsed.rejections[0]?.origin.record, 3);
  });

  it('rejects a CSV value left open', async () => {
    const parsed = await parseInput(
      tempFile('audit.csv', 'action,actor,created_at\n"git.clone,a,1\n'),
    );
    assert.equal(parsed.events.length, 0);
    assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
  });
});

describe('github-audit-csv stray quotes', () => {
  const HEADER =
    'action,actor,created_at,org,repo,actor_location.country_code,data.events,data.note';
  const ROWS = [
    'integration_installation.create,alice,1714986000000,contoso,,DE,,',
    'git.clone,acme-backup[bot],1714986300000,contoso,contoso/payroll,US,,',
    'org.add_member,carol,1714986350000,contoso,,FR,,',
    'git.push,dave,1714986380000,contoso,contoso/site,DE,,',
    'repo.download_zip,acme-backup[bot],1714986500000,contoso,contoso/site,US,,',
  ];

  /** Reads the rows with `edits` applied by row index, and returns what became of each line. */
  async function readEdited(edits: Record<number, (row: string) => string>, eol = '\n') {
    const rows = ROWS.map((row, index) => edits[index]?.(row) ?? row);
    const parsed = await parseInput(tempFile('audit.csv', `${[HEADER, ...rows].join(eol)}${eol}`));
    return {
      parsed,
      events: parsed.events.map((event) => [event.origin.record, event.fields.action]),
      rejected: parsed.rejections.map((rejection) => rejection.origin.record),
    };
  }

  it('reads quotes inside unquoted cells as text', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => row.replace('alice', 'al"ice'),
      3: (row) => row.replace('dave', 'da"ve'),
    });

    assert.equal(parsed.format, 'github-audit-csv');
    assert.deepEqual(events, [
      [2, 'integration_installation.create'],
      [3, 'git.clone'],
      [4, 'org.add_member'],
      [5, 'git.push'],
      [6, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[0]?.fields.actor, 'al"ice');
    assert.equal(parsed.events[3]?.fields.actor, 'da"ve');
    assert.deepEqual(parsed.warnings, []);
  });

  it('reads quotes inside cells of CRLF rows as text', async () => {
    const edits = {
      1: (row: string) => row.replace('acme-backup[bot]', 'acme-"backup[bot]'),
      4: (row: string) => row.replace('acme-backup[bot]', 'acme-back"up[bot]'),
    };
    const { parsed, events, rejected } = await readEdited(edits, '\r\n');

    assert.equal(events.length, 5);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[1]?.fields.actor, 'acme-"backup[bot]');
    assert.equal(parsed.events[4]?.fields.actor, 'acme-back"up[bot]');
  });

  it('reads quotes on adjacent lines as text', async () => {
    const { parsed, events, rejected } = await readEdited({
      1: (row) => row.replace('contoso', 'con"toso'),
      2: (row) => row.replace('contoso', 'conto"so'),
    });

    assert.equal(events.length, 5);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[1]?.fields.org, 'con"toso');
    assert.equal(parsed.events[2]?.fields.org, 'conto"so');
  });

  it('reads quotes ending and filling cells as text', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => `${row}he said "hi`,
      1: (row) => row.replace('US', 'US"'),
      2: (row) => `${row}"a "quoted" word`,
      3: (row) => `${row}""`,
      4: (row) => `${row}5" screen`,
    });

    assert.equal(events.length, 5);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[0]?.fields['data.note'], 'he said "hi');
    assert.equal(parsed.events[1]?.fields['actor_location.country_code'], 'US"');
    // A quote at a cell start opens a value, and text after its closing quote is kept.
    assert.equal(parsed.events[2]?.fields['data.note'], 'a quoted" word');
    assert.equal(parsed.events[3]?.fields['data.note'], undefined);
    assert.equal(parsed.events[4]?.fields['data.note'], '5" screen');
  });

  it('rejects a stray quote at a cell start', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => row.replace('alice', '"alice'),
      2: (row) => row.replace('carol', 'ca"rol'),
    });

    assert.deepEqual(events, [
      [3, 'git.clone'],
      [4, 'org.add_member'],
      [5, 'git.push'],
      [6, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, [2]);
    assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("alice) and is not closed before line 3, which starts a row',
    );
    assert.equal(parsed.rejections[0]?.snippet, ROWS[0]?.replace('alice', '"alice'));
    assert.equal(parsed.events[1]?.fields.actor, 'ca"rol');
  });

  it('reads on after a stray quote that opens a cell', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => row.replace('alice', 'al"ice'),
      2: (row) => row.replace('carol', '"carol'),
    });

    assert.deepEqual(events, [
      [2, 'integration_installation.create'],
      [3, 'git.clone'],
      [5, 'git.push'],
      [6, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, [4]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the actor cell ("carol) and is not closed before line 5, which starts a row',
    );
  });

  it('reads stray quotes around a quoted cell', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => row.replace('alice', 'al"ice'),
      1: (row) => row.replace('acme-backup[bot]', '"acme-backup[bot]"'),
      2: (row) => row.replace('carol', 'ca"rol'),
    });

    assert.equal(events.length, 5);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[1]?.fields.actor, 'acme-backup[bot]');
    assert.equal(parsed.events[1]?.fields.app_slug, 'acme-backup');
  });

  it('reads a stray quote before a quoted value', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => `${row}note with a "quote`,
      2: (row) => `${row}"a note, with a comma\nand a line break"`,
    });

    assert.deepEqual(events, [
      [2, 'integration_installation.create'],
      [3, 'git.clone'],
      [4, 'org.add_member'],
      [6, 'git.push'],
      [7, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, []);
    assert.equal(parsed.events[0]?.fields['data.note'], 'note with a "quote');
    assert.equal(parsed.events[2]?.fields['data.note'], 'a note, with a comma\nand a line break');
    assert.deepEqual(parsed.warnings, []);
  });

  it('keeps a quoted value whose lines look like rows', async () => {
    const note = '"first line\none,two,three,four,five,six,seven,eight"';
    const { parsed, events, rejected } = await readEdited({
      0: (row) => `${row}${note}`,
    });

    assert.deepEqual(events, [
      [2, 'integration_installation.create'],
      [4, 'git.clone'],
      [5, 'org.add_member'],
      [6, 'git.push'],
      [7, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, []);
    assert.equal(
      parsed.events[0]?.fields['data.note'],
      'first line\none,two,three,four,five,six,seven,eight',
    );
    assert.equal(parsed.warnings.length, 1);
    assert.deepEqual(parsed.warnings[0]?.fields, {
      file: parsed.events[0]?.origin.file,
      line: 2,
      column: 'data.note',
      row_like_lines: '3',
    });
  });

  it('reads rows after a stray quote in the last cell', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => `${row}"quoted start`,
      3: (row) => `${row}end quote"`,
    });

    // The rows after the stray quote read as entries, so they end its value before the quote
    // at a cell end would close it.
    assert.deepEqual(events, [
      [3, 'git.clone'],
      [4, 'org.add_member'],
      [5, 'git.push'],
      [6, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, [2]);
    assert.equal(
      parsed.rejections[0]?.message,
      'a quote opens the data.note cell ("quoted start) and is not closed before line 3, ' +
        'which starts a row',
    );
    assert.equal(parsed.events[2]?.fields['data.note'], 'end quote"');
    assert.deepEqual(parsed.warnings, []);
  });

  it('reads a quote mid-cell before a line break as text', async () => {
    const { parsed, events, rejected } = await readEdited({
      0: (row) => `${row}see "the ticket`,
      1: () => 'for details"',
    });

    assert.deepEqual(events, [
      [2, 'integration_installation.create'],
      [4, 'org.add_member'],
      [5, 'git.push'],
      [6, 'repo.download_zip'],
    ]);
    assert.deepEqual(rejected, [3]);
    assert.equal(parsed.events[0]?.fields['data.note'], 'see "the ticket');
    assert.equal(parsed.rejections[0]?.message, 'row has 1 cells, the header names 8');
  });
});

describe('github csv rows', () => {
  it('splits quoted and doubled quotes', () => {
    assert.deepEqual(splitCsvRow('a,"b,c","d ""e"""'), ['a', 'b,c', 'd "e"']);
    assert.deepEqual(splitCsvRow('a,,'), ['a', '', '']);
    assert.equal(splitCsvRow('a,"open'), undefined);
  });

  it('reads quotes inside unquoted cells as text', () => {
    assert.deepEqual(splitCsvRow('a,b"c,d'), ['a', 'b"c', 'd']);
    assert.deepEqual(splitCsvRow('a,5" screen'), ['a', '5" screen']);
    assert.deepEqual(splitCsvRow(' "x",y'), [' "x"', 'y']);
    assert.deepEqual(splitCsvRow('"ab"cd,e'), ['abcd', 'e']);
    assert.deepEqual(splitCsvRow('x,"a"b"c"'), ['x', 'ab"c"']);
  });
});

describe('github app slugs', () => {
  it('follows the slug rule of app names', () => {
    assert.equal(slugify('Datadog CI'), 'datadog-ci');
    assert.equal(slugify('  Acme: Backup++ Connect '), 'acme-backup-connect');
  });
});
