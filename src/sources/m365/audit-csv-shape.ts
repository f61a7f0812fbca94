import type { RowShape } from '../csv-row-shape.js';
import { isObject } from '../json-shape.js';
import { isCreationDate } from './creation-date.js';

/**
 * The cells that distinguish a row of a Microsoft 365 audit log CSV export from the lines of a
 * quoted value: a `CreationDate` (see `isCreationDate`), an `Operation` (Purview) or `Operations`
 * (Export-Csv) name, and an `AuditData` cell that is a JSON object. Inside the quoted AuditData
 * cell the JSON's quotes are doubled, so a line of it rarely reads as such a row.
 */

/** An operation name: `MailItemsAccessed`, `Set-Mailbox`, `Add member to role.` */
const OPERATION_PATTERN = /^[A-Za-z][^"{}[\]]{0,199}$/;

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
