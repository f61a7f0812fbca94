import { RecordError } from '../../model/errors.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { parseJsonText } from '../json-fields.js';
import { isObject, type JsonObject } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { ualEvent } from './ual-event.js';

/**
 * Microsoft 365 unified audit log rows exported from the Log Analytics `OfficeActivity` table.
 * The table renames some fields (`OfficeWorkload`, `Client_IPAddress`, `Logon_Type`) and stores
 * the lists as JSON strings. Every column is kept, and the common-schema names are added where
 * the row lacks them, so that rules written for the Management Activity API match it.
 */

const RENAMED: [string, string][] = [
  ['OfficeWorkload', 'Workload'],
  ['Client_IPAddress', 'ClientIP'],
  ['ClientIP', 'ClientIP'],
  ['Logon_Type', 'LogonType'],
  ['UserId_', 'UserId'],
  ['OrganizationId_', 'OrganizationId'],
  ['OfficeId', 'Id'],
];

const JSON_COLUMNS = [
  'Parameters',
  'ModifiedProperties',
  'ExtendedProperties',
  'OperationProperties',
  'Folders',
  'Item',
  'Actor',
  'Target',
  'AppAccessContext',
  'DeviceProperties',
];

function toCommonSchema(row: JsonObject): JsonObject {
  const record: JsonObject = { ...row };
  for (const [column, name] of RENAMED) {
    if (record[name] === undefined && row[column] !== undefined) record[name] = row[column];
  }
  for (const column of JSON_COLUMNS) {
    if (typeof record[column] === 'string') record[column] = parseJsonText(record[column]);
  }
  return record;
}

function convert(record: FramedRecord, times: RecordTimes) {
  const value = record.value;
  if (!isObject(value) || value.Operation === undefined) {
    throw new RecordError('unexpected_shape', 'row has no Operation column');
  }
  const row = toCommonSchema(value);
  return ualEvent('m365-office-activity', row, record.origin, times, [
    'TimeGenerated',
    'CreationTime',
  ]);
}

export const m365OfficeActivityFormat: SourceFormat = {
  name: 'm365-office-activity',
  description:
    'Microsoft 365 unified audit log rows exported from the Log Analytics OfficeActivity table',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.Operation === undefined) return 0;
    if (value.Type === 'OfficeActivity') return 1;
    return value.OfficeWorkload !== undefined && value.TimeGenerated !== undefined ? 0.9 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
