import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * Files of several API response pages, as a script that saves every page of a query writes
 * them, where some pages contain no records. The pages with records give their records, and the
 * pages without are counted, neither read nor rejected, whatever their order and layout.
 */

type Page = Record<string, unknown>;

const WORKSPACE = JSON.parse(
  readFileSync(fixturePath('google-workspace', 'reports-api-activities.json'), 'utf8'),
) as { kind: string; items: Page[] };

/** A Reports API page with the fixture's two activities, which give three events. */
const FULL: Page = {
  kind: WORKSPACE.kind,
  etag: '"p1"',
  nextPageToken: 'A:1',
  items: WORKSPACE.items,
};
const FULL_EVENTS = ['CHANGE_APPLICATION_SETTING', 'AUTHORIZE_API_CLIENT_ACCESS', 'authorize'];

/** Pages the Reports API writes for a query without results. */
const EMPTY_PAGES: Record<string, Page> = {
  'without items': { kind: 'admin#reports#activities', etag: '"e1"' },
  'with a page token': { kind: 'admin#reports#activities', etag: '"e2"', nextPageToken: 'B:2' },
  'with empty items': { kind: 'admin#reports#activities', etag: '"e3"', items: [] },
};

/** Ways to write several JSON pages into one file. */
const LAYOUTS: Record<string, (pages: Page[]) => string> = {
  'one per line': (pages) => pages.map((page) => `${JSON.stringify(page)}\n`).join(''),
  'one per line with CRLF': (pages) => pages.map((page) => `${JSON.stringify(page)}\r\n`).join(''),
  'back to back': (pages) => pages.map((page) => JSON.stringify(page)).join(''),
  'pretty-printed': (pages) => pages.map((page) => `${JSON.stringify(page, null, 2)}\n`).join(''),
};

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trustwatch-pages-')), name);
  writeFileSync(path, text);
  return path;
}

describe('API pages without records', () => {
  const orders: Record<string, (empty: Page) => Page[]> = {
    'empty first': (empty) => [empty, FULL],
    'empty last': (empty) => [FULL, empty],
    'empty around': (empty) => [empty, FULL, empty],
    'empty between': (empty) => [FULL, empty, FULL],
  };

  for (const [layout, write] of Object.entries(LAYOUTS)) {
    for (const [order, arrange] of Object.entries(orders)) {
      it(`reads Workspace pages ${layout}, ${order}`, async () => {
        for (const [kind, empty] of Object.entries(EMPTY_PAGES)) {
          const pages = arrange(empty);
          const parsed = await parseInput(tempFile('activities.json', write(pages)));

          const full = pages.filter((page) => page === FULL).length;
          const names = parsed.events.map((event) => event.fields.name ?? event.core.action);
          assert.equal(parsed.format, 'google-workspace', kind);
          assert.deepEqual(parsed.rejections, [], kind);
          assert.equal(parsed.events.length, 3 * full, kind);
          assert.deepEqual(names.slice(0, 2), FULL_EVENTS.slice(0, 2), kind);
          assert.equal(parsed.emptyPages, pages.length - full, kind);
          assert.deepEqual(parsed.skipped, [], kind);
        }
      });
    }
  }

  it('keeps the record numbers of each page', async () => {
    const text = LAYOUTS['one per line']?.([EMPTY_PAGES['without items'] as Page, FULL]) ?? '';
    const parsed = await parseInput(tempFile('activities.json', text));

    // The empty page takes record 1, as any value at the top level does.
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [2, 2, 3],
    );
    assert.deepEqual(
      parsed.events.map((event) => event.origin.line),
      [2, 2, 2],
    );
  });

  it('reads Graph-style value pages', async () => {
    const records = JSON.parse(
      readFileSync(fixturePath('azure-activity', 'rest-export.json'), 'utf8'),
    ) as Page[];
    const context = 'https://management.azure.com/$metadata#activityLogs';
    const full = { '@odata.context': context, value: records };
    const empty = { '@odata.context': context, value: [] };
    for (const pages of [
      [empty, full],
      [full, empty],
      [empty, full, empty],
    ]) {
      const parsed = await parseInput(
        tempFile('activity.json', LAYOUTS['one per line']?.(pages) ?? ''),
      );

      assert.equal(parsed.format, 'azure-activity');
      assert.deepEqual(parsed.rejections, []);
      assert.equal(parsed.events.length, records.length);
      assert.equal(parsed.emptyPages, pages.length - 1);
    }
  });

  it('counts pages among NDJSON records', async () => {
    const record = (index: number, extra = '') =>
      `{"EventID":4688,"Channel":"Security","Hostname":"h1",` +
      `"@timestamp":"2024-03-12T10:00:0${index}Z","SubjectUserName":"u${index}"${extra}}`;
    const lines = [
      '',
      record(1),
      '{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata", "value": [ ]}',
      record(2, ',"Note":"[]"'),
      '{"value":[\t \r]}',
      // The brackets in the string come before the empty array and prove nothing.
      '{"note": "[x] [ y]", "Records": [  ]}',
      record(3, ',"Tags":["a"],"Empty":{}'),
      // More brackets than the depth check counts come before the empty array.
      `{"note": "${'['.repeat(70)}", "value": []}`,
      record(4, `,"Note":"${'['.repeat(70)}"`),
      '{"value": [], "Records": [ {"EventID": 1} ]}',
      '',
    ];
    const parsed = await parseInput(tempFile('events.ndjson', lines.join('\n')));

    assert.equal(parsed.format, 'windows-flat');
    assert.equal(parsed.emptyPages, 4);
    // NDJSON numbers a record by its line, so the blank first line shows the layout.
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [2, 4, 7, 9],
    );
    assert.deepEqual(
      parsed.rejections.map((rejection) => [rejection.code, rejection.origin.line]),
      [['unexpected_shape', 10]],
    );
  });

  it('counts empty CloudTrail pages', async () => {
    const delivered = readFileSync(
      fixturePath('aws', '218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json'),
      'utf8',
    );
    const records = (JSON.parse(delivered) as { Records: Page[] }).Records;
    const text = `{"Records":[]}\n${JSON.stringify({ Records: records })}\n{"Records":[]}\n`;
    const parsed = await parseInput(tempFile('trail.json', text));

    assert.equal(parsed.format, 'aws-cloudtrail');
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events.length, records.length);
    assert.equal(parsed.emptyPages, 2);
  });

  it('reads past empty pages longer than the head', async () => {
    // 2,000 pages of about 60 bytes each pass the 64 KiB that format detection reads first.
    const empty = Array.from({ length: 2000 }, (_, index) => ({
      kind: 'admin#reports#activities',
      etag: `"e${index}"`,
    }));
    const parsed = await parseInput(
      tempFile('polled.ndjson', LAYOUTS['one per line']?.([...empty, FULL]) ?? ''),
    );

    assert.equal(parsed.format, 'google-workspace');
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events.length, 3);
    assert.equal(parsed.emptyPages, 2000);
  });

  it('skips an input of only empty pages longer than the head', async () => {
    const empty = Array.from({ length: 2000 }, (_, index) => ({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns',
      value: [],
      '@odata.nextLink': `https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=${index}`,
    }));
    const parsed = await parseInput(
      tempFile('polled.json', LAYOUTS['back to back']?.(empty) ?? ''),
    );

    assert.equal(parsed.format, undefined);
    assert.equal(parsed.note, '2000 API pages without records: 0 records');
    assert.deepEqual(parsed.events, []);
    assert.deepEqual(parsed.rejections, []);
  });

  it('rejects a page whose items are not an array', async () => {
    const broken = { kind: 'admin#reports#activities', etag: '"x"', items: null };
    const parsed = await parseInput(
      tempFile('activities.json', LAYOUTS['one per line']?.([FULL, broken]) ?? ''),
    );

    assert.equal(parsed.events.length, 3);
    assert.equal(parsed.emptyPages, 0);
    assert.deepEqual(
      parsed.rejections.map((rejection) => [rejection.code, rejection.origin.line]),
      [['unexpected_shape', 2]],
    );
  });

  it('leaves an empty page inside a record array a record', async () => {
    // Only a value at the top level can be a page: an element of `items` is an activity.
    const inner = { ...FULL, items: [...WORKSPACE.items, { kind: 'admin#reports#activities' }] };
    const parsed = await parseInput(tempFile('activities.json', JSON.stringify(inner)));

    assert.equal(parsed.events.length, 3);
    assert.equal(parsed.emptyPages, 0);
    assert.deepEqual(
      parsed.rejections.map((rejection) => rejection.message),
      ['record is not a Reports API activity'],
    );
  });
});

describe('scan summary of API pages', () => {
  it('counts the pages without records', () => {
    const empty = EMPTY_PAGES['without items'] as Page;
    const path = tempFile('activities.json', LAYOUTS['one per line']?.([empty, FULL, empty]) ?? '');
    const result = runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'hits', path]);

    assert.equal(result.status, 0, result.stderr);
    assert.ok(
      result.stderr.includes(
        `  ${path} [google-workspace] 3 read, 3 parsed, 0 rejected, 2 pages without records\n`,
      ),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /record rejected/);
  });
});
