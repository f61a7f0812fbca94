import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';

function scan(format: string, input: string) {
  return runCli([
    'scan',
    '--no-default-rules',
    '--rules',
    'rules/det0488',
    '--db',
    ':memory:',
    '--no-progress',
    '--output',
    'ndjson',
    '--format',
    format,
    input,
  ]);
}

const DIGEST_MESSAGE =
  '--format aws-cloudtrail-digest: the input is not a CloudTrail digest file, the only kind that format skips, so it is not read. Leave --format out or give the format of its records';

describe('forced formats on other inputs', () => {
  it('rejects a digest format on Windows XML', () => {
    const result = scan('aws-cloudtrail-digest', CASE_LOG);
    assert.equal(result.status, 2, result.stderr);
    assert.ok(
      result.stderr.includes(`  ${CASE_LOG}: not read: ${DIGEST_MESSAGE}\n`),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /skipped: CloudTrail digest file/);
  });

  it('rejects a digest format on a CloudTrail log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-forced-'));
    const log = join(dir, 'trail.json');
    writeFileSync(log, JSON.stringify({ Records: [{ eventVersion: '1.08', eventName: 'X' }] }));
    const result = scan('aws-cloudtrail-digest', log);
    assert.ok(result.stderr.includes(`  ${log}: not read: ${DIGEST_MESSAGE}\n`), result.stderr);
  });

  it('still skips a real digest file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-forced-'));
    const digest = join(dir, 'digest.json');
    writeFileSync(
      digest,
      JSON.stringify({ digestStartTime: '2024-01-01T00:00:00Z', logFiles: [] }),
    );
    const result = scan('aws-cloudtrail-digest', digest);
    assert.match(result.stderr, /\[aws-cloudtrail-digest\] skipped: CloudTrail digest file: /);
  });

  it('fails a CSV format once at the real line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-forced-'));
    const log = join(dir, 'notes.csv');
    writeFileSync(log, '\n\n<Events>\n<Event/>\n<Event/>\n');
    const result = scan('m365-audit-csv', log);
    assert.equal(result.status, 2, result.stderr);
    assert.ok(
      result.stderr.includes(
        `  ${log}: not read: line 3: not a Microsoft 365 audit log CSV export: the header row names no AuditData column beside a CreationDate, Operation or RecordType (header: "<Events>")\n`,
      ),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /record rejected/);
    assert.match(result.stderr, /Scanned 1 inputs with \d+ rules: 0 records read/);
  });
});
