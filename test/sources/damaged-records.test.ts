import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ReadResult, readInput } from '../helpers/read-input.js';

/**
 * One damaged record costs that record only: the records after it are still read. Each input
 * here is a fixture with one record cut, sliced or broken, and each is read the way `scan` reads
 * it, format detection included.
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-damaged-'));
const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

function fixtureLines(path: string): string[] {
  return readFileSync(join(FIXTURES, path), 'utf8').split('\n').filter(Boolean);
}

async function readText(name: string, text: string): Promise<ReadResult> {
  const path = join(dir, name);
  writeFileSync(path, text);
  return readInput(path);
}

function codes(result: ReadResult): string[] {
  return result.rejections.map((rejection) => rejection.code);
}

const OKTA = fixtureLines('identity/panther-okta-systemlog.ndjson');
const ENTRA = fixtureLines('identity/panther-azure-signin-audit.ndjson').map(
  (line) => JSON.parse(line) as Record<string, unknown>,
);

/** Ids of the Okta events read, to show which records survived. */
function oktaIds(result: ReadResult): unknown[] {
  return result.events.map((event) => event.fields.uuid);
}

/** Time and fields of each event, to compare two reads of the same records. */
function eventValues(result: ReadResult): unknown[] {
  return result.events.map((event) => [event.time, event.fields]);
}

function lines(result: ReadResult): number[] {
  return result.rejections.map((rejection) => rejection.origin.line);
}

function snippets(result: ReadResult): (string | undefined)[] {
  return result.rejections.map((rejection) => rejection.snippet);
}

describe('damaged records', () => {
  it('reads NDJSON with a cut first line', async () => {
    const first = OKTA[0] as string;
    const cut = [first.slice(0, first.length / 2), ...OKTA.slice(1)].join('\n');
    const result = await readText('okta-cut.ndjson', `${cut}\n`);
    const intact = await readText('okta.ndjson', `${OKTA.join('\n')}\n`);

    assert.equal(result.format, 'okta-system-log');
    assert.deepEqual(codes(result), ['invalid_json', ...codes(intact)]);
    assert.equal(result.rejections[0]?.origin.line, 1);
    assert.deepEqual(oktaIds(result), oktaIds(intact).slice(1));
  });

  it('reads NDJSON after two damaged lines', async () => {
    const [first, second] = OKTA as [string, string];
    const damaged = [first.slice(0, 50), '', second.slice(30), ...OKTA.slice(2)].join('\n');
    const result = await readText('okta-two-cut.ndjson', `${damaged}\n`);
    const intact = await readText('okta.ndjson', `${OKTA.join('\n')}\n`);

    assert.equal(result.format, 'okta-system-log');
    assert.deepEqual(codes(result), ['invalid_json', 'invalid_json', ...codes(intact)]);
    assert.deepEqual(oktaIds(result), oktaIds(intact).slice(2));
  });

  it('reads NDJSON starting mid-record', async () => {
    const text = `${OKTA.join('\n')}\n`;
    const result = await readText('okta-tail.ndjson', text.slice(40));
    const intact = await readText('okta.ndjson', text);

    assert.equal(result.format, 'okta-system-log');
    assert.deepEqual(codes(result), ['invalid_json', ...codes(intact)]);
    assert.deepEqual(oktaIds(result), oktaIds(intact).slice(1));
  });

  it('resyncs after a cut pretty-printed record', async () => {
    const pretty = ENTRA.map((record) => JSON.stringify(record, null, 2));
    const second = pretty[1] as string;
    // Cut inside a string, and in another copy between two values.
    const inString = second.slice(0, second.indexOf('"resourceId"') + 12);
    const betweenValues = second.slice(0, second.indexOf('"resourceId"') - 1);
    for (const cut of [inString, betweenValues]) {
      const text = [pretty[0], cut, ...pretty.slice(2)].join('\n');
      const result = await readText('entra-pretty.json', `${text}\n`);
      assert.deepEqual(codes(result), ['invalid_json']);
      assert.equal(result.rejections[0]?.origin.line, (pretty[0] as string).split('\n').length + 1);
      assert.equal(result.events.length, ENTRA.length - 1);
    }
  });

  it('resyncs after a cut array element', async () => {
    const array = JSON.stringify(ENTRA, null, 2);
    const elements = array.slice(2, array.lastIndexOf('\n  }')).split('\n  },\n');
    const cut = (elements[2] as string).slice(0, 200);
    const body = [elements[0], elements[1], cut, ...elements.slice(3)].join('\n  },\n');
    const text = `[\n${body}\n  }\n]\n`;
    const result = await readText('entra-array.json', text);

    assert.deepEqual(codes(result), ['invalid_json']);
    assert.equal(result.events.length, ENTRA.length - 1);
  });

  it('rejects an unmatched bracket', async () => {
    const pretty = ENTRA.map((record) => JSON.stringify(record, null, 2));
    const text = [pretty[0], '}', ...pretty.slice(1)].join('\n');
    const result = await readText('entra-stray.json', `${text}\n`);

    assert.deepEqual(codes(result), ['invalid_json']);
    assert.match(result.rejections[0]?.message ?? '', /unmatched "}" between records/);
    assert.equal(result.events.length, ENTRA.length);
  });

  it('keeps zero-indent JSON whole', async () => {
    const text = ENTRA.map((record) =>
      JSON.stringify({ ...record, nested: [{ a: 1 }, { b: 2 }] }, null, 1).replace(/^ +/gm, ''),
    ).join('\n');
    const result = await readText('entra-flat.json', `${text}\n`);

    assert.deepEqual(codes(result), []);
    assert.equal(result.events.length, ENTRA.length);
  });

  it('resyncs after a stray CSV quote', async () => {
    const lines = readFileSync(join(FIXTURES, 'github/audit-export.csv'), 'utf8').split('\n');
    lines[1] = (lines[1] as string).replace('alice', '"alice');
    const result = await readText('github.csv', lines.join('\n'));
    const intact = await readInput(join(FIXTURES, 'github/audit-export.csv'));

    assert.equal(result.format, 'github-audit-csv');
    assert.deepEqual(codes(result), ['invalid_csv_row']);
    assert.equal(result.rejections[0]?.origin.line, 2);
    assert.deepEqual(
      result.events.map((event) => event.fields.action),
      intact.events.slice(1).map((event) => event.fields.action),
    );
  });

  it('rejects each text line between pretty records', async () => {
    const pretty = ENTRA.map((record) => JSON.stringify(record, null, 2));
    const intact = await readText('entra-pretty.json', `${pretty.join('\n')}\n`);
    const text = [
      pretty[0],
      'WARNING: the command is in preview. Use "--all" for {more}.',
      '',
      'Page 2 of 3',
      `${pretty[1]} trailing words`,
      `note: next record ${pretty[2]}`,
      ...pretty.slice(3),
    ].join('\n');
    const result = await readText('entra-text.json', `${text}\n`);
    const first = (pretty[0] as string).split('\n').length;
    const second = (pretty[1] as string).split('\n').length;

    assert.equal(result.format, intact.format);
    assert.deepEqual(codes(result), [
      'invalid_json',
      'invalid_json',
      'invalid_json',
      'invalid_json',
    ]);
    assert.deepEqual(lines(result), [first + 1, first + 3, first + 3 + second, first + 4 + second]);
    assert.deepEqual(snippets(result), [
      'WARNING: the command is in preview. Use "--all" for {more}.',
      'Page 2 of 3',
      'trailing words',
      'note: next record',
    ]);
    assert.deepEqual(eventValues(result), eventValues(intact));
  });

  it('rejects JSON scalars between pretty records', async () => {
    const pretty = ENTRA.map((record) => JSON.stringify(record, null, 2));
    const intact = await readText('entra-pretty.json', `${pretty.join('\n')}\n`);
    const scalars = ['null', '42', 'true', '"done"'];
    const text = pretty.flatMap((record, index) => [record, ...scalars.slice(index, index + 1)]);
    const result = await readText('entra-scalars.json', `${text.join('\n')}\n`);

    assert.deepEqual(
      codes(result),
      scalars.map(() => 'unexpected_shape'),
    );
    assert.deepEqual(snippets(result), scalars);
    assert.match(
      result.rejections[0]?.message ?? '',
      /^a JSON null between records is not a record/,
    );
    assert.equal(result.rejections[0]?.origin.line, (pretty[0] as string).split('\n').length + 1);
    assert.deepEqual(eventValues(result), eventValues(intact));
  });

  it('rejects text inside a Records wrapper', async () => {
    const { records, pretty, intact } = await prettyCloudTrail();
    const elements = pretty.split('\n    },\n');
    elements[1] = `    this is not json\n${elements[1]}`;
    elements[3] = `    42 records lost here\n    "a quoted line\n${elements[3]}`;
    const result = await readText('cloudtrail-text.json', `${elements.join('\n    },\n')}\n`);
    const textLines = `${elements.join('\n    },\n')}`
      .split('\n')
      .flatMap((line, index) => (/^ {4}[^ {}]/.test(line) ? [index + 1] : []));

    assert.equal(result.format, 'aws-cloudtrail');
    assert.deepEqual(codes(result), ['invalid_json', 'invalid_json', 'invalid_json']);
    assert.deepEqual(lines(result), textLines);
    assert.deepEqual(snippets(result), [
      'this is not json',
      '42 records lost here',
      '"a quoted line',
    ]);
    assert.equal(result.events.length, records.length);
    assert.deepEqual(eventValues(result), eventValues(intact));
  });

  it('reads text before the first record with --format', async () => {
    const pretty = ENTRA.map((record) => JSON.stringify(record, null, 2));
    const intact = await readText('entra-pretty.json', `${pretty.join('\n')}\n`);
    const text = `Get-MgAuditLogSignIn output\n${pretty.join('\n')}\n`;
    const result = await readText('entra-heading.json', text);
    const path = join(dir, 'entra-heading.json');
    const forced = await readInput(path, intact.format);

    assert.equal(result.format, undefined);
    assert.deepEqual(codes(forced), ['invalid_json']);
    assert.deepEqual(lines(forced), [1]);
    assert.deepEqual(snippets(forced), ['Get-MgAuditLogSignIn output']);
    assert.deepEqual(eventValues(forced), eventValues(intact));
  });

  it('shows the text of non-object elements', async () => {
    const elements = OKTA.map((line) => JSON.stringify(JSON.parse(line), null, 2));
    const indented = elements.map((element) => element.replace(/\n/g, '\n  '));
    const array = (items: string[]) => `[\n  ${items.join(',\n  ')}\n]\n`;
    const scalars = ['null', '42', '"done"', '[1, 2]'];
    const [first, second, ...rest] = indented as [string, string, ...string[]];
    const result = await readText('okta-scalars.json', array([first, ...scalars, second, ...rest]));
    const intact = await readText('okta-array.json', array(indented));
    const firstLines = (elements[0] as string).split('\n').length;

    assert.equal(result.format, 'okta-system-log');
    assert.deepEqual(codes(result), [...scalars.map(() => 'unexpected_shape'), ...codes(intact)]);
    assert.deepEqual(snippets(result).slice(0, 4), scalars);
    assert.deepEqual(
      lines(result).slice(0, 4),
      scalars.map((_, index) => firstLines + 2 + index),
    );
    assert.deepEqual(oktaIds(result), oktaIds(intact));
  });

  it('rejects each bracket text line once', async () => {
    const { records, pretty, intact } = await prettyCloudTrail();
    const inserted = [
      '    }, trailing',
      '    { WARNING: partial flush',
      '    ] page 2',
      '    [flush',
    ];
    const elements = pretty.split('\n    },\n');
    for (const [index, line] of inserted.entries()) {
      elements[index + 1] = `${line}\n${elements[index + 1]}`;
    }
    const text = `${elements.join('\n    },\n')}\n`;
    const result = await readText('cloudtrail-brackets.json', text);
    const textLines = text
      .split('\n')
      .flatMap((line, index) => (inserted.includes(line) ? [index + 1] : []));

    assert.equal(result.format, 'aws-cloudtrail');
    assert.deepEqual(
      codes(result),
      inserted.map(() => 'invalid_json'),
    );
    assert.deepEqual(lines(result), textLines);
    assert.deepEqual(
      snippets(result),
      inserted.map((line) => line.trim()),
    );
    assert.deepEqual(
      result.rejections.map((rejection) => rejection.origin.record),
      [2, 3, 4, 5],
    );
    assert.deepEqual(
      result.events.map((event) => event.origin.record),
      records.map((_, index) => index + 1),
    );
    assert.deepEqual(eventValues(result), eventValues(intact));
  });

  it('keeps one rejection per NDJSON text line', async () => {
    const text = [OKTA[0], 'WARNING: value {x} is "deprecated"', OKTA[1], '42', ...OKTA.slice(2)];
    const result = await readText('okta-text.ndjson', `${text.join('\n')}\n`);
    const intact = await readText('okta.ndjson', `${OKTA.join('\n')}\n`);

    assert.equal(result.format, 'okta-system-log');
    assert.deepEqual(codes(result), ['invalid_json', 'unexpected_shape', ...codes(intact)]);
    assert.deepEqual(lines(result).slice(0, 2), [2, 4]);
    assert.equal(result.rejections[0]?.snippet, 'WARNING: value {x} is "deprecated"');
    assert.deepEqual(oktaIds(result), oktaIds(intact));
  });
});

/** Reads the CloudTrail fixture written pretty-printed, and returns its records, text and read result. */
async function prettyCloudTrail() {
  const path = join(
    FIXTURES,
    'aws/218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
  );
  const records = (JSON.parse(readFileSync(path, 'utf8')) as { Records: unknown[] }).Records;
  const pretty = JSON.stringify({ Records: records }, null, 2);
  const intact = await readText('cloudtrail-pretty.json', `${pretty}\n`);
  return { records, pretty, intact };
}
