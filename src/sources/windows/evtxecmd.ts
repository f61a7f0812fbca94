import { RecordError } from '../../model/errors.js';
import { parseAnyTime } from '../../model/time.js';
import type { RowShape } from '../csv-row-shape.js';
import type { FramedRecord, ParseContext, RecordParser, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { headerCsvParser, sampleHeaderNames } from '../header-csv.js';
import { parseJsonText } from '../json-fields.js';
import { isObject, type JsonObject } from '../json-shape.js';
import { isValidTime } from '../record-time.js';
import { flattenWindows, type WindowsSystem, windowsEvent } from './fields.js';
import { readEventData, readUserData } from './tree.js';

/**
 * Windows events as Eric Zimmerman's EvtxECmd writes them, with `--csv` (a header row, then one
 * event per row) or `--json` (one object per line), as KAPE collections produce them. Both have
 * the columns `RecordNumber, EventRecordId, TimeCreated, EventId, Level, Provider, Channel,
 * ProcessId, ThreadId, Computer, ChunkNumber, UserId, MapDescription, UserName, RemoteHost,
 * PayloadData1` to `PayloadData6`, `ExecutableInfo, HiddenRecord, SourceFile, Keywords,
 * ExtraDataOffset, Payload`. `Payload` is the event's XML data as JSON text, such as
 * `{"EventData": {"Data": [{"@Name": "SubjectUserName", "#text": "alice"}, …]}}`.
 *
 * Each event gets the flat Windows field names that rules read, as the XML and JSON readers
 * give them (`evtxecmdFields`). `Level` and `Keywords`, which EvtxECmd writes as names
 * (`Info`, `Audit success`), become the numbers and masks that the event XML has. `TimeCreated`
 * is UTC without a zone suffix.
 */

const CSV_FORMAT = 'evtxecmd-csv';
const JSON_FORMAT = 'evtxecmd-json';
const FORMAT_TITLE = 'EvtxECmd CSV output';

/** Columns that detection requires, in the export's spelling. */
const REQUIRED_COLUMNS = ['EventRecordId', 'TimeCreated', 'EventId', 'Channel', 'Payload'];

/** Columns that only EvtxECmd writes beside those, one of which detection requires too. */
const OWN_COLUMNS = ['MapDescription', 'ChunkNumber', 'PayloadData1', 'ExtraDataOffset'];

function namesColumns(names: readonly string[]): boolean {
  const columns = new Set(names);
  return (
    REQUIRED_COLUMNS.every((name) => columns.has(name)) &&
    OWN_COLUMNS.some((name) => columns.has(name))
  );
}

/** Columns whose values are the event's System values, read as the XML readers read them. */
const SYSTEM_COLUMNS = new Set([
  'EventId',
  'EventRecordId',
  'Provider',
  'ProcessId',
  'ThreadId',
  'Channel',
  'Computer',
  'UserId',
  'Level',
  'Keywords',
  'TimeCreated',
]);

/** Level names that EvtxECmd writes, and the numbers that the event XML and the rules use. */
const LEVELS: Record<string, number> = {
  logalways: 0,
  critical: 1,
  error: 2,
  warning: 3,
  info: 4,
  information: 4,
  verbose: 5,
};

/** Keyword names that EvtxECmd writes for the standard masks, and those masks as XML has them. */
const KEYWORDS: Record<string, string> = {
  'audit success': '0x8020000000000000',
  'audit failure': '0x8010000000000000',
  classic: '0x80000000000000',
};

function cellText(value: unknown): string | number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return undefined;
  return value;
}

function systemOf(row: JsonObject): WindowsSystem {
  const system: WindowsSystem = {};
  const set = <K extends keyof WindowsSystem>(key: K, value: unknown) => {
    const text = cellText(value);
    if (text !== undefined) system[key] = text as WindowsSystem[K];
  };
  set('eventId', row.EventId);
  set('eventRecordId', row.EventRecordId);
  set('providerName', row.Provider);
  set('processId', row.ProcessId);
  set('threadId', row.ThreadId);
  set('channel', row.Channel);
  set('computer', row.Computer);
  set('userId', row.UserId);
  set('timeCreated', row.TimeCreated);
  const level = cellText(row.Level);
  if (level !== undefined) system.level = LEVELS[String(level).toLowerCase()] ?? level;
  const keywords = cellText(row.Keywords);
  if (keywords !== undefined)
    system.keywords = KEYWORDS[String(keywords).toLowerCase()] ?? keywords;
  return system;
}

/**
 * Builds the flat Windows fields of one EvtxECmd row. The payload's data is read as the XML
 * readers read `EventData` and `UserData` (named values, unnamed ones as `Data`). EvtxECmd's own
 * columns are added where the data has no value of that name. The System values go under their
 * Windows names, and a data value of such a name moves to `EventData.<name>`. A `Payload` that
 * is not JSON is kept as `PayloadText`, so that keyword rules still read it.
 */
export function evtxecmdFields(row: JsonObject): JsonObject {
  const payload = parseJsonText(row.Payload);
  let data: JsonObject = {};
  if (isObject(payload)) {
    if (payload.EventData !== undefined) data = readEventData(payload.EventData);
    if (payload.UserData !== undefined) data = { ...data, ...readUserData(payload.UserData) };
  } else if (typeof payload === 'string' && payload !== '') {
    data.PayloadText = payload;
  }
  for (const [name, value] of Object.entries(row)) {
    if (name === 'Payload' || SYSTEM_COLUMNS.has(name) || name in data) continue;
    if (value !== '' && value !== null && value !== undefined) data[name] = value;
  }
  const fields = flattenWindows(systemOf(row), data);
  const eventId = Number(fields.EventID);
  if (Number.isInteger(eventId)) fields.EventID = eventId;
  // The text forms of Level and Keywords stay readable beside the numbers.
  if (typeof row.Level === 'string' && row.Level !== '') fields.LevelName = row.Level;
  if (typeof row.Keywords === 'string' && row.Keywords !== '') fields.KeywordsName = row.Keywords;
  return fields;
}

function eventOf(format: string, row: JsonObject, record: FramedRecord, context: ParseContext) {
  if (cellText(row.Channel) === undefined) {
    throw new RecordError('unexpected_shape', 'row has no Channel value');
  }
  if (!/^\d+$/.test(String(cellText(row.EventId) ?? '').trim())) {
    const value = JSON.stringify(row.EventId ?? null);
    throw new RecordError('unexpected_shape', `row has no numeric EventId (${value})`);
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
  return headerCsvParser(context, {
    title: FORMAT_TITLE,
    namesColumns,
    missingColumns: `names no ${REQUIRED_COLUMNS.join(', ')} columns`,
    rowShape,
    // Only the length limit bounds a row: a quoted script block may take many lines.
    maxRowLines: Number.POSITIVE_INFINITY,
    toEvent: (row, origin) => eventOf(CSV_FORMAT, row, { value: row, origin }, context),
  });
}

export const evtxecmdCsvFormat: SourceFormat = {
  name: CSV_FORMAT,
  description:
    'Windows events as EvtxECmd writes them with --csv (the event data as JSON in Payload)',
  framing: 'lines',
  detect(sample) {
    const names = sampleHeaderNames(sample.text);
    return names !== undefined && namesColumns(names) ? 1 : 0;
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
