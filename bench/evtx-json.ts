/**
 * EVTX against JSON: the same events read from an `.evtx` file by the EVTX source, and from
 * NDJSON of their flat fields, one object per line, which the windows-flat source reads back.
 * This module writes that NDJSON through the EVTX source itself. Both files go through format
 * detection and `readPrepared` in this process, as `trustwatch scan` reads them, and nothing
 * runs detection. The corpus files hold about 1,200 events in all, too few to time, so their
 * chunks are repeated into one larger file. Each 64 KB chunk carries its own string and
 * template tables, so a repeated chunk reads as the original did.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { emptyContext } from '../src/context/load.js';
import { expandPaths } from '../src/input/expand.js';
import { silentLogger } from '../src/model/logger.js';
import { sourceSettings } from '../src/pipeline/scan.js';
import { prepareInput, type ReadOptions, readPrepared } from '../src/sources/read.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { median } from './measure.js';

/** `.evtx` files under `folder`, sorted by path. */
export function findEvtxFiles(folder: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) files.push(...findEvtxFiles(path));
    else if (name.toLowerCase().endsWith('.evtx')) files.push(path);
  }
  return files;
}

function readOptions(): ReadOptions {
  return { settings: sourceSettings(emptyContext()), logger: silentLogger };
}

/** Reads each file through format detection; calls `visit` with every event's fields. */
async function readFiles(
  files: readonly string[],
  visit: (fields: Record<string, unknown>) => void,
): Promise<{ events: number; formats: Set<string> }> {
  const options = readOptions();
  const registry = createFormatRegistry();
  const formats = new Set<string>();
  let events = 0;
  for (const file of await expandPaths([...files])) {
    const prepared = await prepareInput(file, registry, options);
    formats.add(prepared.format?.name ?? 'unknown');
    for await (const output of readPrepared(prepared, options)) {
      for (const event of output.events) visit(event.fields);
      events += output.events.length;
    }
  }
  return { events, formats };
}

const FILE_HEADER_BYTES = 4096;
const CHUNK_BYTES = 65536;
const CHUNK_SIGNATURE = Buffer.from('ElfChnk\0', 'latin1');

/**
 * Writes one EVTX file of the chunks of `files`, repeated `repeat` times, under the first file's
 * header with the chunk count and header checksum set for the new file.
 */
export function buildRepeatedEvtx(files: readonly string[], repeat: number, target: string) {
  const chunks: Buffer[] = [];
  let header: Buffer | undefined;
  for (const file of files) {
    const bytes = readFileSync(file);
    header ??= Buffer.from(bytes.subarray(0, FILE_HEADER_BYTES));
    for (let start = FILE_HEADER_BYTES; start + CHUNK_BYTES <= bytes.length; start += CHUNK_BYTES) {
      const chunk = bytes.subarray(start, start + CHUNK_BYTES);
      if (chunk.subarray(0, 8).equals(CHUNK_SIGNATURE)) chunks.push(chunk);
    }
  }
  if (!header || chunks.length === 0) throw new Error('no EVTX chunks in the corpus files');
  const count = chunks.length * repeat;
  if (count > 0xffff) throw new Error(`${count} chunks do not fit the header's 16-bit count`);
  header.writeUInt16LE(count, 42);
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124);
  const copies = Array.from({ length: repeat }, () => chunks).flat();
  writeFileSync(target, Buffer.concat([header, ...copies]));
  return { chunks: chunks.length, bytes: FILE_HEADER_BYTES + count * CHUNK_BYTES };
}

/** Writes the events of an EVTX file as NDJSON of their flat fields to `target`. */
export async function exportEvtxAsJson(file: string, target: string): Promise<void> {
  const lines: string[] = [];
  await readFiles([file], (fields) => lines.push(JSON.stringify(fields)));
  writeFileSync(target, `${lines.join('\n')}\n`);
}

export interface ReadRun {
  events: number;
  seconds: number;
  cpuSeconds: number;
  formats: string[];
}

/** Reads all files `passes` times; seconds and CPU seconds are the medians of the passes. */
export async function timeReading(files: readonly string[], passes: number): Promise<ReadRun> {
  const seconds: number[] = [];
  const cpu: number[] = [];
  let events = 0;
  let formats = new Set<string>();
  for (let pass = 0; pass < passes; pass++) {
    const usage = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await readFiles(files, () => {});
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    const used = process.cpuUsage(usage);
    cpu.push((used.user + used.system) / 1e6);
    events = result.events;
    formats = result.formats;
  }
  return { events, seconds: median(seconds), cpuSeconds: median(cpu), formats: [...formats] };
}
