import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CliResult, runCli } from '../helpers/cli.js';
import {
  CHUNK_SIZE,
  FILE_HEADER_SIZE,
  FIXTURE_COUNTS,
  FIXTURES,
  readFixture,
  recordOffsets,
} from '../helpers/evtx-files.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Exit status of scans and baseline builds whose inputs were read but had every record
 * rejected. Such an input gave no record, whatever its format, so beside inputs without
 * records the run scanned nothing and ends with status 2.
 */

const OKTA_LOG = join(REPO_ROOT, 'test/fixtures/identity/panther-okta-systemlog.ndjson');
const GITHUB_CSV = join(REPO_ROOT, 'test/fixtures/github/audit-export.csv');
const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');

const SUMMARY_HINT = ' (the summary above says why)';

function scan(args: readonly string[]): CliResult {
  return runCli([
    'scan',
    '--no-default-rules',
    '--rules',
    'rules/det0488',
    '--db',
    ':memory:',
    '--no-progress',
    ...args,
  ]);
}

function lastLine(result: CliResult): string | undefined {
  return result.stderr.trimEnd().split('\n').at(-1);
}

/**
 * Copies a real EVTX file with the signature of every record in every chunk damaged, so that
 * no record can be read. With `keep`, the record at that index of the first chunk stays whole.
 */
function damagedEvtx(name: string, keep?: number): Buffer {
  const file = Buffer.from(readFixture(name));
  let damaged = 0;
  for (let start = FILE_HEADER_SIZE; start + CHUNK_SIZE <= file.length; start += CHUNK_SIZE) {
    const chunk = file.subarray(start, start + CHUNK_SIZE);
    const records = recordOffsets(chunk);
    for (const [index, record] of records.entries()) {
      if (start === FILE_HEADER_SIZE && index === keep) continue;
      chunk[record.offset] = 0x2b;
      damaged++;
    }
  }
  const expected = (FIXTURE_COUNTS[name] ?? 0) - (keep === undefined ? 0 : 1);
  assert.equal(damaged, expected, `${name}: every record but the kept one must be damaged`);
  return file;
}

/** Writes an input of each text format whose every record is rejected for its event time. */
function rejectedTextInputs(dir: string): { path: string; format: string; records: number }[] {
  const okta = readFileSync(OKTA_LOG, 'utf8').split('\n').filter(Boolean).slice(0, 3);
  const oktaPath = join(dir, 'okta.ndjson');
  const undated = okta.map((line) => line.replace(/"published": "[^"]*"/, '"published": "today"'));
  writeFileSync(oktaPath, `${undated.join('\n')}\n`);

  const csv = readFileSync(GITHUB_CSV, 'utf8').replace(/,\d{13},/g, ',later,');
  const csvPath = join(dir, 'github.csv');
  writeFileSync(csvPath, csv);

  const xml = readFileSync(CASE_LOG, 'utf8').replace(/SystemTime='[^']*'/g, "SystemTime='soon'");
  const xmlPath = join(dir, 'security.xml');
  writeFileSync(xmlPath, xml);
  const events = xml.split('<Event ').length - 1;

  return [
    { path: oktaPath, format: 'okta-system-log', records: okta.length },
    { path: csvPath, format: 'github-audit-csv', records: 4 },
    { path: xmlPath, format: 'windows-xml', records: events },
  ];
}

describe('exit status when every record is rejected', () => {
  it('is 2 for damaged EVTX beside an empty input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const evtx = join(dir, 'security.evtx');
    writeFileSync(evtx, damagedEvtx(FIXTURES.psExec));
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');

    for (const order of [
      [evtx, empty],
      [empty, evtx],
    ]) {
      const result = scan(order);

      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /security\.evtx \[evtx\] 30 read, 0 parsed, 30 rejected \(/);
      assert.ok(result.stderr.includes(`  ${empty} skipped: the input is empty`), result.stderr);
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 1 of the 2 inputs had every record rejected and the ' +
          `other input contains no records${SUMMARY_HINT}`,
      );
    }
  });

  it('is 2 for a damaged EVTX file alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const evtx = join(dir, 'security.evtx');
    writeFileSync(evtx, damagedEvtx(FIXTURES.atExec));
    const result = scan([evtx]);

    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /security\.evtx \[evtx\] 12 read, 0 parsed, 12 rejected \(/);
    assert.equal(
      lastLine(result),
      `trustwatch: nothing scanned: every record of the input was rejected${SUMMARY_HINT}`,
    );
  });

  it('is 0 when one EVTX record is whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const evtx = join(dir, 'security.evtx');
    writeFileSync(evtx, damagedEvtx(FIXTURES.psExec, 4));
    writeFileSync(join(dir, 'empty.json'), '');
    const result = scan([dir]);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /security\.evtx \[evtx\] 30 read, 1 parsed, 29 rejected \(/);
    assert.doesNotMatch(result.stderr, /nothing scanned/);
  });

  it('is 2 for each text format beside an empty input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    for (const { path, format, records } of rejectedTextInputs(dir)) {
      const result = scan([path, empty]);

      assert.equal(result.status, 2, `${format}: ${result.stderr}`);
      const counts = `${records} read, 0 parsed, ${records} rejected (invalid_time ${records})`;
      assert.ok(result.stderr.includes(`  ${path} [${format}] ${counts}`), result.stderr);
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 1 of the 2 inputs had every record rejected and the ' +
          `other input contains no records${SUMMARY_HINT}`,
        format,
      );
    }
  });

  it('names unread and rejected inputs apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    writeFileSync(join(dir, 'a.evtx'), damagedEvtx(FIXTURES.passTheHash));
    // A gzip header cut after 8 bytes, which fails as it is read.
    writeFileSync(join(dir, 'b.json.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0x67, 0x61, 0x72, 0x62]));
    writeFileSync(join(dir, 'c.json'), '[]');
    const result = scan([dir]);

    assert.equal(result.status, 2, result.stderr);
    assert.equal(
      lastLine(result),
      'trustwatch: nothing scanned: 1 of the 3 inputs could not be read, 1 had every record ' +
        `rejected and the other input contains no records${SUMMARY_HINT}`,
    );
  });

  it('is 2 and saves nothing in baseline build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const inputs = join(dir, 'inputs');
    mkdirSync(inputs);
    writeFileSync(join(inputs, 'security.evtx'), damagedEvtx(FIXTURES.passTheHash));
    writeFileSync(join(inputs, 'empty.json'), '');
    const db = join(dir, 'baselines.db');
    const result = runCli(['baseline', 'build', '--db', db, inputs]);

    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /security\.evtx \[evtx\] 8 read, 0 parsed, 8 rejected \(evtx_/);
    assert.equal(
      lastLine(result),
      'trustwatch: nothing learned: 1 of the 2 inputs had every record rejected and the other ' +
        'input contains no records, so no sightings were saved',
    );
    assert.doesNotMatch(result.stderr, /Learned/);
  });
});
