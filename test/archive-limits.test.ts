import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DEFAULT_ARCHIVE_LIMITS } from '../src/input/archive/limits.js';
import { expandPaths } from '../src/input/expand.js';
import { FIXTURES, TAR_END, tarData, tarHeader, tempDir } from './helpers/archives.js';
import { runCli } from './helpers/cli.js';
import { parseInput } from './helpers/read-inputs.js';
import { makeZip } from './helpers/zip.js';

const auth = readFileSync(FIXTURES.auth.path);
const audit = readFileSync(FIXTURES.audit.path);

function tarOf(entries: { name: string; data: Buffer; declared?: number }[]): Buffer {
  return Buffer.concat([
    ...entries.flatMap(({ name, data, declared }) => [
      tarHeader(Buffer.from(name), declared ?? data.length),
      tarData(data),
    ]),
    TAR_END,
  ]);
}

/** Scans with a context file of the given `settings.limits` and returns the summary lines. */
function scanWithLimits(dir: string, limits: Record<string, number>, paths: readonly string[]) {
  const context = join(dir, 'trustwatch.yaml');
  const settings = Object.entries(limits).map(([key, value]) => `    ${key}: ${value}\n`);
  const limitsText = settings.length > 0 ? `settings:\n  limits:\n${settings.join('')}` : '';
  writeFileSync(context, `parties: []\n${limitsText}`);
  const result = runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-progress',
    '--output',
    'ndjson',
    '--context',
    context,
    ...paths,
  ]);
  const inputs = result.stderr.split('\n').filter((line) => line.startsWith('  '));
  return { ...result, inputs };
}

/** Reads every expanded input: its records, or the error that opening or reading raised. */
async function readAll(files: Awaited<ReturnType<typeof expandPaths>>) {
  const results: { path: string; records?: number; error?: string }[] = [];
  for (const file of files) {
    try {
      const parsed = await parseInput(file);
      results.push({ path: file.path, records: parsed.records });
    } catch (error) {
      results.push({ path: file.path, error: (error as Error).message });
    }
  }
  return results;
}

describe('archive entry limit', () => {
  it('stops a tar of too many entries', () => {
    const dir = tempDir('tar-entries');
    const archive = join(dir, 'many.tar');
    const names = Array.from(
      { length: 30 },
      (_, index) => `h${String(index).padStart(2, '0')}.log`,
    );
    writeFileSync(archive, tarOf(names.map((name) => ({ name, data: auth }))));

    const result = scanWithLimits(dir, { max_archive_entries: 10 }, [archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      ...names.slice(0, 10).map((name) => `  ${archive}/${name} ${FIXTURES.auth.summary}`),
      `  ${archive}: not read: more than 10 entries, with those of the archives inside it, so ` +
        'the entries after them are not read (settings.limits.max_archive_entries)',
    ]);
  });

  it('counts the entries of archives inside the archive', () => {
    const dir = tempDir('nested-entries');
    const archive = join(dir, 'outer.zip');
    const inner = (prefix: string) =>
      tarOf(
        Array.from({ length: 6 }, (_, index) => ({ name: `${prefix}${index}.log`, data: auth })),
      );
    writeFileSync(
      archive,
      makeZip([
        { name: 'a.tar', data: inner('a') },
        { name: 'b.tar', data: inner('b') },
      ]),
    );

    const result = scanWithLimits(dir, { max_archive_entries: 10 }, [archive]);
    assert.equal(result.status, 0, result.stderr);
    // 2 zip entries and 6 of a.tar leave room for 2 entries of b.tar.
    assert.deepEqual(result.inputs, [
      ...['a0', 'a1', 'a2', 'a3', 'a4', 'a5'].map(
        (name) => `  ${archive}/a.tar/${name}.log ${FIXTURES.auth.summary}`,
      ),
      ...['b0', 'b1'].map((name) => `  ${archive}/b.tar/${name}.log ${FIXTURES.auth.summary}`),
      `  ${archive}/b.tar: not read: more than 10 entries, with those of the archives inside it, ` +
        'so the entries after them are not read (settings.limits.max_archive_entries)',
    ]);
  });
});

describe('archive expansion limit', () => {
  it('stops a tar.gz that expands past the ratio', async () => {
    const dir = tempDir('tgz-ratio');
    const archive = join(dir, 'bomb.tar.gz');
    // A megabyte of repeated auth lines compresses far better than logs do.
    const repeated = Buffer.concat(Array.from({ length: 1000 }, () => auth));
    const compressed = gzipSync(
      tarOf([
        { name: 'auth.log', data: auth },
        { name: 'repeated.log', data: repeated },
        { name: 'audit.log', data: audit },
      ]),
    );
    writeFileSync(archive, compressed);
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxRatio: 10, freeExpansionBytes: 64 * 1024 };

    const files = await expandPaths([archive], { limits });
    const results = await readAll(files);

    const maxBytes = Math.max(64 * 1024, 10 * compressed.length);
    assert.ok(maxBytes < repeated.length);
    const over =
      `its content expands past ${maxBytes} bytes, more than 10 times the ` +
      `${compressed.length} bytes of the archive given as input, as an archive bomb does, ` +
      'so the rest is not read (settings.limits.max_archive_ratio)';
    // The entry that the limit cuts is read up to it, then fails with the limit as its reason.
    assert.deepEqual(results, [
      { path: `${archive}/auth.log`, records: 10 },
      { path: `${archive}/repeated.log`, error: over },
      { path: archive, error: over },
    ]);
  });

  it('stops a zip whose entries declare too much before inflating them', () => {
    const dir = tempDir('zip-declared');
    const archive = join(dir, 'bomb.zip');
    const zip = makeZip([
      { name: 'auth.log', data: auth },
      { name: 'bomb.log', data: Buffer.alloc(1024), declaredSize: 0xffffffff },
      { name: 'audit.log', data: audit },
    ]);
    writeFileSync(archive, zip);

    const result = scanWithLimits(dir, {}, [archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}: not read: its content expands past 1073741824 bytes, more than 100 times ` +
        `the ${zip.length} bytes of the archive given as input, as an archive bomb does, so ` +
        'the rest is not read (settings.limits.max_archive_ratio)',
    ]);
  });

  it('stops a zip entry that inflates past its declared size', () => {
    const dir = tempDir('zip-inflates');
    const archive = join(dir, 'lying.zip');
    writeFileSync(archive, makeZip([{ name: 'auth.log', data: auth, declaredSize: 200 }]));

    const result = scanWithLimits(dir, {}, [archive]);
    assert.equal(result.status, 0, result.stderr);
    // The first 200 bytes hold the first line whole; the second is cut there and rejected.
    assert.deepEqual(result.inputs, [
      `  ${archive}/auth.log [linux-syslog] 2 read, 1 parsed, 1 rejected (record_cut 1); then ` +
        'failed: the zip entry inflates past its declared size of 200 bytes, so the archive is ' +
        'damaged or crafted: reading stopped there',
    ]);
  });

  it('reports a tar entry that declares more than the archive holds', () => {
    const dir = tempDir('tar-declared');
    const archive = join(dir, 'huge.tar');
    const declared = 8 * 1024 ** 3 - 1;
    writeFileSync(archive, tarOf([{ name: 'huge.log', data: auth, declared }]));

    const result = scanWithLimits(dir, {}, [archive]);
    assert.equal(result.status, 0, result.stderr);
    const present = tarData(auth).length + TAR_END.length;
    const cut =
      `the tar archive ends at byte ${512 + present}, inside the entry huge.log, which declares ` +
      `${declared} bytes of which ${present} are present`;
    assert.equal(result.inputs.length, 2);
    assert.match(result.inputs[0] ?? '', new RegExp(`^  ${archive}/huge.log \\[linux-syslog\\] `));
    assert.ok(result.inputs[0]?.endsWith(`; then failed: ${cut}`), result.inputs[0]);
    assert.equal(result.inputs[1], `  ${archive}: not read: damaged tar archive: ${cut}`);
  });
});

describe('archive depth limit', () => {
  it('reports archives nested deeper than the limit', () => {
    const dir = tempDir('depth');
    const archive = join(dir, 'a.zip');
    const c = makeZip([{ name: 'auth.log', data: auth }]);
    const b = makeZip([
      { name: 'c.zip', data: c },
      { name: 'audit.log', data: audit },
    ]);
    writeFileSync(archive, makeZip([{ name: 'b.zip', data: b }]));

    const result = scanWithLimits(dir, { max_archive_depth: 2 }, [archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/b.zip/c.zip: not read: an archive inside 2 others, deeper than ` +
        'settings.limits.max_archive_depth (2), so it is not read: extract it first',
      `  ${archive}/b.zip/audit.log ${FIXTURES.audit.summary}`,
    ]);

    const deeper = scanWithLimits(dir, { max_archive_depth: 3 }, [archive]);
    assert.deepEqual(deeper.inputs, [
      `  ${archive}/b.zip/c.zip/auth.log ${FIXTURES.auth.summary}`,
      `  ${archive}/b.zip/audit.log ${FIXTURES.audit.summary}`,
    ]);
  });
});
