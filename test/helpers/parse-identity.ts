import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expandPaths, STDIN_PATH } from '../../src/input/expand.js';
import type { InputFile } from '../../src/input/input-file.js';
import type { Event } from '../../src/model/event.js';
import { silentLogger } from '../../src/model/logger.js';
import type { Rejection, SourceSettings } from '../../src/sources/format.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Reads one input with format detection, as a scan does, and returns what its format made. */
export interface ParsedInput {
  format: string | undefined;
  events: Event[];
  rejections: Rejection[];
}

export const TEST_SETTINGS: SourceSettings = {
  syslog: {},
  limits: { maxRecordLength: 4 * 1024 * 1024, maxDepth: 64, maxFieldLength: 1024 * 1024 },
};

export async function parsePath(
  path: string,
  settings: SourceSettings = TEST_SETTINGS,
): Promise<ParsedInput> {
  const [file] = await expandPaths([path]);
  if (!file) throw new Error(`no input at ${path}`);
  return parseInput(file, settings);
}

/** Reads the text as standard input, which has no modification time. */
export async function parseStdin(text: string): Promise<ParsedInput> {
  const [file] = await expandPaths([STDIN_PATH], { stdin: () => Readable.from([text]) });
  if (!file) throw new Error('no standard input');
  return parseInput(file, TEST_SETTINGS);
}

async function parseInput(file: InputFile, settings: SourceSettings): Promise<ParsedInput> {
  const options = { settings, logger: silentLogger };
  const prepared = await prepareInput(file, createFormatRegistry(), options);
  const result: ParsedInput = { format: prepared.format?.name, events: [], rejections: [] };
  for await (const output of readPrepared(prepared, options)) {
    result.events.push(...output.events);
    result.rejections.push(...output.rejections);
  }
  return result;
}

/** Writes the text to a temporary file of the given name and reads it. */
export async function parseText(name: string, text: string): Promise<ParsedInput> {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-parse-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return await parsePath(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts rejections by code. */
export function rejectionCodes(rejections: readonly Rejection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const rejection of rejections) counts[rejection.code] = (counts[rejection.code] ?? 0) + 1;
  return counts;
}
