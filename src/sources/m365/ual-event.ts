import type { Event, EventCore, Origin } from '../../model/event.js';
import {
  addNamedValues,
  canonicalKeys,
  clientAddress,
  decodeJsonValues,
  keySpellings,
} from '../json-fields.js';
import { firstText, isObject, type JsonObject, pick, text, truncate } from '../json-shape.js';
import type { RecordTimes } from '../record-time.js';

/**
 * Microsoft 365 unified audit log records in the common schema of the Office 365 Management
 * Activity API, which every M365 source is read into. `CreationTime` is UTC without a zone
 * suffix. The `[{Name, Value}]` lists are also made readable as fields:
 *
 * - `Parameters.<Name>` (Exchange cmdlet parameters: `Parameters.AccessRights`), and
 *   `ParametersText`, the parameters as `-Name Value` text for `contains` tests;
 * - `ModifiedProperties.<Name>.NewValue` and `.OldValue`;
 * - `ExtendedProperties.<Name>`, `OperationProperties.<Name>` and `DeviceProperties.<Name>`,
 *   and `OperationPropertiesText`.
 */

export const M365_PRODUCT = 'm365';

/** Key names of the common schema and the workload schemas, for records exported in lower case. */
export const UAL_KEYS = keySpellings([
  'CreationTime',
  'Id',
  'Operation',
  'OrganizationId',
  'RecordType',
  'ResultStatus',
  'UserKey',
  'UserType',
  'Version',
  'Workload',
  'UserId',
  'ClientIP',
  'ObjectId',
  'Scope',
  'AppAccessContext',
  'Parameters',
  'ExternalAccess',
  'OrganizationName',
  'OriginatingServer',
  'SessionId',
  'AppId',
  'ClientAppId',
  'ClientIPAddress',
  'ClientInfoString',
  'InternalLogonType',
  'LogonType',
  'LogonUserSid',
  'MailboxGuid',
  'MailboxOwnerSid',
  'MailboxOwnerUPN',
  'OperationCount',
  'OperationProperties',
  'Folders',
  'Item',
  'ModifiedProperties',
  'ExtendedProperties',
  'DeviceProperties',
  'Actor',
  'ActorContextId',
  'ActorIpAddress',
  'Target',
  'TargetContextId',
  'ApplicationId',
  'AzureActiveDirectoryEventType',
  'InterSystemsId',
  'IntraSystemId',
  'SupportTicketId',
  'LogonError',
  'ErrorNumber',
  'UserAgent',
  'EventSource',
  'ItemType',
  'ListId',
  'ListItemUniqueId',
  'Site',
  'WebId',
  'SiteUrl',
  'SourceFileName',
  'SourceFileExtension',
  'SourceRelativeUrl',
  'EventData',
  'CorrelationId',
]);

const NAMED_LISTS: [string, string, [string, string?][]][] = [
  ['Parameters', 'Name', [['Value']]],
  ['ExtendedProperties', 'Name', [['Value']]],
  ['OperationProperties', 'Name', [['Value']]],
  ['DeviceProperties', 'Name', [['Value']]],
  [
    'ModifiedProperties',
    'Name',
    [
      ['NewValue', 'NewValue'],
      ['OldValue', 'OldValue'],
    ],
  ],
];

/** Writes a `[{Name, Value}]` list as `-Name Value` text. */
function namedText(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const parts: string[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const name = text(entry.Name);
    if (name === undefined) continue;
    const value = entry.Value;
    parts.push(value === undefined || value === null ? `-${name}` : `-${name} ${String(value)}`);
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function addReadableFields(fields: JsonObject): void {
  for (const [list, nameKey, values] of NAMED_LISTS) {
    addNamedValues(fields, fields[list], list, nameKey, values);
  }
  const parameters = namedText(fields.Parameters);
  if (parameters !== undefined && fields.ParametersText === undefined) {
    fields.ParametersText = parameters;
  }
  const operation = namedText(fields.OperationProperties);
  if (operation !== undefined && fields.OperationPropertiesText === undefined) {
    fields.OperationPropertiesText = operation;
  }
}

function firstDecoded(value: unknown): string | undefined {
  const values = Array.isArray(value) ? value : [value];
  for (const item of values) {
    for (const decoded of decodeJsonValues(item)) {
      const found = text(decoded);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds the partner tenant a partner-relationship record names (`Add partner to company.`). */
function partnerTenant(fields: JsonObject): string | undefined {
  const named = firstDecoded(fields['ModifiedProperties.PartnerTenantId.NewValue']);
  if (named !== undefined) return named;
  const operation = text(fields.Operation) ?? '';
  if (!/partner/i.test(operation)) return undefined;
  const targets = Array.isArray(fields.Target) ? fields.Target : [];
  for (const target of targets) {
    const id = text(pick(target, 'ID'));
    const match = id === undefined ? null : /^TenantId_(.+)$/i.exec(id);
    if (match) return match[1];
  }
  const object = text(fields.ObjectId);
  return object !== undefined && GUID.test(object) ? object : undefined;
}

/**
 * Microsoft's own resource apps (Graph 00000003-0000-0000-c000-000000000000, Exchange Online
 * 00000002-0000-0ff1-ce00-000000000000 …). Records of access through them name the resource in
 * AppId and the app that called it in ClientAppId.
 */
const MICROSOFT_RESOURCE_APP = /^0000000[0-9a-f]-0000-(?:0000-c000|0ff1-ce00)-000000000000$/i;

/** Finds the application a record is about: the one a directory change adds, or the client. */
function recordApp(fields: JsonObject): string | undefined {
  const changed =
    firstDecoded(fields['ModifiedProperties.AppPrincipalId.NewValue']) ??
    firstDecoded(fields['ModifiedProperties.ServicePrincipal.AppId.NewValue']) ??
    firstDecoded(fields['ModifiedProperties.AppId.NewValue']);
  if (changed !== undefined) return changed;

  const app = firstText(fields.AppId);
  const client = firstText(fields.ClientAppId);
  if (app !== undefined && client !== undefined && MICROSOFT_RESOURCE_APP.test(app)) return client;
  return firstText(fields.AppId, fields.ClientAppId, fields.ApplicationId);
}

const SUCCESS = new Set(['succeeded', 'success', 'true', 'partiallysucceeded']);
const FAILURE = new Set(['failed', 'failure', 'false']);

function ualCore(fields: JsonObject): EventCore {
  const core: EventCore = {};
  const actor = firstText(fields.UserId);
  if (actor !== undefined) core.actor = actor;
  const tenant = firstText(fields.ActorContextId, fields.OrganizationId);
  if (tenant !== undefined) core.tenant = tenant;
  const targetTenant = partnerTenant(fields);
  if (targetTenant !== undefined) core.targetTenant = targetTenant;
  const app = recordApp(fields);
  if (app !== undefined) core.app = app;

  const address = clientAddress(
    firstText(fields.ClientIP, fields.ClientIPAddress, fields.ActorIpAddress),
  );
  if (address !== undefined) core.srcIp = address;
  const session = firstText(fields.SessionId, pick(fields.AppAccessContext, 'AADSessionId'));
  if (session !== undefined) core.session = session;

  const target = firstText(
    fields.MailboxOwnerUPN,
    fields['Parameters.Identity'],
    fields['Parameters.Mailbox'],
    fields.ObjectId,
  );
  if (target !== undefined) core.target = target;
  const operation = firstText(fields.Operation);
  if (operation !== undefined) core.action = operation;

  // A failed sign-in is UserLoginFailed, whose ResultStatus reports the audit as a success.
  const status = text(fields.ResultStatus)?.toLowerCase();
  if (operation === 'UserLoginFailed') core.outcome = 'failure';
  else if (status !== undefined && SUCCESS.has(status)) core.outcome = 'success';
  else if (status !== undefined && FAILURE.has(status)) core.outcome = 'failure';
  return core;
}

function ualSummary(fields: JsonObject, core: EventCore): string {
  const parts = [core.action ?? 'audit record'];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const parameters = text(fields.ParametersText);
  if (parameters !== undefined) parts.push(truncate(parameters, 160));
  else if (core.target) parts.push(`on ${truncate(core.target, 120)}`);
  const count = text(fields.OperationCount);
  if (count !== undefined) parts.push(`(${count} items)`);
  if (core.outcome === 'failure') parts.push('(failed)');
  return parts.join(' ');
}

/**
 * Builds the Event of a record in the Management Activity API schema. `timeFields` names the
 * fields that hold its time, best first, for exports that keep it elsewhere than CreationTime.
 */
export function ualEvent(
  format: string,
  input: JsonObject,
  origin: Origin,
  times: RecordTimes,
  timeFields: readonly string[] = ['CreationTime'],
): Event {
  const fields: JsonObject = { ...canonicalKeys(input, UAL_KEYS) };
  const { time, text: timeText } = times.read(
    timeFields.map((name) => fields[name]),
    origin,
  );
  addReadableFields(fields);
  const core = ualCore(fields);
  return {
    time,
    timeText,
    format,
    logsource: { product: M365_PRODUCT, service: 'audit' },
    fields,
    core,
    extra: {},
    origin,
    summary: ualSummary(fields, core),
  };
}

/** True when an object looks like a record of the common schema. */
export function looksLikeUal(value: unknown): value is JsonObject {
  if (!isObject(value)) return false;
  const record = canonicalKeys(value, UAL_KEYS);
  return (
    record.CreationTime !== undefined &&
    record.Operation !== undefined &&
    (record.Workload !== undefined ||
      record.RecordType !== undefined ||
      record.OrganizationId !== undefined)
  );
}
