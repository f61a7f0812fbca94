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
    lines[1] = (lines[1] as string).replace('alice', 'al"ice');
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
});
