import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readCsvHeader } from '../../src/sources/csv-header.js';
import { runCli } from '../helpers/cli.js';
import { type ParsedInput, parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * A header row with a damaged quote is read without its quotes when its names are still those of
 * the export, and the input fails with its file, line and header text otherwise. The rows are
 * built from the real records of the fixtures (see test/fixtures/README.md and
 * test/fixtures/identity/README.md).
 */

const dir = mkdtempSync(join(tmpdir(), 'trustwatch-csv-header-'));
let files = 0;

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function quoted(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function write(lines: readonly string[], eol = '\n'): string {
  const path = join(dir, `export-${++files}.csv`);
  writeFileSync(path, `${lines.join(eol)}${eol}`);
  return path;
}

const DAMAGED_HEADER_WARNING =
  'the CSV header row has a damaged quote; its names are read without quotes';

describe('readCsvHeader', () => {
  const cases: [string, string, string[], string | undefined][] = [
    [
      'a header without quotes',
      'action,actor,created_at',
      ['action', 'actor', 'created_at'],
      undefined,
    ],
    [
      'a quoted header',
      '"action","actor","created_at"',
      ['action', 'actor', 'created_at'],
      undefined,
    ],
    [
      'a quoted name with a comma',
      'action,"actor, login",created_at',
      ['action', 'actor, login', 'created_at'],
      undefined,
    ],
    [
      'a quote left open',
      'action,"actor,created_at',
      ['action', 'actor', 'created_at'],
      'a quote at column 8 that is not closed',
    ],
    [
      'a closing quote lost',
      '"action","actor,"created_at"',
      ['action', 'actor', 'created_at'],
      'text after a closing quote at column 17',
    ],
    [
      'an opening quote lost',
      '"action",actor","created_at"',
      ['action', 'actor', 'created_at'],
      'a quote inside a name at column 15',
    ],
    [
      'a quote added before a name',
      '"action",""actor","created_at"',
      ['action', 'actor', 'created_at'],
      'text after a closing quote at column 11',
    ],
    [
      'a doubled quote inside a name',
      '"action","""actor","created_at"',
      ['action', 'actor', 'created_at'],
      'a quote inside the name "\\"actor"',
    ],
  ];
  for (const [name, line, names, damage] of cases) {
    it(`reads ${name}`, () => {
      const header = readCsvHeader(line);
      assert.deepEqual(header.names, names);
      assert.equal(header.damage, damage);
    });
  }
});

describe('github-audit-csv damaged header', () => {
  const entries = records(fixturePath('github', 'panther-audit.ndjson'));
  const KEYS = ['action', 'actor', 'created_at', 'org', 'repo'];
  const rows = entries
    .slice(0, 3)
    .map((entry) => KEYS.map((key) => String(entry[key] ?? '')).join(','));

  const headers: [string, string][] = [
    ['a quote left open', 'action,"actor,created_at,org,repo'],
    ['a closing quote lost', '"action","actor,"created_at","org","repo"'],
    ['an opening quote lost', '"action",actor","created_at","org","repo"'],
    ['a quote added at a name start', '"action",""actor","created_at","org","repo"'],
    ['a stray quote in the last name', 'action,actor,created_at,org,"repo'],
  ];
  for (const [name, header] of headers) {
    it(`reads the rows: ${name}`, async () => {
      const parsed = await parseInput(write([header, ...rows]));

      assert.equal(parsed.format, 'github-audit-csv');
      assert.deepEqual(parsed.rejections, []);
      assert.deepEqual(
        parsed.events.map((event) => [event.origin.line, event.fields.action, event.fields.actor]),
        [
          [2, 'protected_branch.destroy', 'cat'],
          [3, 'org.disable_oauth_app_restrictions', 'org-owner'],
          [4, 'integration_installation.create', 'user_name'],
        ],
      );
      assert.equal(parsed.events[0]?.time, 1621305118553);
      assert.equal(parsed.events[0]?.fields.repo, 'my-org/my-repo');
      assert.equal(parsed.warnings.length, 1);
      assert.equal(parsed.warnings[0]?.message, DAMAGED_HEADER_WARNING);
      assert.equal(parsed.warnings[0]?.fields?.line, 1);
      assert.equal(parsed.warnings[0]?.fields?.header, header);
    });
  }

  it('fails an input whose header is not recognised', async () => {
    const path = write(['action,"user,created_at,org,repo', ...rows]);

    await assert.rejects(parseInput(path, 'github-audit-csv'), {
      code: 'input.invalid_header',
      message:
        `${path}:1: not a GitHub audit log CSV export: the header row has a quote at column 8 ` +
        'that is not closed, and read without quotes it names no action, actor and created_at ' +
        'or @timestamp key (header: "action,\\"user,created_at,org,repo")',
    });
  });

  it('names the file and line in a scan', () => {
    const path = write(['"action,"user","created_at","org","repo"', ...rows]);
    const result = runCli([
      'scan',
      '--db',
      ':memory:',
      '--no-progress',
      '--format',
      'github-audit-csv',
      path,
    ]);

    assert.equal(result.status, 2, result.stderr);
    assert.ok(
      result.stderr.includes(
        `${path}: not read: line 1: not a GitHub audit log CSV export: the header row has ` +
          'text after a closing quote at column 9',
      ),
      result.stderr,
    );
  });
});

describe('m365-audit-csv damaged header', () => {
  const audit = records(fixturePath('identity', 'panther-microsoft365-audit.ndjson'));
  const TYPE_LINE =
    '#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogEvent';

  function exportRow(record: Record<string, unknown>): string {
    const cells = [
      '12/12/2022 3:57:57 PM',
      String(record.UserId ?? record.userid ?? ''),
      String(record.Operation ?? record.operation ?? ''),
      JSON.stringify(record),
    ];
    return cells.map(quoted).join(',');
  }

  function assertRowsRead(parsed: ParsedInput, firstLine: number): void {
    assert.equal(parsed.format, 'm365-audit-csv');
    assert.deepEqual(parsed.rejections, []);
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.line, event.fields.Operations]),
      audit.map((record, index) => [firstLine + index, record.Operation ?? record.operation]),
    );
    assert.equal(parsed.events[0]?.fields.UserIds, 'sample.user@yourorg.onmicrosoft.com');
    assert.equal(parsed.events[0]?.time, Date.parse('2022-12-12T15:57:57Z'));
  }

  const headers: [string, string][] = [
    ['a quote left open', '"CreationDate,"UserIds","Operations","AuditData'],
    ['a closing quote lost', '"CreationDate","UserIds,"Operations","AuditData"'],
    ['an opening quote lost', '"CreationDate",UserIds","Operations","AuditData"'],
    ['a quote left open at the end', '"CreationDate","UserIds","Operations","AuditData'],
  ];
  for (const [name, header] of headers) {
    it(`reads the rows: ${name}`, async () => {
      const parsed = await parseInput(write([header, ...audit.map(exportRow)]));

      assertRowsRead(parsed, 2);
      assert.equal(parsed.warnings.length, 1);
      assert.equal(parsed.warnings[0]?.message, DAMAGED_HEADER_WARNING);
      assert.equal(parsed.warnings[0]?.fields?.header, header);
    });
  }

  it('reads a damaged header after the #TYPE line', async () => {
    const header = '\uFEFF"CreationDate","UserIds,"Operations","AuditData"';
    const parsed = await parseInput(write([TYPE_LINE, header, ...audit.map(exportRow)], '\r\n'));

    assertRowsRead(parsed, 3);
    assert.equal(parsed.warnings[0]?.fields?.line, 2);
  });

  it('fails an input whose header is not recognised', async () => {
    const header = '"CreationDate","UserIds,"Operations","Audit"';
    const path = write([TYPE_LINE, header, ...audit.map(exportRow)]);

    await assert.rejects(parseInput(path, 'm365-audit-csv'), {
      code: 'input.invalid_header',
      message:
        `${path}:2: not a Microsoft 365 audit log CSV export: the header row has text after a ` +
        'closing quote at column 25, and read without quotes it names no AuditData column ' +
        'beside a CreationDate, Operation or RecordType (header: "\\"CreationDate\\",' +
        '\\"UserIds,\\"Operations\\",\\"Audit\\"")',
    });
  });
});
