import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listCentralDirectory } from '../src/input/archive/zip-directory.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';
import { makeZip } from './helpers/zip.js';

const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');
const CASE_RECORDS = 165;

/** Sets the encryption bit of every entry, in the local and the central headers. */
function markEncrypted(zip: Buffer): Buffer {
  const copy = Buffer.from(zip);
  for (let at = 0; at + 4 <= copy.length; at++) {
    const signature = copy.readUInt32LE(at);
    if (signature === 0x04034b50) copy.writeUInt16LE(copy.readUInt16LE(at + 6) | 1, at + 6);
    if (signature === 0x02014b50) copy.writeUInt16LE(copy.readUInt16LE(at + 8) | 1, at + 8);
  }
  return copy;
}

function scan(...paths: string[]) {
  return runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'ndjson', ...paths]);
}

describe('zip entries with unsafe names', () => {
  it('reads the safe entries and names the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-zip-names-'));
    const data = readFileSync(CASE_LOG);
    const archive = join(dir, 'logs.zip');
    writeFileSync(
      archive,
      makeZip([
        { name: 'good.xml', data },
        { name: '..\\win\\evil.xml', data },
        { name: '/abs/evil.xml', data },
        { name: 'sub/../also.xml', data },
        { name: 'C:\\evil.xml', data },
      ]),
    );

    const range = { path: archive, start: 0, end: statSync(archive).size };
    const entries = await listCentralDirectory(range, 100);
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.skipped]),
      [
        ['good.xml', undefined],
        [
          '../win/evil.xml',
          'unsafe entry name (invalid relative path: ../win/evil.xml), so the entry is skipped',
        ],
        [
          '/abs/evil.xml',
          'unsafe entry name (absolute path: /abs/evil.xml), so the entry is skipped',
        ],
        [
          'sub/../also.xml',
          'unsafe entry name (invalid relative path: sub/../also.xml), so the entry is skipped',
        ],
        ['C:/evil.xml', 'unsafe entry name (absolute path: C:/evil.xml), so the entry is skipped'],
      ],
    );

    const result = scan(archive);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`Scanned 5 inputs with \\d+ rules: ${CASE_RECORDS} records read`),
    );
    assert.ok(result.stderr.includes(`  ${archive}/good.xml [windows-xml] ${CASE_RECORDS} read`));
    assert.ok(
      result.stderr.includes(
        `  ${archive}/../win/evil.xml: not read: unsafe entry name (invalid relative path: ../win/evil.xml), so the entry is skipped\n`,
      ),
      result.stderr,
    );
    assert.ok(result.stderr.includes(`  ${archive}//abs/evil.xml: not read: unsafe entry name`));
    assert.doesNotMatch(result.stderr, /damaged zip archive/);
    assert.deepEqual(readdirSync(dir), ['logs.zip']);
  });

  it('skips an encrypted entry by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-zip-names-'));
    const archive = join(dir, 'secret.zip');
    writeFileSync(
      archive,
      markEncrypted(makeZip([{ name: 'u.xml', data: readFileSync(CASE_LOG) }])),
    );

    const result = scan(archive);
    // The archive's only entry is not read, so nothing is scanned.
    assert.equal(result.status, 2, result.stderr);
    assert.ok(
      result.stderr.includes(
        `  ${archive}/u.xml: not read: the entry is encrypted, so it is skipped\n`,
      ),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /decodeFileData/);
  });
});
