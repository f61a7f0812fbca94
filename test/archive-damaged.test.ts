import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import {
  FIXTURES,
  hasTool,
  placeFixtures,
  runTool,
  TAR_END,
  tarData,
  tarHeader,
  tempDir,
} from './helpers/archives.js';
import { runCli } from './helpers/cli.js';
import { dataOffset, localHeaderOffset, makeZip } from './helpers/zip.js';

const noTools =
  !(hasTool('zip') && hasTool('tar') && hasTool('gzip')) && 'zip, tar and gzip are not installed';

const EOCD_MISSING =
  'damaged zip archive: End of central directory record signature not found. Either not a ' +
  'zip file, or file is truncated';

function scan(paths: readonly string[]) {
  const result = runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-progress',
    '--output',
    'ndjson',
    ...paths,
  ]);
  const inputs = result.stderr.split('\n').filter((line) => line.startsWith('  '));
  return { ...result, inputs };
}

/** Builds a zip of the auth, audit and CloudTrail fixtures with Info-ZIP, in that order. */
function zipOfThree(dir: string, how: 'file' | 'pipe'): Buffer {
  placeFixtures(dir, {
    'l/auth.log': 'auth',
    'l/audit.log': 'audit',
    'l/trail.json': 'cloudtrail',
  });
  const names = ['l/auth.log', 'l/audit.log', 'l/trail.json'];
  // Written to a pipe, Info-ZIP cannot seek back to write sizes into the local headers, so it
  // sets flag bit 3 and writes them in a data descriptor after each entry's data.
  if (how === 'pipe') return runTool(dir, 'zip', ['-q', '-', ...names]);
  runTool(dir, 'zip', ['-q', 'three.zip', ...names]);
  return readFileSync(join(dir, 'three.zip'));
}

describe('cut zip archives', () => {
  for (const how of ['file', 'pipe'] as const) {
    it(`reads the entries before the cut of a zip written to a ${how}`, { skip: noTools }, () => {
      const dir = tempDir(`cut-zip-${how}`);
      const zip = zipOfThree(dir, how);
      const descriptors = (zip.readUInt16LE(localHeaderOffset(zip, 'l/auth.log') + 6) & 8) !== 0;
      assert.equal(descriptors, how === 'pipe');

      // Cut 100 bytes into the compressed data of the third entry.
      const third = dataOffset(zip, 'l/trail.json');
      const cutAt = third + 100;
      const archive = join(dir, 'cut.zip');
      writeFileSync(archive, zip.subarray(0, cutAt));

      const result = scan([archive]);
      assert.equal(result.status, 0, result.stderr);
      const cut =
        `the archive ends at byte ${cutAt}, inside the data of the entry l/trail.json that ` +
        `starts at byte ${third}`;
      assert.deepEqual(result.inputs.slice(0, 2), [
        `  ${archive}/l/auth.log ${FIXTURES.auth.summary}`,
        `  ${archive}/l/audit.log ${FIXTURES.audit.summary}`,
      ]);
      // The cut JSON record is rejected, and the entry's failure says where the archive ends.
      assert.match(result.inputs[2] ?? '', new RegExp(`^  ${archive}/l/trail.json `));
      assert.ok(result.inputs[2]?.endsWith(`; then failed: ${cut}`), result.inputs[2]);
      assert.equal(
        result.inputs[3],
        `  ${archive}: not read: ${EOCD_MISSING}. 3 entries were found from the local file ` +
          `headers, then ${cut}`,
      );
      assert.equal(result.inputs.length, 4);
    });
  }

  it('reads every entry when the cut falls between entries', { skip: noTools }, () => {
    const dir = tempDir('cut-zip-between');
    const zip = zipOfThree(dir, 'file');
    const cutAt = localHeaderOffset(zip, 'l/trail.json');
    const archive = join(dir, 'cut.zip');
    writeFileSync(archive, zip.subarray(0, cutAt + 10));

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/l/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}/l/audit.log ${FIXTURES.audit.summary}`,
      `  ${archive}: not read: ${EOCD_MISSING}. 2 entries were found from the local file ` +
        `headers, then the archive ends at byte ${cutAt + 10}, inside the local header at byte ${cutAt}`,
    ]);
  });

  it('warns of a damaged central directory and reads every entry', { skip: noTools }, () => {
    const dir = tempDir('zip-directory');
    const zip = Buffer.from(zipOfThree(dir, 'file'));
    const directory = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.write('XX', directory + 2, 'latin1');
    const archive = join(dir, 'directory.zip');
    writeFileSync(archive, zip);

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/l/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}/l/audit.log ${FIXTURES.audit.summary}`,
      `  ${archive}/l/trail.json ${FIXTURES.cloudtrail.summary}`,
    ]);
    assert.match(
      result.stderr,
      /warn: zip archive damaged: its entries were found from their local file headers .*reason="damaged zip archive: invalid central directory file header signature: 0x\w+" entries=3/,
    );
  });
});

describe('damaged tar archives', () => {
  const auth = readFileSync(FIXTURES.auth.path);
  const audit = readFileSync(FIXTURES.audit.path);
  const tar = Buffer.concat([
    tarHeader(Buffer.from('auth.log'), auth.length),
    tarData(auth),
    tarHeader(Buffer.from('audit.log'), audit.length),
    tarData(audit),
    TAR_END,
  ]);
  const auditData = 512 + tarData(auth).length + 512;

  it('reads the entries before a cut and the part of the cut one', () => {
    const dir = tempDir('cut-tar');
    const archive = join(dir, 'cut.tar');
    // The cut falls after the first 6 of the 12 audit lines.
    const lines = audit.toString('latin1').split('\n');
    const six = Buffer.byteLength(`${lines.slice(0, 6).join('\n')}\n`, 'latin1');
    writeFileSync(archive, tar.subarray(0, auditData + six + 20));

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    const cut =
      `the tar archive ends at byte ${auditData + six + 20}, inside the entry audit.log, which ` +
      `declares ${audit.length} bytes of which ${six + 20} are present`;
    assert.deepEqual(result.inputs, [
      `  ${archive}/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}/audit.log [linux-auditd] 7 read, 6 parsed, joined into 1 events, 1 rejected (record_cut 1); then failed: ${cut}`,
      `  ${archive}: not read: damaged tar archive: ${cut}`,
    ]);
  });

  it('reads the entries before a damaged header', () => {
    const dir = tempDir('bad-tar');
    const damaged = Buffer.from(tar);
    const header = 512 + tarData(auth).length;
    damaged.write('X', header + 10, 'latin1');
    const archive = join(dir, 'bad.tar');
    writeFileSync(archive, damaged);

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}: not read: damaged tar archive: no valid tar header at byte ${header} ` +
        '(Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?), so the ' +
        'entries after it are not read',
    ]);
  });

  it('reports a zip entry CRC mismatch', () => {
    const dir = tempDir('bad-crc');
    const archive = join(dir, 'bad-crc.zip');
    const auth = readFileSync(FIXTURES.auth.path);
    const audit = readFileSync(FIXTURES.audit.path);
    for (const method of [0, 8] as const) {
      const entries = [
        { name: 'auth.log', data: auth, method, declaredCrc: 0x12345678 },
        { name: 'audit.log', data: audit, method },
      ];
      writeFileSync(archive, makeZip(entries));
      const result = scan([archive]);
      assert.equal(result.status, 0, result.stderr);
      const actual = crc32(auth).toString(16).padStart(8, '0');
      assert.deepEqual(result.inputs, [
        `  ${archive}/auth.log ${FIXTURES.auth.summary}; then failed: damaged zip entry: the ` +
          `CRC-32 of its content is 0x${actual}, where the archive declares 0x12345678; its ` +
          'records were read',
        `  ${archive}/audit.log ${FIXTURES.audit.summary}`,
      ]);
    }
  });

  it('ignores bytes after the end of the archive', () => {
    const dir = tempDir('tar-trailing');
    const archive = join(dir, 'trailing.tar');
    writeFileSync(archive, Buffer.concat([tar, Buffer.from('appended by a transfer\n')]));

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}/audit.log ${FIXTURES.audit.summary}`,
    ]);
  });

  it('reads the entries of a cut tar.gz', () => {
    const dir = tempDir('cut-tgz');
    const archive = join(dir, 'cut.tar.gz');
    const compressed = gzipSync(tar);
    writeFileSync(archive, compressed.subarray(0, compressed.length - 400));

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.inputs[0], `  ${archive}/auth.log ${FIXTURES.auth.summary}`);
    assert.match(result.inputs[1] ?? '', new RegExp(`^  ${archive}/audit.log \\[linux-auditd\\] `));
    assert.match(
      result.inputs[2] ?? '',
      new RegExp(`^  ${archive}: not read: its gzip stream fails, so the rest is lost: `),
    );
    assert.equal(result.inputs.length, 3);
  });
});
