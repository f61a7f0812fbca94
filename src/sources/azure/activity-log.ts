import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { firstText, isObject, type JsonObject, pick, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';

/**
 * The Azure Activity Log in its two export shapes, and the other Azure Monitor resource logs
 * that share the first:
 *
 * - diagnostic settings records (storage account, Event Hub, `{"records": […]}`): `time`,
 *   `operationName`, `category`, `resultType`, `callerIpAddress`, `identity.claims`, `properties`;
 * - the REST API and `az monitor activity-log list`: `eventTimestamp`, `caller`, `claims`,
 *   `httpRequest`, and `{value, localizedValue}` objects for `operationName`, `category`,
 *   `status`, `resourceProviderName` and the like.
 *
 * Each `{value, localizedValue}` field of a REST record takes its `value`, as diagnostic records
 * and the Sigma rules write it, and keeps the localized text as `<field>.localizedValue`. A REST
 * record's `status` also becomes `resultType`. Diagnostic records get
 * `resourceProviderName` from their `resourceId`. Records of the Activity Log categories are
 * log source `azure`/`activitylogs`; other categories (`StorageRead`, `kube-audit` …) are
 * `azure`/`resourcelogs`. Entra ID categories (`AuditLogs`, `SignInLogs` …) belong to another
 * format and are not claimed.
 */

const ACTIVITY_CATEGORIES = new Set([
  'administrative',
  'security',
  'servicehealth',
  'alert',
  'recommendation',
  'policy',
  'autoscale',
  'resourcehealth',
]);

const ENTRA_CATEGORIES = new Set([
  'auditlogs',
  'signinlogs',
  'noninteractiveusersigninlogs',
  'serviceprincipalsigninlogs',
  'managedidentitysigninlogs',
  'provisioninglogs',
  'adfssigninlogs',
  'riskyusers',
  'userriskevents',
  'riskyserviceprincipals',
  'serviceprincipalriskevents',
  'microsoftgraphactivitylogs',
  'networkaccesstrafficlogs',
]);

const CLAIM = {
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  tenant: 'http://schemas.microsoft.com/identity/claims/tenantid',
};

function isLocalized(value: unknown): value is { value: unknown; localizedValue?: unknown } {
  if (!isObject(value) || !('value' in value)) return false;
  return Object.keys(value).every((key) => key === 'value' || key === 'localizedValue');
}

function normalize(value: JsonObject): JsonObject {
  const fields: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (isLocalized(item)) {
      fields[key] = item.value;
      if (item.localizedValue !== undefined) fields[`${key}.localizedValue`] = item.localizedValue;
    } else {
      fields[key] = item;
    }
  }
  if (fields.resultType === undefined && typeof fields.status === 'string') {
    fields.resultType = fields.status;
  }
  if (fields.resourceProviderName === undefined && typeof fields.resourceId === 'string') {
    const provider = /\/providers\/([^/]+)/i.exec(fields.resourceId)?.[1];
    if (provider !== undefined) fields.resourceProviderName = provider;
  }
  return fields;
}

/** `203.0.113.5:443` → `203.0.113.5`; IPv6 and bare addresses stay as they are. */
function stripPort(address: string): string {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return match ? (match[1] as string) : address;
}

function azureCore(fields: JsonObject): EventCore {
  const claims = isObject(fields.claims) ? fields.claims : pick(fields, 'identity', 'claims');
  const claim = (name: string) => (isObject(claims) ? claims[name] : undefined);
  const core: EventCore = {};
  const actor = firstText(
    claim(CLAIM.upn),
    fields.caller,
    claim(CLAIM.email),
    claim(CLAIM.name),
    claim('name'),
    typeof fields.identity === 'string' ? fields.identity : undefined,
    claim('appid'),
  );
  if (actor !== undefined) core.actor = actor;
  const address = firstText(fields.callerIpAddress, pick(fields, 'httpRequest', 'clientIpAddress'));
  if (address !== undefined) core.srcIp = stripPort(address);
  const tenant = firstText(claim(CLAIM.tenant), claim('tid'));
  if (tenant !== undefined) core.tenant = tenant;
  const app = firstText(claim('appid'));
  if (app !== undefined) core.app = app;
  const target = firstText(fields.resourceId, fields.uri);
  if (target !== undefined) core.target = target;
  const action = firstText(fields.operationName);
  if (action !== undefined) core.action = action;
  const result = firstText(fields.resultType)?.toLowerCase();
  if (result === 'failed' || result === 'failure') core.outcome = 'failure';
  else if (result === 'success' || result === 'succeeded') core.outcome = 'success';
  return core;
}

function azureSummary(core: EventCore): string {
  const parts = [core.action ?? 'activity'];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  if (core.target) parts.push(`on ${truncate(core.target, 160)}`);
  if (core.outcome === 'failure') parts.push('failed');
  return parts.join(' ');
}

function categoryOf(value: JsonObject): string | undefined {
  const category = isLocalized(value.category) ? value.category.value : value.category;
  return typeof category === 'string' ? category.toLowerCase() : undefined;
}

/** Entra ID writes its own records in the same envelope, with its provider in `resourceId`. */
function isEntraRecord(value: JsonObject): boolean {
  const resource = typeof value.resourceId === 'string' ? value.resourceId.toLowerCase() : '';
  return (
    resource.includes('/providers/microsoft.aadiam') ||
    isObject(pick(value, 'properties', 'initiatedBy'))
  );
}

function convert(record: FramedRecord, context: ParseContext): Event {
  const value = record.value;
  if (!isObject(value) || (value.operationName === undefined && value.category === undefined)) {
    throw new RecordError('unexpected_shape', 'record has neither operationName nor category');
  }
  const fields = normalize(value);
  const { time, timeText } = recordTime(
    [fields.time, fields.eventTimestamp, fields.submissionTimestamp, fields.p_event_time],
    context,
    record.origin,
  );
  const category = categoryOf(value);
  const service =
    category === undefined || ACTIVITY_CATEGORIES.has(category) ? 'activitylogs' : 'resourcelogs';
  const core = azureCore(fields);
  return {
    time,
    timeText,
    format: 'azure-activity',
    logsource: { product: 'azure', service },
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary: azureSummary(core),
  };
}

export const azureActivityFormat: SourceFormat = {
  name: 'azure-activity',
  description:
    'Azure Activity Log (diagnostic records, REST and CLI export) and other Azure Monitor resource logs',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.operationName === undefined) return 0;
    const category = categoryOf(value);
    if (category !== undefined && ENTRA_CATEGORIES.has(category)) return 0;
    if (isEntraRecord(value)) return 0;
    if (value.eventDataId !== undefined && isLocalized(value.operationName)) return 1;
    if (category !== undefined && ACTIVITY_CATEGORIES.has(category)) return 1;
    const hasResource = value.resourceId !== undefined || value.uri !== undefined;
    return hasResource || value.p_log_type === 'Azure.MonitorActivity' ? 0.7 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
