import { parseAnyTime } from '../../model/time.js';
import type { RowShape } from '../csv-row-shape.js';
import { isObject } from '../json-shape.js';
import { isValidTime } from '../record-time.js';

/**
 * The cells that distinguish a row of a Microsoft 365 audit log CSV export from the lines of a
 * quoted value: a readable `CreationDate`, an `Operation` (Purview) or `Operations` (Export-Csv)
 * name, and an `AuditData` cell that is a JSON object. Inside the quoted AuditData cell the
 * JSON's quotes are doubled, so a line of it never reads as such a row.
 */

/**
 * A time of day as cultures write it: `3:57`, `15:57:57`, `15.57.57`. Export-Csv writes the
 * CreationDate in the exporter's culture (`12/12/2022 3:57:57 PM`, `12.12.2022 15:57:57`,
 * `6 mai 2024 09:00:05`). So a date and time is recognised by a time of day and a date's
 * digits beside it, whatever their order and the month's name.
 */
const TIME_OF_DAY = /\d{1,2}[:.]\d\d(?:[:.]\d\d)?/;

/** The start of an ISO 8601 date, which `parseAnyTime` then reads whole. */
const ISO_DATE = /^\d{4}-\d\d-\d\d/;

/** An operation name: `MailItemsAccessed`, `Set-Mailbox`, `Add member to role.` */
const OPERATION_PATTERN = /^[A-Za-z][^"{}[\]]{0,199}$/;

/**
 * Tests whether a cell is a CreationDate: an ISO 8601 time (Purview) that `parseAnyTime` reads,
 * or a time of day with digits of a date outside it.
 * NOTE: a CreationDate without a time of day, or with no digits in its date, is not one, so such
 * a row does not end a value that a stray quote left open. The quote of its AuditData then does.
 */
function isCreationDate(text: string | undefined): boolean {
  const trimmed = text?.trim() ?? '';
  if (ISO_DATE.test(trimmed)) return isValidTime(parseAnyTime(trimmed));

  const time = TIME_OF_DAY.exec(trimmed);
  if (!time) return false;
  const date = trimmed.slice(0, time.index) + trimmed.slice(time.index + time[0].length);
  return /\d/.test(date);
}

/**
 * A line from inside a pretty-printed AuditData: indented, or a closing bracket at its start. A
 * row starts with its first cell, an id (`RecordId`, `RunspaceId`), quoted or not.
 */
const VALUE_LINE = /^(\s|[}\]])/;

function isJsonObject(text: string | undefined): boolean {
  const trimmed = text?.trim() ?? '';
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return false;
  try {
    return isObject(JSON.parse(trimmed));
  } catch {
    return false;
  }
}

/**
 * Builds the row shape of an export with this header, whose names are matched without regard to
 * case. A column that the header lacks is not tested. A line whose value spans lines starts a
 * row when that value is the AuditData cell and opens a JSON object, as a pretty-printed
 * AuditData does, and the cells before it are an entry's.
 */
export function m365RowShape(header: readonly string[]): RowShape {
  const names = header.map((name) => name.trim().toLowerCase());
  const time = names.indexOf('creationdate');
  const operation = names.findIndex((name) => name === 'operation' || name === 'operations');
  const auditData = names.indexOf('auditdata');

  // A cell past the end of `cells` fails the test.
  const hasEntryCells = (cells: readonly string[]) =>
    (time < 0 || isCreationDate(cells[time])) &&
    (operation < 0 || OPERATION_PATTERN.test(cells[operation]?.trim() ?? ''));

  return {
    width: header.length,
    isValueLine: (line) => VALUE_LINE.test(line),
    isEntry: (cells) => hasEntryCells(cells) && (auditData < 0 || isJsonObject(cells[auditData])),
    startsEntry: (cells, value) =>
      cells.length === auditData && value.trimStart().startsWith('{') && hasEntryCells(cells),
  };
}
