import { RecordError } from '../../model/errors.js';
import type { Event, EventCore, Origin } from '../../model/event.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { clientAddress, parseJsonText } from '../json-fields.js';
import { firstText, isObject, type JsonObject, text, truncate } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { looksLikeUal, M365_PRODUCT, ualEvent } from './ual-event.js';

/**
 * Microsoft Defender XDR advanced hunting results, one object per row, as the portal's JSON
 * export writes them and the hunting APIs return them (`/api/advancedqueries/run` and Graph
 * `runHuntingQuery`, whose `Results` or `results` array the JSON framing reads). A row has
 * `Timestamp`, `ActionType` and the columns of the tables queried, such as `CloudAppEvents`,
 * `IdentityDirectoryEvents`, `IdentityLogonEvents` and the `Device*` tables.
 *
 * A `CloudAppEvents` row carries the unified audit log record it was made from in
 * `RawEventData`, an object or its JSON text. Such a row is read as that record, in the
 * Management Activity API schema, so that the rules for `product: m365` run on it as on an
 * audit log export. The record also gets the row's `Timestamp`, which its time falls back to. Other rows become `product: m365`, `service: defender` events with their
 * columns as fields, and `AdditionalFields` and `ActivityObjects` parsed when they are text.
 */

export const DEFENDER_SERVICE = 'defender';

/**
 * Columns of advanced hunting tables. A row has `Timestamp` and `ActionType` and one of them,
 * or two of them when its table has no `ActionType`, as `EmailEvents`, `AlertInfo` and
 * `DeviceInfo` have none.
 */
const HUNTING_COLUMNS = [
  'ReportId',
  'DeviceId',
  'DeviceName',
  'AccountObjectId',
  'AccountUpn',
  'InitiatingProcessFileName',
  'AdditionalFields',
  'RawEventData',
  'ActivityObjects',
  'NetworkMessageId',
  'InternetMessageId',
  'AlertId',
  'DetectionSource',
  'ServiceSource',
];

/**
 * Columns that the export writes as JSON text in some tables and as values in others. A query
 * over several tables whose columns of one name differ in type gets one column per type, such
 * as `AdditionalFields_string` and `AdditionalFields_dynamic`.
 */
const JSON_COLUMNS = [
  'AdditionalFields',
  'AdditionalFields_string',
  'ActivityObjects',
  'RawEventData',
  'RawEventData_string',
];

/** Returns why a value is no advanced hunting row, or undefined when it is one. */
function notHuntingRow(value: unknown): string | undefined {
  if (!isObject(value)) return 'record is not a JSON object';
  if (typeof value.Timestamp !== 'string') return 'row has no Timestamp text';
  const columns = HUNTING_COLUMNS.filter((column) => value[column] !== undefined).length;
  if (columns >= (typeof value.ActionType === 'string' ? 1 : 2)) return undefined;
  return `row has too few columns of an advanced hunting table (${HUNTING_COLUMNS.slice(0, 4).join(', ')} …)`;
}

/** Returns the row's unified audit log record, when `RawEventData` contains one. */
function auditRecord(row: JsonObject): JsonObject | undefined {
  for (const column of ['RawEventData', 'RawEventData_dynamic', 'RawEventData_string']) {
    const raw = parseJsonText(row[column]);
    if (!looksLikeUal(raw)) continue;
    const record: JsonObject = { ...raw };
    for (const [key, value] of Object.entries(record)) {
      if (Array.isArray(value)) record[key] = value.map(objectFromText);
    }
    return record;
  }
  return undefined;
}

/**
 * Reads a list entry that the export wrote as PowerShell writes an object, such as
 * `@{Value=Bind; Name=MailAccessType}` in `OperationProperties`, as that object. Any other value
 * is returned as it is.
 *
 * NOTE: a value that contains `; ` is cut there, since the text does not mark where it ends.
 */
function objectFromText(value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith('@{') || !value.endsWith('}')) return value;
  const object: JsonObject = {};
  for (const pair of value.slice(2, -1).split('; ')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return value;
    object[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return object;
}

function account(domain: unknown, name: unknown): string | undefined {
  const user = text(name);
  if (user === undefined) return undefined;
  const realm = text(domain);
  return realm === undefined || user.includes('\\') || user.includes('@')
    ? user
    : `${realm}\\${user}`;
}

function huntingCore(fields: JsonObject): EventCore {
  const core: EventCore = {};
  const actor =
    firstText(fields.AccountUpn) ??
    account(fields.AccountDomain, fields.AccountName) ??
    firstText(fields.InitiatingProcessAccountUpn) ??
    account(fields.InitiatingProcessAccountDomain, fields.InitiatingProcessAccountName) ??
    firstText(
      fields.UserId,
      fields.AccountDisplayName,
      fields.AccountObjectId,
      fields.SenderFromAddress,
    );
  if (actor !== undefined) core.actor = actor;

  const host = firstText(fields.DeviceName);
  if (host !== undefined) core.host = host;
  const address = clientAddress(firstText(fields.IPAddress, fields.RemoteIP));
  if (address !== undefined) core.srcIp = address;
  const target = firstText(
    fields.TargetAccountUpn,
    fields.TargetDeviceName,
    fields.DestinationDeviceName,
    fields.ObjectName,
  );
  if (target !== undefined) core.target = target;

  const action = firstText(fields.ActionType, fields.DeliveryAction, fields.Title);
  if (action !== undefined) core.action = action;
  const app = firstText(fields.ApplicationId, fields.AppId, fields.OAuthAppId);
  if (app !== undefined) core.app = app;
  const session = firstText(fields.LogonId, fields.SessionId);
  if (session !== undefined) core.session = session;
  if (action !== undefined && /failed/i.test(action)) core.outcome = 'failure';
  return core;
}

function huntingSummary(fields: JsonObject, core: EventCore): string {
  const parts = [core.action ?? 'advanced hunting row'];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.host) parts.push(`on ${core.host}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  if (core.target) parts.push(`to ${truncate(core.target, 120)}`);
  const application = text(fields.Application);
  if (application !== undefined) parts.push(`(${application})`);
  return parts.join(' ');
}

function huntingEvent(row: JsonObject, origin: Origin, times: RecordTimes): Event {
  const fields: JsonObject = { ...row };
  for (const column of JSON_COLUMNS) {
    if (typeof fields[column] === 'string') fields[column] = parseJsonText(fields[column]);
  }
  const { time, text: timeText } = times.read([fields.Timestamp], origin);
  const core = huntingCore(fields);
  return {
    time,
    timeText,
    format: 'm365-defender-hunting',
    logsource: { product: M365_PRODUCT, service: DEFENDER_SERVICE },
    fields,
    core,
    extra: {},
    origin,
    summary: huntingSummary(fields, core),
  };
}

function convert(record: FramedRecord, times: RecordTimes): Event {
  const row = record.value as JsonObject;
  const problem = notHuntingRow(row);
  if (problem !== undefined) throw new RecordError('unexpected_shape', problem);
  const audit = auditRecord(row);
  if (audit === undefined) return huntingEvent(row, record.origin, times);
  // The row's Timestamp replaces a CreationTime that cannot be read.
  const timed = audit.Timestamp === undefined ? { ...audit, Timestamp: row.Timestamp } : audit;
  return ualEvent('m365-defender-hunting', timed, record.origin, times, [
    'CreationTime',
    'Timestamp',
  ]);
}

export const m365DefenderHuntingFormat: SourceFormat = {
  name: 'm365-defender-hunting',
  description:
    'Microsoft Defender XDR advanced hunting rows (Timestamp, ActionType); CloudAppEvents rows are read as their unified audit log record',
  framing: 'json',
  detect(sample) {
    return notHuntingRow(sample.firstJson) === undefined ? 1 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
