import { expandPaths } from '../../src/input/expand.js';
import type { Event } from '../../src/model/event.js';
import type { LogFields, Logger } from '../../src/model/logger.js';
import type { Rejection, SkippedRecord, SourceSettings } from '../../src/sources/format.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';

/** Reads one input through format detection and its parser, as a scan does. */
export interface ParsedInput {
  format: string | undefined;
  events: Event[];
  rejections: Rejection[];
  /** Records the format skipped because they contain no event. */
  skipped: SkippedRecord[];
  /** API pages without records among the input's pages. */
  emptyPages: number;
  /** The note of an input that is skipped whole, such as one of only empty pages. */
  note: string | undefined;
  warnings: { message: string; fields: LogFields | undefined }[];
}

export const TEST_SETTINGS: SourceSettings = {
  syslog: {},
  limits: { maxRecordLength: 4 * 1024 * 1024, maxDepth: 64, maxFieldLength: 1024 * 1024 },
};

export function collectingLogger(warnings: ParsedInput['warnings']): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push({ message, fields });
    },
    error(message, fields) {
      warnings.push({ message, fields });
    },
    child: () => logger,
  };
  return logger;
}

export async function parseInput(
  path: string,
  format?: string,
  settings: SourceSettings = TEST_SETTINGS,
): Promise<ParsedInput> {
  const [file] = await expandPaths([path], {});
  if (!file) throw new Error(`no input at ${path}`);
  const warnings: ParsedInput['warnings'] = [];
  const options = {
    settings,
    logger: collectingLogger(warnings),
    ...(format === undefined ? {} : { format }),
  };
  const prepared = await prepareInput(file, createFormatRegistry(), options);
  const events: Event[] = [];
  const rejections: Rejection[] = [];
  const skipped: SkippedRecord[] = [];
  let emptyPages = 0;
  for await (const output of readPrepared(prepared, options)) {
    events.push(...output.events);
    rejections.push(...output.rejections);
    skipped.push(...(output.skipped ?? []));
    emptyPages += output.emptyPages ?? 0;
  }
  return {
    format: prepared.format?.name,
    events,
    rejections,
    skipped,
    emptyPages,
    note: prepared.skipped,
    warnings,
  };
}
