import type { Readable } from 'node:stream';
import { expandPaths } from '../../src/input/expand.js';
import type { Event } from '../../src/model/event.js';
import { silentLogger } from '../../src/model/logger.js';
import type { Rejection, SourceSettings } from '../../src/sources/format.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Reads inputs through the real input and source layers, for parser tests. */

export const TEST_SETTINGS: SourceSettings = {
  syslog: {},
  limits: { maxRecordLength: 4 * 1024 * 1024, maxDepth: 64, maxFieldLength: 1024 * 1024 },
};

export interface ReadResult {
  path: string;
  format: string | undefined;
  reason: string | undefined;
  events: Event[];
  rejections: Rejection[];
}

export async function readAll(
  paths: readonly string[],
  options: { format?: string; settings?: SourceSettings; stdin?: () => Readable } = {},
): Promise<ReadResult[]> {
  const registry = createFormatRegistry();
  const settings = options.settings ?? TEST_SETTINGS;
  const files = await expandPaths(paths, options.stdin ? { stdin: options.stdin } : {});
  const results: ReadResult[] = [];
  for (const file of files) {
    const readOptions = {
      settings,
      logger: silentLogger,
      ...(options.format ? { format: options.format } : {}),
    };
    const prepared = await prepareInput(file, registry, readOptions);
    const result: ReadResult = {
      path: file.path,
      format: prepared.format?.name,
      reason: prepared.reason,
      events: [],
      rejections: [],
    };
    for await (const output of readPrepared(prepared, readOptions)) {
      result.events.push(...output.events);
      result.rejections.push(...output.rejections);
    }
    results.push(result);
  }
  return results;
}

export async function readOne(
  path: string,
  options: { format?: string; settings?: SourceSettings } = {},
): Promise<ReadResult> {
  const [result] = await readAll([path], options);
  if (!result) throw new Error(`no input at ${path}`);
  return result;
}
