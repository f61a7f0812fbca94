import { RecordError } from '../../model/errors.js';
import { parseAnyTime, parseIsoTime } from '../../model/time.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { windowsEvent } from './fields.js';

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

/**
 * NXLog writes `EventTime` in the collector's local time without a zone, and `@timestamp` (the
 * Logstash receive time, UTC) beside `EventReceivedTime` (the same instant, local). Their
 * difference, rounded to a quarter hour, is the zone offset, which turns `EventTime` into UTC.
 */
export function flatEventTime(fields: Record<string, unknown>): unknown {
  const eventTime = fields.EventTime;
  const received = fields.EventReceivedTime;
  const stamp = fields['@timestamp'];
  if (typeof eventTime === 'string' && typeof received === 'string' && typeof stamp === 'string') {
    const offset = parseIsoTime(received) - parseIsoTime(stamp);
    if (Number.isFinite(offset)) {
      const rounded = Math.round(offset / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      const time = parseIsoTime(eventTime) - rounded;
      if (Number.isFinite(time)) return new Date(time).toISOString();
    }
  }
  for (const name of TIME_FIELDS) {
    const value = fields[name];
    if (value !== undefined && Number.isFinite(parseAnyTime(value))) return value;
  }
  return undefined;
}

function convert(record: FramedRecord, context: ParseContext) {
  const value = record.value;
  if (!isObject(value) || value.EventID === undefined) {
    throw new RecordError('unexpected_shape', 'record has no top-level EventID');
  }
  const fields: Record<string, unknown> = { ...value };
  if (fields.Computer === undefined && fields.Hostname !== undefined)
    fields.Computer = fields.Hostname;
  if (fields.Provider_Name === undefined) {
    const provider = fields.SourceName ?? fields.ProviderName ?? fields.EventSourceName;
    if (provider !== undefined) fields.Provider_Name = provider;
  }
  if (fields.EventRecordID === undefined && fields.RecordNumber !== undefined) {
    fields.EventRecordID = fields.RecordNumber;
  }
  // The raw fields follow, so that an unreadable time is named when none is readable.
  const times = [flatEventTime(fields), ...TIME_FIELDS.map((name) => fields[name])];
  return windowsEvent('windows-flat', fields, times, record.origin, context);
}

export const windowsFlatFormat: SourceFormat = {
  name: 'windows-flat',
  description: 'Windows events in the flat NXLog/Logstash or Log Analytics SecurityEvent shape',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.EventID === undefined) return 0;
    const hasHost = value.Hostname !== undefined || value.Computer !== undefined;
    const hasChannel = value.Channel !== undefined || value.SourceName !== undefined;
    return hasHost && hasChannel ? 0.9 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
