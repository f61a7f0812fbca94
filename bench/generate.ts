/**
 * A deterministic generator of large Windows inputs from real records. It copies the OTRF
 * NDJSON records until the output reaches a target size, one output file per source file and
 * copy, each copy moved in time and its names tagged (generate-records.ts). A known AN1344
 * chain (the records of an example case, unchanged) is planted as one more file among those of
 * copy 0. The seed picks the tags and the chain's place, so the same inputs and seed give the
 * same bytes.
 *
 * NOTE: copies after the first are parsed and serialized again, so integers past 2^53 (NXLog's
 * `Keywords`) lose precision in them. Copy 0 keeps the source lines byte for byte.
 *
 * Usage: node --import tsx bench/generate.ts --gb X --out DIR [--seed N] [--subset N]
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { COPY_OFFSET_MS, randomTag, rewriteRecord, seededRandom } from './generate-records.js';
import { listArchives, unzipArchives } from './otrf-cache.js';
import { defaultCacheRoot, sharedInput } from './paths.js';
import { plantedChainLines } from './planted-chain.js';

export interface GenerateOptions {
  /** Source NDJSON files, in the order they are copied. */
  inputs: readonly string[];
  /** NDJSON lines of the chain to plant, unchanged. */
  chain: readonly string[];
  targetBytes: number;
  seed: number;
  /** Emptied, then filled with the output files. */
  folder: string;
}

/** Lines of a file, decoded as UTF-8 in chunks, without holding the whole text. */
function* fileLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const lines = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
    rest += decoder.end();
    if (rest.length > 0) yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Appends lines to a file through a 4 MB buffer; counts the bytes written. */
class LineWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(line: string): void {
    this.pending.push(line, '\n');
    const size = Buffer.byteLength(line) + 1;
    this.pendingBytes += size;
    this.bytes += size;
    if (this.pendingBytes >= 4 << 20) this.flush();
  }

  flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface GenerateResult {
  files: string[];
  bytes: number;
  records: number;
  copies: number;
  chainFile: string;
}

/** Rejects, before writing, when the folder's file system has less free space than needed. */
export function checkFreeSpace(folder: string, bytes: number): void {
  mkdirSync(folder, { recursive: true });
  const stats = statfsSync(folder);
  const free = stats.bavail * stats.bsize;
  // A tenth more than the output, for the file system's own use.
  if (free < bytes * 1.1) {
    const gb = (value: number) => (value / 1e9).toFixed(1);
    throw new Error(
      `generating ${gb(bytes)} GB needs ${gb(bytes * 1.1)} GB free in ${folder}, which has ` +
        `${gb(free)} GB; free space there or choose a smaller --generate-gb`,
    );
  }
}

/**
 * Writes copies of the inputs into the emptied folder until `targetBytes` are written; the last
 * file may end part way through its source. Copy 0 keeps the source lines byte for byte.
 */
export function generate(options: GenerateOptions): GenerateResult {
  rmSync(options.folder, { recursive: true, force: true });
  mkdirSync(options.folder, { recursive: true });
  const random = seededRandom(options.seed);

  // The chain goes before one of the inputs that copy 0 writes whole, so it is always written.
  let fitting = 0;
  let size = 0;
  for (const input of options.inputs) {
    size += statSync(input).size;
    if (size > options.targetBytes) break;
    fitting++;
  }
  const chainAt = Math.floor(random() * Math.max(1, fitting));
  const result: GenerateResult = { files: [], bytes: 0, records: 0, copies: 0, chainFile: '' };

  const open = (name: string): LineWriter => {
    const path = join(options.folder, `${String(result.files.length).padStart(5, '0')}-${name}`);
    result.files.push(path);
    return new LineWriter(path);
  };
  const plantChain = (): void => {
    const writer = open('c0-planted-an1344-chain.json');
    for (const line of options.chain) writer.write(line);
    writer.close();
    result.chainFile = result.files[result.files.length - 1] as string;
    result.bytes += writer.bytes;
    result.records += options.chain.length;
  };

  for (let copy = 0; result.bytes < options.targetBytes; copy++) {
    result.copies = copy + 1;
    const tag = copy === 0 ? '' : randomTag(random);
    for (const [index, input] of options.inputs.entries()) {
      if (copy === 0 && index === chainAt) plantChain();
      if (result.bytes >= options.targetBytes) break;
      const writer = open(`c${copy}-${basename(input)}`);
      for (const line of fileLines(input)) {
        if (line.trim().length === 0) continue;
        const text =
          copy === 0
            ? line
            : JSON.stringify(rewriteRecord(JSON.parse(line), copy * COPY_OFFSET_MS, tag));
        writer.write(text);
        result.records++;
        if (result.bytes + writer.bytes >= options.targetBytes) break;
      }
      writer.close();
      result.bytes += writer.bytes;
    }
  }
  return result;
}

/** Generates from the unzipped OTRF archives into `--out`, for use from the command line. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gb: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      subset: { type: 'string' },
      cache: { type: 'string', default: defaultCacheRoot() },
    },
  });
  const gb = Number(values.gb);
  if (!values.out || !Number.isFinite(gb) || gb <= 0) {
    throw new Error('usage: generate.ts --gb X --out DIR [--seed N] [--subset N] [--cache DIR]');
  }
  const subset = values.subset === undefined ? undefined : Number(values.subset);
  const archives = listArchives(sharedInput('bench', 'otrf-windows-host'), subset);
  const inputs = unzipArchives(archives, join(values.cache, 'otrf'));
  checkFreeSpace(values.out, gb * 1e9);
  const result = generate({
    inputs,
    chain: await plantedChainLines(),
    targetBytes: gb * 1e9,
    seed: Number(values.seed),
    folder: values.out,
  });
  const { files, bytes, records, copies, chainFile } = result;
  console.log(`${files.length} files, ${bytes} bytes, ${records} records, ${copies} copies`);
  console.log(`planted chain: ${chainFile}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
