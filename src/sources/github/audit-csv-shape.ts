import { parseAnyTime } from '../../model/time.js';
import type { RowShape } from '../csv-row-shape.js';
import { isValidTime } from '../record-time.js';

/**
 * The cells that distinguish a row of the GitHub audit log CSV export from the lines of a quoted
 * value: an `action` and a readable time, for the columns that the header has.
 */

/** GitHub names actions by category and operation: `repo.create`, `org.config.enable_sso`. */
const ACTION_PATTERN = /^[\w-]+(\.[\w-]+)+$/;

/** Header columns that hold an entry's time; `detect` requires one of them. */
const TIME_COLUMNS = ['@timestamp', 'created_at'];

function isTimeText(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '' && isValidTime(parseAnyTime(text));
}

/**
 * Builds the row shape of an export with this header. A row is an entry's when its action and
 * one of its time cells read as such. When the header has neither an `action` nor a time column,
 * the header's width is enough for a one-line row, and `startsEntry` accepts no line.
 */
export function githubRowShape(header: readonly string[]): RowShape {
  const action = header.indexOf('action');
  const times = TIME_COLUMNS.map((name) => header.indexOf(name)).filter((index) => index >= 0);
  const hasEntryColumns = action >= 0 || times.length > 0;

  // A cell past the end of `cells` fails the test.
  const hasEntryCells = (cells: readonly string[]) => {
    if (action >= 0 && !ACTION_PATTERN.test(cells[action] ?? '')) return false;
    return times.length === 0 || times.some((index) => isTimeText(cells[index]));
  };

  return {
    width: header.length,
    isEntry: hasEntryCells,
    startsEntry: (cells) => hasEntryColumns && hasEntryCells(cells),
  };
}
