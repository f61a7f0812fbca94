import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import tar from 'tar-stream';
import { listTar } from '../src/input/archive/tar.js';
import { listCentralDirectory } from '../src/input/archive/zip-directory.js';
import { walkLocalHeaders } from '../src/input/archive/zip-local.js';
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
import { makeZip } from './helpers/zip.js';

const UTF8_FLAG = 0x800;

/** CP437 bytes of `résumé.log`: é is 0x82. */
const CP437_RESUME = Buffer.from([0x72, 0x82, 0x73, 0x75, 0x6d, 0x82, 0x2e, 0x6c, 0x6f, 0x67]);

/** Builds an Info-ZIP Unicode Path extra field (0x7075) that gives `name` for raw name `raw`. */
function unicodePathField(raw: Buffer, name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const field = Buffer.alloc(4 + 5 + utf8.length);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + utf8.length, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(raw), 5);
  utf8.copy(field, 9);
  return field;
}

const data = Buffer.from('x\n');

/** Zip entries whose names are written in each of the ways that writers use, and their names. */
const ZIP_NAMES: { what: string; rawName: Buffer; flags?: number; extra?: Buffer; name: string }[] =
  [
    {
      what: 'UTF-8 bytes without the UTF-8 flag (Info-ZIP zip 3.0)',
      rawName: Buffer.from('Sécurité.evtx', 'utf8'),
      name: 'Sécurité.evtx',
    },
    {
      what: 'UTF-8 bytes with the UTF-8 flag',
      rawName: Buffer.from("jour d'été auth.log", 'utf8'),
      flags: UTF8_FLAG,
      name: "jour d'été auth.log",
    },
    { what: 'CP437 bytes', rawName: CP437_RESUME, name: 'résumé.log' },
    {
      what: 'CP437 bytes of letters and box drawing that are not valid UTF-8',
      rawName: Buffer.from([
        0x4d, 0x81, 0x6c, 0x6c, 0x65, 0x72, 0xc9, 0xcd, 0x2e, 0x6c, 0x6f, 0x67,
      ]),
      name: 'Müller╔═.log',
    },
    {
      what: 'a Unicode Path extra field over a CP437 name',
      rawName: CP437_RESUME,
      extra: unicodePathField(CP437_RESUME, 'Résumé été.log'),
      name: 'Résumé été.log',
    },
    {
      what: 'CP437 byte values written as code points with the UTF-8 flag',
      rawName: Buffer.from('r\u0082sum\u0082.log', 'utf8'),
      flags: UTF8_FLAG,
      name: 'résumé.log',
    },
    {
      what: 'UTF-8 bytes of other scripts without the flag',
      rawName: Buffer.from('ログ/監査.log', 'utf8'),
      name: 'ログ/監査.log',
    },
    { what: 'backslashes', rawName: Buffer.from('logs\\auth.log'), name: 'logs/auth.log' },
  ];

function zipOfNames(): Buffer {
  return makeZip(
    ZIP_NAMES.map((entry) => ({
      name: entry.what,
      data,
      rawName: entry.rawName,
      ...(entry.flags !== undefined ? { flags: entry.flags } : {}),
      ...(entry.extra !== undefined ? { extra: entry.extra } : {}),
    })),
  );
}

describe('zip entry names', () => {
  it('decodes each way of writing a name', async () => {
    const dir = tempDir('zip-names');
    const path = join(dir, 'names.zip');
    writeFileSync(path, zipOfNames());
    const range = { path, start: 0, end: statSync(path).size };

    const entries = await listCentralDirectory(range, 100);
    for (const [index, expected] of ZIP_NAMES.entries()) {
      assert.equal(entries[index]?.name, expected.name, expected.what);
    }
  });

  it('decodes names the same from the local file headers', async () => {
    const dir = tempDir('zip-names-local');
    const path = join(dir, 'names.zip');
    writeFileSync(path, zipOfNames());
    const range = { path, start: 0, end: statSync(path).size };

    const walk = await walkLocalHeaders(range, 100, 1024, undefined);
    assert.equal(walk.stop, undefined);
    assert.deepEqual(
      walk.entries.map((entry) => entry.name),
      ZIP_NAMES.map((entry) => entry.name),
    );
  });

  it('shows names that Info-ZIP wrote', { skip: !hasTool('zip') && 'zip is not installed' }, () => {
    const dir = tempDir('zip-names-infozip');
    placeFixtures(dir, { 'n/Sécurité.evtx': 'evtx', "n/jour d'été auth.log": 'auth' });
    runTool(dir, 'zip', ['-q', '-r', 'n.zip', 'n']);
    const archive = join(dir, 'n.zip');

    const result = runCli([
      'scan',
      '--db',
      ':memory:',
      '--no-progress',
      '--output',
      'ndjson',
      archive,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const inputs = result.stderr.split('\n').filter((line) => line.startsWith('  '));
    assert.deepEqual(inputs.sort(), [
      `  ${archive}/n/Sécurité.evtx ${FIXTURES.evtx.summary}`,
      `  ${archive}/n/jour d'été auth.log ${FIXTURES.auth.summary}`,
    ]);
  });
});

describe('tar entry names', () => {
  it('decodes UTF-8, Latin-1 and pax names', async () => {
    const dir = tempDir('tar-names');
    const latin1 = Buffer.from('résumé.log', 'latin1');
    const utf8 = Buffer.from('Sécurité.evtx', 'utf8');
    const pack = tar.pack();
    // tar-stream writes a pax `path` record for a name that is not ASCII.
    pack.entry({ name: 'ログ/監査.log' }, data);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk);
    const packed = Buffer.concat(chunks);
    const path = join(dir, 'names.tar');
    writeFileSync(
      path,
      Buffer.concat([
        tarHeader(latin1, data.length),
        tarData(data),
        tarHeader(utf8, data.length),
        tarData(data),
        packed.subarray(0, packed.length - 1024),
        TAR_END,
      ]),
    );

    const listing = await listTar({ path, start: 0, end: statSync(path).size }, 100);
    assert.equal(listing.stop, undefined);
    assert.deepEqual(
      listing.entries.map((entry) => entry.name),
      ['résumé.log', 'Sécurité.evtx', 'ログ/監査.log'],
    );
    assert.deepEqual(
      listing.entries.map((entry) =>
        readFileSync(path).subarray(entry.range.start, entry.range.end),
      ),
      [data, data, data],
    );
  });
});
