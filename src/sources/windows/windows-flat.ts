import { RecordError } from '../../model/errors.js';
import type { Origin } from '../../model/event.js';
import { parseAnyTime, parseIsoTime, RepeatedTimeReader } from '../../model/time.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { isValidTime, type RecordTime, recordTime } from '../record-time.js';
import { windowsEventAt, windowsEventSummary } from './fields.js';

/**
 * Windows events in the flat shape of NXLog `im_msvistalog` shipped through Logstash, and of
 * Log Analytics `SecurityEvent` / `Event` table exports: `EventID`, `Channel`, `Hostname` or
 * `Computer`, and the event's data fields at the top level. The standard Windows names are added
 * where the shape uses others (`Computer` from `Hostname`, `Provider_Name` from `SourceName`),
 * and every original field stays as it is.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;

/** Fields that may carry the event time, in order of preference. */
const TIME_FIELDS = ['TimeCreated', 'TimeGenerated', 'UtcTime', '@timestamp', 'EventTime'];

// One reader per time field, so that each remembers the last text of its own field. A reader
// keeps only that text and its time, so the readers serve every input of the thread.
const eventTimes = new RepeatedTimeReader(parseIsoTime);
const receivedTimes = new RepeatedTimeReader(parseIsoTime);
const stampTimes = new RepeatedTimeReader(parseIsoTime);
const fieldTimes = new RepeatedTimeReader(parseAnyTime);

/**
 * NXLog writes `EventTime` in the collector's local time without a zone, and `@timestamp` (the
 * Logstash receive time, UTC) beside `EventReceivedTime` (the same instant, local). Their
 * difference, rounded to a quarter hour, is the zone offset, which turns `EventTime` into UTC.
 * The time text stays `EventTime` as written. Returns undefined when one of the three is missing
 * or unreadable.
 */
export function flatEventTime(fields: Record<string, unknown>): RecordTime | undefined {
  const eventTime = fields.EventTime;
  if (typeof eventTime !== 'string') return undefined;
  const received = fields.EventReceivedTime;
  if (typeof received !== 'string') return undefined;
  const stamp = fields['@timestamp'];
  if (typeof stamp !== 'string') return undefined;

  const offset = receivedTimes.read(received) - stampTimes.read(stamp);
  if (!Number.isFinite(offset)) return undefined;
  const rounded = Math.round(offset / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const time = eventTimes.read(eventTime) - rounded;
  if (!Number.isFinite(time)) return undefined;
  return { time, timeText: eventTime };
}

/**
 * Reads the event time: the NXLog local time made UTC, else the first time field that reads as
 * a time. Each field is parsed once, because this runs for every record.
 */
function flatRecordTime(
  fields: Record<string, unknown>,
  origin: Origin,
  context: ParseContext,
): RecordTime {
  const converted = flatEventTime(fields);
  if (converted) return converted;

  for (const name of TIME_FIELDS) {
    const value = fields[name];
    if (value === undefined) continue;
    const time = typeof value === 'string' ? fieldTimes.read(value) : parseAnyTime(value);
    if (!Number.isFinite(time)) continue;
    if (isValidTime(time)) return { time, timeText: String(value) };
    // A readable time out of range: the general rule picks a later field or rejects the record.
    return recordTime([value, ...timeValues(fields)], context, origin);
  }
  // The raw fields, so that an unreadable time is named when none is readable.
  return recordTime(timeValues(fields), context, origin);
}

function timeValues(fields: Record<string, unknown>): unknown[] {
  return TIME_FIELDS.map((name) => fields[name]);
}

function convert(record: FramedRecord, context: ParseContext) {
  const value = record.value;
  if (!isObject(value) || value.EventID === undefined) {
    throw new RecordError('unexpected_shape', 'record has no top-level EventID');
  }

  // The parsed record belongs to this event alone, so the standard names are added in place.
  const fields = value;
  if (fields.Computer === undefined) {
    const hostname = fields.Hostname;
    if (hostname !== undefined) fields.Computer = hostname;
  }
  if (fields.Provider_Name === undefined) {
    const provider = fields.SourceName ?? fields.ProviderName ?? fields.EventSourceName;
    if (provider !== undefined) fields.Provider_Name = provider;
  }
  if (fields.EventRecordID === undefined && fields.RecordNumber !== undefined) {
    fields.EventRecordID = fields.RecordNumber;
  }

  const time = flatRecordTime(fields, record.origin, context);
  return windowsEventAt('windows-flat', fields, time, record.origin);
}

export const windowsFlatFormat: SourceFormat = {
  name: 'windows-flat',
  description: 'Windows events in the flat NXLog/Logstash or Log Analytics SecurityEvent shape',
  framing: 'json',
  // Fields are the record's own, plus standard names that copy other fields' values.
  textHoldsValues: true,
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.EventID === undefined) return 0;
    const hasHost = value.Hostname !== undefined || value.Computer !== undefined;
    const hasChannel = value.Channel !== undefined || value.SourceName !== undefined;
    return hasHost && hasChannel ? 0.9 : 0;
  },
  summarize: windowsEventSummary,
  createParser: (context) => statelessParser(convert, context),
};
