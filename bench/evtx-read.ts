/**
 * Measures how fast the EVTX reader reads, against reading the same events as EVTX-dumper JSON
 * (the windows-json source) and, when it is installed, against libevtx's `evtxexport`.
 *
 * Usage: node --import tsx bench/evtx-read.ts [FILE.evtx] [--repeat N]
 * The default file is the corpus file with the most records. Its chunks are repeated N times
 * (default 40) into a temporary file, so that the run is long enough to time and shows whether
 * memory grows with the file. The JSON of the same events is written beside it. Each reader
 * goes through format detection and the file stream, as `trustwatch scan` does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { expandPaths } from '../src/input/expand.js';
import { silentLogger } from '../src/model/logger.js';
import { BinXmlReader } from '../src/sources/evtx/binxml-reader.js';
import { EventTreeBuilder } from '../src/sources/evtx/event-tree.js';
import { Expander } from '../src/sources/evtx/expand.js';
import { prepareInput, readPrepared } from '../src/sources/read.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { TEST_SETTINGS } from '../test/helpers/read-input.js';
import { SHARED_ROOT } from '../test/helpers/shared.js';

const DEFAULT_FILE = join(
  SHARED_ROOT,
  'corpus/windows/mdecrevoisier-evtx-to-mitre-attack/ID5145-4624-DonPAPI_full_extraction.evtx',
);
const FILE_HEADER_SIZE = 4096;
const CHUNK_SIZE = 65536;

/** Turns the reader's object tree into the dumper shape: attributes under `#attributes`. */
function dumperShape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dumperShape);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@')) attributes[key.slice(1)] = value;
    else out[key] = dumperShape(value);
  }
  if (Object.keys(attributes).length > 0) out['#attributes'] = attributes;
  return out;
}

/** Writes the records of an EVTX file as EVTX-dumper JSON, one object per line. */
function toJsonLines(file: Buffer): string {
  const reader = new BinXmlReader();
  const expander = new Expander(reader);
  const tree = new EventTreeBuilder();
  const lines: string[] = [];
  for (let start = FILE_HEADER_SIZE; start + CHUNK_SIZE <= file.length; start += CHUNK_SIZE) {
    const chunk = file.subarray(start, start + CHUNK_SIZE);
    reader.startChunk(chunk, CHUNK_SIZE);
    const freeSpace = chunk.readUInt32LE(48);
    let offset = 512;
    while (offset + 24 <= freeSpace && chunk.readUInt32LE(offset) === 0x2a2a) {
      const size = chunk.readUInt32LE(offset + 4);
      tree.reset();
      expander.expandRecord(reader.parseRecord(offset + 24, offset + size - 4), tree);
      lines.push(JSON.stringify(dumperShape(tree.root)));
      offset += size;
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Reads one file in this process and prints its line; the peak RSS is this process's. */
async function measure(label: string, path: string) {
  const started = performance.now();
  const [file] = await expandPaths([path]);
  if (!file) throw new Error(`no input file at ${path}`);
  const options = { settings: TEST_SETTINGS, logger: silentLogger };
  const prepared = await prepareInput(file, createFormatRegistry(), options);
  let events = 0;
  for await (const output of readPrepared(prepared, options)) events += output.events.length;
  const seconds = (performance.now() - started) / 1000;
  const rss = `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`;
  report(label, statSync(path).size, events, seconds, `format ${prepared.format?.name}, ${rss}`);
}

/** Measures in a fresh process, so that memory and JIT state of one reader do not skew another. */
function measureApart(label: string, path: string): void {
  const script = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, [...process.execArgv, script, '--measure', label, path], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`measuring ${label} failed with exit ${run.status}`);
}

function report(label: string, bytes: number, events: number, seconds: number, note: string) {
  const megabytes = bytes / 1e6;
  console.log(
    `${label.padEnd(22)} ${megabytes.toFixed(1).padStart(7)} MB ${String(events).padStart(8)} events ` +
      `${seconds.toFixed(2).padStart(6)} s ${(megabytes / seconds).toFixed(1).padStart(7)} MB/s ` +
      `${Math.round(events / seconds)
        .toString()
        .padStart(8)} events/s  ${note}`,
  );
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { repeat: { type: 'string', default: '40' }, measure: { type: 'string' } },
});
if (values.measure !== undefined) {
  await measure(values.measure, positionals[0] as string);
  process.exit(0);
}
const source = positionals[0] ?? DEFAULT_FILE;
const repeat = Number(values.repeat);
const original = readFileSync(source);
const chunks: Buffer[] = [];
for (let start = FILE_HEADER_SIZE; start + CHUNK_SIZE <= original.length; start += CHUNK_SIZE) {
  chunks.push(original.subarray(start, start + CHUNK_SIZE));
}

const folder = mkdtempSync(join(tmpdir(), 'trustwatch-bench-'));
try {
  const header = Buffer.from(original.subarray(0, FILE_HEADER_SIZE));
  header.writeUInt16LE(Math.min(chunks.length * repeat, 0xffff), 42);
  const evtxPath = join(folder, 'bench.evtx');
  const copies: Buffer[] = [];
  for (let index = 0; index < repeat; index++) copies.push(...chunks);
  writeFileSync(evtxPath, Buffer.concat([header, ...copies]));
  const jsonPath = join(folder, 'bench.json');
  const json = toJsonLines(readFileSync(evtxPath));
  writeFileSync(jsonPath, json);
  const events = json.split('\n').length - 1;

  console.log(`source: ${source} (${chunks.length} chunks, repeated ${repeat} times)`);
  console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
  measureApart('trustwatch evtx', evtxPath);
  measureApart('trustwatch windows-json', jsonPath);

  const started = performance.now();
  const run = spawnSync('evtxexport', [evtxPath], { stdio: ['ignore', 'ignore', 'ignore'] });
  if (run.error) console.log('evtxexport: not installed (apt-get install libevtx-utils)');
  else {
    const seconds = (performance.now() - started) / 1000;
    report('evtxexport (text)', statSync(evtxPath).size, events, seconds, `exit ${run.status}`);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
