import { RecordError } from '../../model/errors.js';
import { parseAnyTime } from '../../model/time.js';
import { invalidHeaderError, readCsvHeader, warnDamagedHeader } from '../csv-header.js';
import type { RowShape } from '../csv-row-shape.js';
import { type CsvLine, type CsvRow, CsvRowReader } from '../csv-rows.js';
import type {
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom, statelessParser } from '../format.js';
import { parseJsonText } from '../json-fields.js';
import { isObject, type JsonObject } from '../json-shape.js';
import { isValidTime } from '../record-time.js';
import { windowsEvent } from './fields.js';

/**
 * Windows events as Eric Zimmerman's EvtxECmd writes them, with `--csv` (a header row, then one
 * event per row) or `--json` (one object per line), as KAPE collections produce them. Both have
 * the columns `RecordNumber, EventRecordId, TimeCreated, EventId, Level, Provider, Channel,
 * ProcessId, ThreadId, Computer, ChunkNumber, UserId, MapDescription, UserName, RemoteHost,
 * PayloadData1` to `PayloadData6`, `ExecutableInfo, HiddenRecord, SourceFile, Keywords,
 * ExtraDataOffset, Payload`. `Payload` is the event's XML data as JSON text, such as
 * `{"EventData": {"Data": [{"@Name": "SubjectUserName", "#text": "alice"}, …]}}`.
 *
 * Each event gets the flat Windows field names that rules read: `EventID`, `Channel`,
 * `Computer`, `Provider_Name`, `EventRecordID`, and each named `Data` value of the payload under
 * its name. EvtxECmd's own columns stay beside them, under their names, unless the payload has
 * a value of that name. `TimeCreated` is UTC without a zone suffix.
 */

const CSV_FORMAT = 'evtxecmd-csv';
const JSON_FORMAT = 'evtxecmd-json';
const FORMAT_TITLE = 'EvtxECmd CSV output';

/** Columns that detection requires, in the export's spelling. */
const REQUIRED_COLUMNS = ['EventRecordId', 'TimeCreated', 'EventId', 'Channel', 'Payload'];

/** Columns that only EvtxECmd writes beside those, one of which detection requires too. */
const OWN_COLUMNS = ['MapDescription', 'ChunkNumber', 'PayloadData1', 'ExtraDataOffset'];

/** EvtxECmd columns renamed to the names of the Windows event schema. */
const RENAMED: [string, string][] = [
  ['EventId', 'EventID'],
  ['EventRecordId', 'EventRecordID'],
  ['Provider', 'Provider_Name'],
  ['ProcessId', 'ProcessID'],
  ['ThreadId', 'ThreadID'],
];

function namesColumns(names: readonly string[]): boolean {
  const columns = new Set(names);
  return (
    REQUIRED_COLUMNS.every((name) => columns.has(name)) &&
    OWN_COLUMNS.some((name) => columns.has(name))
  );
}

/** Adds the named values of a payload element (`EventData`, `UserData` …) to `fields`. */
function addPayloadValues(element: unknown, fields: JsonObject): void {
  if (!isObject(element)) return;
  const data = element.Data;
  // A payload with one Data element has it as an object rather than a list of one.
  let entries: unknown[] = [];
  if (Array.isArray(data)) entries = data;
  else if (data !== undefined) entries = [data];
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry['@Name'] !== 'string') continue;
    const value = entry['#text'];
    fields[entry['@Name']] = value === undefined || value === null ? '' : value;
  }
  // UserData and some EventData contain elements of their own names instead of Data.
  for (const [key, value] of Object.entries(element)) {
    if (key === 'Data' || key.startsWith('@')) continue;
    if (isObject(value)) addLeaves(value, fields);
    else if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
}

/** Adds the text and number values under an element of `UserData`, by their own names. */
function addLeaves(element: JsonObject, fields: JsonObject): void {
  for (const [key, value] of Object.entries(element)) {
    if (key.startsWith('@')) continue;
    if (isObject(value)) addLeaves(value, fields);
    else if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
}

/** Builds the flat Windows fields of one EvtxECmd row. */
export function evtxecmdFields(row: JsonObject): JsonObject {
  const fields: JsonObject = {};
  for (const [name, value] of Object.entries(row)) {
    if (name !== 'Payload' && value !== '' && value !== null) fields[name] = value;
  }
  for (const [column, name] of RENAMED) {
    if (fields[column] !== undefined) fields[name] = fields[column];
  }
  const eventId = Number(fields.EventID);
  if (Number.isInteger(eventId)) fields.EventID = eventId;

  const payload = parseJsonText(row.Payload);
  if (isObject(payload)) {
    for (const element of Object.values(payload)) addPayloadValues(element, fields);
  }
  return fields;
}

function eventOf(format: string, row: JsonObject, record: FramedRecord, context: ParseContext) {
  if (row.EventId === undefined || row.EventId === '' || row.Channel === undefined) {
    throw new RecordError('unexpected_shape', 'row has no EventId or no Channel value');
  }
  const fields = evtxecmdFields(row);
  return windowsEvent(format, fields, [fields.TimeCreated], record.origin, context);
}

/** Builds the row shape: an event's row has a readable `TimeCreated` and a numeric `EventId`. */
function rowShape(header: readonly string[]): RowShape {
  const time = header.indexOf('TimeCreated');
  const eventId = header.indexOf('EventId');
  const isEntry = (cells: readonly string[]) =>
    /^\d+$/.test(cells[eventId] ?? '') && isValidTime(parseAnyTime(cells[time] ?? ''));
  return { width: header.length, isEntry, startsEntry: isEntry };
}

function createCsvParser(context: ParseContext): RecordParser {
  let header: string[] | undefined;

  const readHeader = (line: string, lineNumber: number) => {
    if (line.trim() === '') return;
    const text = line.replace(/^\uFEFF/, '');
    const read = readCsvHeader(text);
    const names = read.names.map((name) => name.trim());
    if (read.damage !== undefined) {
      if (!namesColumns(names)) {
        const reason = `names no ${REQUIRED_COLUMNS.join(', ')} columns`;
        throw invalidHeaderError(context, lineNumber, text, FORMAT_TITLE, read, reason);
      }
      warnDamagedHeader(context, lineNumber, text, read);
    }
    header = names;
    reader.setHeader(names, rowShape(names));
  };

  const emitRow = ({ cells, lines }: CsvRow, out: ParseOutput) => {
    if (!header) return;
    const first = lines[0] as CsvLine;
    try {
      if (cells.length !== header.length) {
        const text = lines.map((line) => line.text).join('\n');
        throw new RecordError(
          'invalid_csv_row',
          `row has ${cells.length} cells, the header names ${header.length}`,
          undefined,
          text.slice(0, 120),
        );
      }
      const row: JsonObject = {};
      header.forEach((name, index) => {
        row[name] = cells[index] as string;
      });
      out.events.push(eventOf(CSV_FORMAT, row, { value: row, origin: first.origin }, context));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, first.origin));
    }
  };

  const reader = new CsvRowReader({
    context,
    code: 'invalid_csv_row',
    maxRowLines: 1000,
    maxRowLength: context.settings.limits.maxRecordLength,
    strictQuotes: false,
    onRow: emitRow,
    onReject: (rejection, out) => out.rejections.push(rejection),
  });

  return {
    push(record, out) {
      const line = record.value as string;
      if (header) reader.push(line, record.origin, out);
      else readHeader(line, record.origin.line ?? 0);
    },
    end(out) {
      reader.end(out);
    },
  };
}

export const evtxecmdCsvFormat: SourceFormat = {
  name: CSV_FORMAT,
  description:
    'Windows events as EvtxECmd writes them with --csv (the event data as JSON in Payload)',
  framing: 'lines',
  detect(sample) {
    const first = sample.text?.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
    if (first === undefined || first.trimStart().startsWith('{')) return 0;
    return namesColumns(readCsvHeader(first).names.map((name) => name.trim())) ? 1 : 0;
  },
  createParser: createCsvParser,
};

export const evtxecmdJsonFormat: SourceFormat = {
  name: JSON_FORMAT,
  description: 'Windows events as EvtxECmd writes them with --json (one object per line)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    return isObject(value) && namesColumns(Object.keys(value)) ? 1 : 0;
  },
  createParser: (context) =>
    statelessParser((record) => {
      if (!isObject(record.value)) {
        throw new RecordError('unexpected_shape', 'record is not a JSON object');
      }
      return eventOf(JSON_FORMAT, record.value, record, context);
    }, context),
};
