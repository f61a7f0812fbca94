import { CsvRowScanner } from '../input/csv-row.js';
import { InputError } from '../model/errors.js';
import { firstCsvWarning } from './csv-rows.js';
import type { ParseContext } from './format.js';
import { truncate } from './json-shape.js';

/**
 * The header row of a CSV export of log entries, read from its one line. The formats read here
 * name their columns with keys (`actor_location.country_code`, `AuditData`) that contain no
 * quote, comma or line break. So a header whose quotes are damaged is still read: its names are
 * the text between its commas, with every quote removed. The format then checks that it
 * recognises those names, because a damaged header with other names cannot be read.
 */

export interface CsvHeader {
  names: string[];
  /** Description of the damaged quote, set when the names were read without quotes. */
  damage?: string;
}

/** The warning about a header read without its quotes, logged once per input. */
export const DAMAGED_HEADER_MESSAGE =
  'the CSV header row has a damaged quote; its names are read without quotes';

/** Maximum length of the header text that a message shows. */
const MAX_HEADER_TEXT = 160;

/** Reads a header row from its line, which must not start with a byte order mark. */
export function readCsvHeader(line: string): CsvHeader {
  const scanner = new CsvRowScanner();
  const complete = scanner.addLine(line);
  const damage = describeDamage(scanner, complete);
  if (damage === undefined) return { names: scanner.cells };

  const names = line.split(',').map((name) => name.replaceAll('"', '').trim());
  return { names, damage };
}

function describeDamage(scanner: CsvRowScanner, complete: boolean): string | undefined {
  const open = scanner.openValue;
  if (!complete && open) return `a quote at column ${open.quote + 1} that is not closed`;

  const invalid = scanner.invalidQuote;
  if (invalid?.kind === 'opening') return `a quote inside a name at column ${invalid.index + 1}`;
  if (invalid) return `text after a closing quote at column ${invalid.index + 1}`;

  const quoted = scanner.cells.find((name) => name.includes('"'));
  return quoted === undefined ? undefined : `a quote inside the name ${JSON.stringify(quoted)}`;
}

/**
 * Returns the error for a header row that a format does not recognise, with the input's file,
 * the header's line and its text. `reason` describes what the names lack.
 */
export function invalidHeaderError(
  context: ParseContext,
  line: number,
  text: string,
  format: string,
  header: CsvHeader,
  reason: string,
): InputError {
  const damage =
    header.damage === undefined ? '' : `has ${header.damage}, and read without quotes it `;
  const headerText = JSON.stringify(truncate(text, MAX_HEADER_TEXT));
  const message = `not a ${format}: the header row ${damage}${reason} (header: ${headerText})`;
  return new InputError('input.invalid_header', message, { file: context.file, line }, text);
}

/** Logs a header that was read without its quotes, once per logger and input. */
export function warnDamagedHeader(
  context: ParseContext,
  line: number,
  text: string,
  header: CsvHeader,
): void {
  if (!firstCsvWarning(context.logger, context.file, 'header')) return;
  context.logger.warn(DAMAGED_HEADER_MESSAGE, {
    file: context.file,
    line,
    damage: header.damage,
    header: truncate(text, MAX_HEADER_TEXT),
  });
}
