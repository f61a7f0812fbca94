/**
 * Fuzzes the EVTX reader with mutated copies of EVTX files: bit flips, overwritten bytes,
 * truncation, swapped, dropped and repeated chunks, and oversized size, count and length
 * fields. Each case must finish within the time limit without a throw, and must account for
 * every record. So events and rejections together must be at least the records that the
 * intact chunk headers declare, and every chunk left unchanged must yield its original events.
 *
 * Usage: node --import tsx scripts/fuzz-evtx.ts [--iterations N] [--seconds S] [--seed N]
 *        [--limit-ms N] [FILE.evtx ...]
 * Without files it uses the bundled fixtures. It prints a JSON line before each case (so a
 * runner can name the case that hangs) and a JSON summary at the end, and exits with 1 when a
 * case fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/model/logger.js';
import {
  CHUNK_SIZE,
  declaredRecordCount,
  parseChunkHeader,
} from '../src/sources/evtx/chunk-header.js';
import { readEvtx } from '../src/sources/evtx/evtx-reader.js';
import { FILE_HEADER_SIZE } from '../src/sources/evtx/file-header.js';
import type { ParseContext } from '../src/sources/format.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'evtx');

const CONTEXT: ParseContext = {
  file: 'fuzz.evtx',
  mtimeMs: undefined,
  settings: {
    syslog: {},
    limits: { maxRecordLength: 1 << 20, maxDepth: 64, maxFieldLength: 1 << 20 },
  },
  logger: silentLogger,
};

/** A deterministic pseudo-random generator (mulberry32), so a seed replays a run. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

interface Original {
  name: string;
  bytes: Buffer;
  /** Events of each chunk, as JSON of their fields, keyed by the chunk's bytes in base64. */
  chunkEvents: Map<string, string[]>;
}

interface ReadOutcome {
  events: string[];
  rejections: number;
  milliseconds: number;
  error?: string;
}

async function readAll(bytes: Buffer, random: () => number): Promise<ReadOutcome> {
  const started = performance.now();
  const pieces = (async function* () {
    let offset = 0;
    while (offset < bytes.length) {
      const size = 1 + Math.floor(random() * 150_000);
      yield bytes.subarray(offset, offset + size);
      offset += size;
    }
  })();
  const outcome: ReadOutcome = { events: [], rejections: 0, milliseconds: 0 };
  try {
    for await (const output of readEvtx(pieces, CONTEXT)) {
      for (const event of output.events) outcome.events.push(JSON.stringify(event.fields));
      outcome.rejections += output.rejections.length;
    }
  } catch (error) {
    outcome.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  outcome.milliseconds = performance.now() - started;
  return outcome;
}

function chunkKey(chunk: Buffer): string {
  return chunk.toString('base64');
}

function chunksOf(file: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = FILE_HEADER_SIZE; start < file.length; start += CHUNK_SIZE) {
    chunks.push(file.subarray(start, start + CHUNK_SIZE));
  }
  return chunks;
}

async function loadOriginal(name: string, bytes: Buffer): Promise<Original> {
  const chunkEvents = new Map<string, string[]>();
  const header = bytes.subarray(0, FILE_HEADER_SIZE);
  for (const chunk of chunksOf(bytes)) {
    if (chunk.length < CHUNK_SIZE) continue;
    const alone = await readAll(Buffer.concat([header, chunk]), () => 0.5);
    chunkEvents.set(chunkKey(chunk), alone.events);
  }
  return { name, bytes, chunkEvents };
}

/** Record offsets (in the file) found by walking each chunk up to its free-space offset. */
function recordStarts(file: Buffer): number[] {
  const starts: number[] = [];
  for (let chunk = FILE_HEADER_SIZE; chunk + CHUNK_SIZE <= file.length; chunk += CHUNK_SIZE) {
    const freeSpace = Math.min(file.readUInt32LE(chunk + 48), CHUNK_SIZE);
    let offset = 512;
    while (offset + 24 <= freeSpace && file.readUInt32LE(chunk + offset) === 0x2a2a) {
      starts.push(chunk + offset);
      const size = file.readUInt32LE(chunk + offset + 4);
      if (size < 28) break;
      offset += size;
    }
  }
  return starts;
}

type Mutation = (file: Buffer, random: () => number) => { bytes: Buffer; description: string };

const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)] as T;

const position = (file: Buffer, random: () => number) => Math.floor(random() * file.length);

const MUTATIONS: Record<string, Mutation> = {
  flip(file, random) {
    const bytes = Buffer.from(file);
    const flips = 1 + Math.floor(random() * 8);
    const at: number[] = [];
    for (let index = 0; index < flips; index++) {
      const offset = position(bytes, random);
      bytes[offset] = (bytes[offset] as number) ^ (1 << Math.floor(random() * 8));
      at.push(offset);
    }
    return { bytes, description: `flip bits at ${at.join(',')}` };
  },
  overwrite(file, random) {
    const bytes = Buffer.from(file);
    const offset = position(bytes, random);
    const length = 1 + Math.floor(random() * 32);
    for (let index = offset; index < Math.min(offset + length, bytes.length); index++) {
      bytes[index] = Math.floor(random() * 256);
    }
    return { bytes, description: `overwrite ${length} bytes at ${offset}` };
  },
  truncate(file, random) {
    const length = position(file, random);
    return { bytes: file.subarray(0, length), description: `truncate to ${length}` };
  },
  swapChunks(file, random) {
    const chunks = chunksOf(file);
    const first = Math.floor(random() * chunks.length);
    const second = Math.floor(random() * chunks.length);
    [chunks[first], chunks[second]] = [chunks[second] as Buffer, chunks[first] as Buffer];
    const bytes = Buffer.concat([file.subarray(0, FILE_HEADER_SIZE), ...chunks]);
    return { bytes, description: `swap chunks ${first} and ${second}` };
  },
  dropChunk(file, random) {
    const chunks = chunksOf(file);
    const index = Math.floor(random() * chunks.length);
    chunks.splice(index, 1);
    const bytes = Buffer.concat([file.subarray(0, FILE_HEADER_SIZE), ...chunks]);
    return { bytes, description: `drop chunk ${index}` };
  },
  repeatChunk(file, random) {
    const chunks = chunksOf(file);
    const index = Math.floor(random() * chunks.length);
    chunks.splice(index, 0, chunks[index] as Buffer);
    const bytes = Buffer.concat([file.subarray(0, FILE_HEADER_SIZE), ...chunks]);
    return { bytes, description: `repeat chunk ${index}` };
  },
  recordSize(file, random) {
    const bytes = Buffer.from(file);
    const start = pick(recordStarts(bytes), random);
    const size = pick([0, 1, 27, 0xffff, 0xffffffff, Math.floor(random() * 2 ** 32)], random);
    bytes.writeUInt32LE(size >>> 0, start + 4);
    return { bytes, description: `record at ${start} size ${size}` };
  },
  lengthField(file, random) {
    const bytes = Buffer.from(file);
    const start = pick(recordStarts(bytes), random);
    const offset =
      start + 24 + Math.floor(random() * Math.max(bytes.readUInt32LE(start + 4) - 28, 1));
    const wide = random() < 0.5;
    if (wide && offset + 4 <= bytes.length) bytes.writeUInt32LE(0xffffffff, offset);
    else if (offset + 2 <= bytes.length) bytes.writeUInt16LE(0xffff, offset);
    return { bytes, description: `${wide ? 'u32' : 'u16'} max at ${offset}` };
  },
  templateFields(file, random) {
    const bytes = Buffer.from(file);
    const start = pick(recordStarts(bytes), random);
    const instance = start + 24 + 4;
    if (bytes[instance] !== 0x0c) return { bytes, description: `no template at ${start}` };
    const chunk = start - ((start - FILE_HEADER_SIZE) % CHUNK_SIZE);
    const definition = bytes.readUInt32LE(instance + 6);
    const field = pick(['definition size', 'value count', 'definition offset'], random);
    const value = pick([0xffffffff, 0x10000, Math.floor(random() * 2 ** 32)], random);
    if (field === 'definition size' && chunk + definition + 24 <= bytes.length) {
      bytes.writeUInt32LE(value >>> 0, chunk + definition + 20);
    } else if (field === 'definition offset') {
      bytes.writeUInt32LE(value >>> 0, instance + 6);
    } else if (definition === instance + 10 - chunk) {
      const size = bytes.readUInt32LE(chunk + definition + 20);
      const count = chunk + definition + 24 + size;
      if (count + 4 <= bytes.length) bytes.writeUInt32LE(value >>> 0, count);
    }
    return { bytes, description: `${field} ${value} of record at ${start}` };
  },
  zeroRange(file, random) {
    const bytes = Buffer.from(file);
    const offset = position(bytes, random);
    const length = Math.floor(random() * 4096);
    bytes.fill(0, offset, Math.min(offset + length, bytes.length));
    return { bytes, description: `zero ${length} bytes at ${offset}` };
  },
  headers(file, random) {
    const bytes = Buffer.from(file);
    const chunks = chunksOf(bytes).length;
    const base = random() < 0.3 ? 0 : FILE_HEADER_SIZE + Math.floor(random() * chunks) * CHUNK_SIZE;
    const offset = base + Math.floor(random() * 512);
    if (offset < bytes.length) bytes[offset] = Math.floor(random() * 256);
    return { bytes, description: `header byte at ${offset}` };
  },
};

/**
 * Returns the minimum number of outputs (the records that the valid chunk headers declare) and
 * a maximum that also allows for chunks whose header gives no count.
 */
function declaredRecords(file: Buffer): { minimum: number; maximum: number } {
  let minimum = 0;
  let maximum = 2; // file-level rejections
  for (let start = FILE_HEADER_SIZE; start < file.length; start += CHUNK_SIZE) {
    const length = Math.min(CHUNK_SIZE, file.length - start);
    maximum += 2; // chunk-level rejections
    if (length < 512) continue;
    const header = parseChunkHeader(file.subarray(start, start + length), length);
    const declared = header.signatureValid ? declaredRecordCount(header) : undefined;
    if (declared !== undefined) minimum += declared;
    maximum += declared ?? Math.floor(CHUNK_SIZE / 28);
  }
  return { minimum, maximum };
}

function checkCase(original: Original, mutated: Buffer, outcome: ReadOutcome, limit: number) {
  const problems: string[] = [];
  if (outcome.error) problems.push(`threw: ${outcome.error}`);
  if (outcome.milliseconds > limit) {
    problems.push(`took ${Math.round(outcome.milliseconds)} ms, over ${limit} ms`);
  }

  const { minimum, maximum } = declaredRecords(mutated);
  const outputs = outcome.events.length + outcome.rejections;
  if (outputs < minimum) problems.push(`${outputs} events and rejections for ${minimum} records`);
  if (outputs > maximum) problems.push(`${outputs} events and rejections, over ${maximum}`);

  const yielded = new Map<string, number>();
  for (const event of outcome.events) yielded.set(event, (yielded.get(event) ?? 0) + 1);
  for (const chunk of chunksOf(mutated)) {
    for (const event of original.chunkEvents.get(chunkKey(chunk)) ?? []) {
      const left = yielded.get(event) ?? 0;
      if (left === 0) {
        problems.push(`an unchanged chunk lost the event ${event.slice(0, 160)}`);
        break;
      }
      yielded.set(event, left - 1);
    }
  }
  return problems;
}

export interface FuzzOptions {
  iterations: number;
  seconds: number;
  seed: number;
  limitMs: number;
  files: string[];
}

export async function runFuzz(options: FuzzOptions, report: (line: object) => void) {
  const paths = options.files.length > 0 ? options.files : fixtureFiles();
  const originals: Original[] = [];
  for (const path of paths) originals.push(await loadOriginal(path, readFileSync(path)));
  const joined = Buffer.concat([
    readFileSync(paths[0] as string).subarray(0, FILE_HEADER_SIZE),
    ...originals.flatMap((original) => chunksOf(original.bytes)),
  ]);
  originals.push(await loadOriginal('joined', joined));

  const random = createRandom(options.seed);
  const names = Object.keys(MUTATIONS);
  const failures: object[] = [];
  const started = Date.now();
  let cases = 0;
  let slowest = 0;
  while (cases < options.iterations && Date.now() - started < options.seconds * 1000) {
    const original = pick(originals, random);
    const name = pick(names, random);
    const mutation = MUTATIONS[name] as Mutation;
    const { bytes, description } = mutation(original.bytes, random);
    report({ case: cases, file: original.name, mutation: `${name}: ${description}` });

    const outcome = await readAll(bytes, random);
    slowest = Math.max(slowest, outcome.milliseconds);
    const problems = checkCase(original, bytes, outcome, options.limitMs);
    if (problems.length > 0) {
      failures.push({ case: cases, file: original.name, mutation: description, problems });
    }
    cases++;
  }
  return {
    cases,
    failures,
    slowest_ms: Math.round(slowest),
    seconds: (Date.now() - started) / 1000,
  };
}

function fixtureFiles(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.evtx'))
    .sort()
    .map((name) => join(FIXTURES, name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      iterations: { type: 'string', default: '3000' },
      seconds: { type: 'string', default: '45' },
      seed: { type: 'string', default: '1199' },
      'limit-ms': { type: 'string', default: '2000' },
    },
  });
  const summary = await runFuzz(
    {
      iterations: Number(values.iterations),
      seconds: Number(values.seconds),
      seed: Number(values.seed),
      limitMs: Number(values['limit-ms']),
      files: positionals,
    },
    (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
  );
  process.stdout.write(`${JSON.stringify({ summary })}\n`);
  process.exit(summary.failures.length > 0 ? 1 : 0);
}
