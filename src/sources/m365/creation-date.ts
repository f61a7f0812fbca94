import { existingTime, parseAnyTime } from '../../model/time.js';
import { isValidTime } from '../record-time.js';

/**
 * Recognises the `CreationDate` cell of a Microsoft 365 audit log CSV export, which
 * distinguishes a row of the export from a line inside a quoted value. The Purview export writes ISO 8601.
 * Export-Csv writes the exporter's culture (`12/12/2022 3:57:57 PM`, `12.12.2022 15:57:57`,
 * `6 mai 2024 09:00:05`). An export saved again by a spreadsheet may keep the date alone
 * (`2024-03-01`, `3/1/2024`, `01.03.2024`, `1 mars 2024`).
 */

/**
 * A time of day as cultures write it: `3:57`, `15:57:57`, `15.57.57`. A date and time is
 * recognised by a time of day and a date's digits beside it, whatever their order and the
 * month's name.
 */
const TIME_OF_DAY = /\d{1,2}[:.]\d\d(?:[:.]\d\d)?/;

/** The start of an ISO 8601 date, which `parseAnyTime` then reads whole. */
const ISO_DATE = /^\d{4}-\d\d-\d\d/;

/**
 * A date of three numbers with one separator: `3/1/2024`, `01.03.2024`, `1-3-2024`, `2024/3/1`,
 * and with a space after each separator, `1. 3. 2024` and `2024. 03. 01.` (hu-HU).
 */
const NUMERIC_DATE = /^(\d{1,4})([./-]) ?(\d{1,2})\2 ?(\d{1,4})\.?$/;

/** A weekday name before a long date: `Friday, March 1, 2024`, `vendredi 1 mars 2024`. */
const WEEKDAY = String.raw`(?:\p{L}+,? )?`;

/**
 * A date with a month name: `1 mars 2024`, `1. März 2024`, `1 de marzo de 2024`, `March 1, 2024`,
 * `01-Mar-2024`, `01-Mar-24`.
 */
const NAMED_MONTH_DATES = [
  new RegExp(String.raw`^${WEEKDAY}(\d{1,2})\.? (?:de )?\p{L}{3,}\.? (?:de )?\d{4}$`, 'u'),
  new RegExp(String.raw`^${WEEKDAY}\p{L}{3,}\.? (\d{1,2}),? \d{4}$`, 'u'),
  /^(\d{1,2})-\p{L}{3,}-(?:\d\d|\d{4})$/u,
];

/** A date with year, month and day marks: `2024年3月1日` (ja-JP, zh-CN), `2024년 3월 1일`. */
const MARKED_DATE = /^(\d{4}) ?[年년] ?(\d{1,2}) ?[月월] ?(\d{1,2}) ?[日일]$/;

/**
 * Tests whether a cell is a CreationDate: an ISO 8601 date or time that `parseAnyTime` reads, a
 * time of day with digits of a date outside it, or a date alone in one of the forms above. The
 * numbers of a date alone must name a day that exists.
 */
export function isCreationDate(text: string | undefined): boolean {
  const trimmed = text?.trim() ?? '';
  if (ISO_DATE.test(trimmed)) return isValidTime(parseAnyTime(trimmed));

  const time = TIME_OF_DAY.exec(trimmed);
  if (time) {
    const date = trimmed.slice(0, time.index) + trimmed.slice(time.index + time[0].length);
    if (/\d/.test(date)) return true;
  }
  return isDateAlone(trimmed);
}

function isDateAlone(text: string): boolean {
  const numeric = NUMERIC_DATE.exec(text);
  if (numeric) {
    const [, first, , second, third] = numeric as unknown as string[];
    return isNumericDate(first as string, Number(second), third as string);
  }

  const marked = MARKED_DATE.exec(text);
  if (marked) return existingDate(Number(marked[1]), Number(marked[2]), Number(marked[3]));

  for (const pattern of NAMED_MONTH_DATES) {
    const day = pattern.exec(text)?.[1];
    if (day !== undefined) return Number(day) >= 1 && Number(day) <= 31;
  }
  return false;
}

/**
 * Tests whether three numbers are a date: year, month and day when the first has four digits,
 * or else day and month in either order before a year of two or four digits.
 */
function isNumericDate(first: string, second: number, third: string): boolean {
  if (first.length === 4) return existingDate(Number(first), second, Number(third));
  if (first.length > 2 || (third.length !== 2 && third.length !== 4)) return false;

  // A two-digit year is read in this century only to check February 29th.
  const year = third.length === 2 ? 2000 + Number(third) : Number(third);
  return existingDate(year, second, Number(first)) || existingDate(year, Number(first), second);
}

function existingDate(year: number, month: number, day: number): boolean {
  return existingTime(year, month, day, 0, 0, 0);
}
