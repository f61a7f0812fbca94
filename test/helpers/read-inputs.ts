import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expandPaths } from '../../src/input/expand.js';
import type { InputFile } from '../../src/input/input-file.js';
import { gunzipIfCompressed } from '../../src/input/open.js';
import type { Event } from '../../src/model/event.js';
import { silentLogger } from '../../src/model/logger.js';
import type { Rejection, SourceSettings } from '../../src/sources/format.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Parses inputs the way a scan does, without rules, for source tests. */

export interface ParsedInput {
  path: string;
  format: string | undefined;
  skipped: string | undefined;
  events: Event[];
  rejections: Rejection[];
  /** Records that went into events (lines of audit events), as the scan summary counts them. */
  records: number;
}

export interface ParseOptions {
  syslog?: SourceSettings['syslog'];
  format?: string;
}

const registry = createFormatRegistry();

export function settingsFor(options: ParseOptions = {}): SourceSettings {
  return {
    syslog: options.syslog ?? {},
    limits: { maxRecordLength: 4 * 1024 * 1024, maxDepth: 64, maxFieldLength: 1024 * 1024 },
  };
}

/** Creates an input held in memory; `gzip` compresses it as a .gz file would be. */
export function memoryInput(
  path: string,
  content: string | Buffer,
  options: { mtimeMs?: number; gzip?: boolean } = {},
): InputFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const stored = options.gzip ? gzipSync(bytes) : bytes;
  return {
    path,
    key: path,
    size: stored.length,
    mtimeMs: options.mtimeMs,
    reopenable: true,
    open: async () => gunzipIfCompressed(Readable.from([stored])),
  };
}

export async function parseInput(
  file: InputFile,
  options: ParseOptions = {},
): Promise<ParsedInput> {
  const readOptions = {
    settings: settingsFor(options),
    logger: silentLogger,
    ...(options.format ? { format: options.format } : {}),
  };
  const prepared = await prepareInput(file, registry, readOptions);
  const parsed: ParsedInput = {
    path: file.path,
    format: prepared.format?.name,
    skipped: prepared.skipped,
    events: [],
    rejections: [],
    records: 0,
  };
  for await (const output of readPrepared(prepared, readOptions)) {
    parsed.events.push(...output.events);
    parsed.rejections.push(...output.rejections);
    parsed.records += output.records ?? output.events.length;
  }
  return parsed;
}

export async function parseText(
  path: string,
  text: string,
  options: ParseOptions & { mtimeMs?: number; gzip?: boolean } = {},
): Promise<ParsedInput> {
  const input: { mtimeMs?: number; gzip?: boolean } = {};
  if (options.mtimeMs !== undefined) input.mtimeMs = options.mtimeMs;
  if (options.gzip !== undefined) input.gzip = options.gzip;
  return parseInput(memoryInput(path, text, input), options);
}

/** Parses every input under the paths (folders expanded as a scan expands them). */
export async function parsePaths(
  paths: readonly string[],
  options: ParseOptions = {},
): Promise<ParsedInput[]> {
  const results: ParsedInput[] = [];
  for (const file of await expandPaths(paths)) results.push(await parseInput(file, options));
  return results;
}
