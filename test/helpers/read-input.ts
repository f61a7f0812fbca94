import { expandPaths } from '../../src/input/expand.js';
import type { Event } from '../../src/model/event.js';
import { MemoryLogger } from '../../src/model/logger.js';
import type { Rejection, SourceSettings } from '../../src/sources/format.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Reads one input file the way `trustwatch scan` does: format detection, then every record. */

export const TEST_SETTINGS: SourceSettings = {
  syslog: {},
  limits: { maxRecordLength: 1 << 20, maxDepth: 64, maxFieldLength: 1 << 20 },
};

export interface ReadResult {
  format: string | undefined;
  events: Event[];
  rejections: Rejection[];
  logger: MemoryLogger;
}

export async function readInput(path: string, format?: string): Promise<ReadResult> {
  const logger = new MemoryLogger();
  const options = { settings: TEST_SETTINGS, logger, ...(format ? { format } : {}) };
  const [file] = await expandPaths([path]);
  if (!file) throw new Error(`no input file at ${path}`);
  const prepared = await prepareInput(file, createFormatRegistry(), options);
  const result: ReadResult = { format: prepared.format?.name, events: [], rejections: [], logger };
  for await (const output of readPrepared(prepared, options)) {
    result.events.push(...output.events);
    result.rejections.push(...output.rejections);
  }
  return result;
}
