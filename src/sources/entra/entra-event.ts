import type { Event, EventCore, Origin } from '../../model/event.js';
import { canonicalKeys, keySpellings } from '../json-fields.js';
import { firstText, isObject, type JsonObject } from '../json-shape.js';
import type { RecordTimes } from '../record-time.js';
import { addAuditFields, auditCore, auditSummary } from './entra-audit.js';
import { signInCore, signInSummary } from './entra-signin.js';

/**
 * The one record shape every Entra ID source is read into: the Azure Monitor diagnostic record
 * (`time`, `category`, `operationName`, `resultType`, `callerIpAddress`, `correlationId`,
 * `tenantId`, and the Graph object under `properties`), which the public Sigma rules for
 * `product: azure` name their fields after. Graph and Log Analytics exports are converted to it
 * by their formats; the Sigma log source service follows from the category.
 */

export const ENTRA_PRODUCT = 'azure';

export type EntraService = 'signinlogs' | 'auditlogs' | 'riskdetection';

const SERVICE_BY_CATEGORY = new Map<string, EntraService>([
  ['signinlogs', 'signinlogs'],
  ['noninteractiveusersigninlogs', 'signinlogs'],
  ['serviceprincipalsigninlogs', 'signinlogs'],
  ['managedidentitysigninlogs', 'signinlogs'],
  ['adfssigninlogs', 'signinlogs'],
  ['aadnoninteractiveusersigninlogs', 'signinlogs'],
  ['aadserviceprincipalsigninlogs', 'signinlogs'],
  ['aadmanagedidentitysigninlogs', 'signinlogs'],
  ['auditlogs', 'auditlogs'],
  ['userriskevents', 'riskdetection'],
  ['riskyusers', 'riskdetection'],
  ['serviceprincipalriskevents', 'riskdetection'],
  ['riskyserviceprincipals', 'riskdetection'],
  ['aaduserriskevents', 'riskdetection'],
  ['aadriskyusers', 'riskdetection'],
]);

/** Categories of the diagnostic settings of Entra ID, lower-cased. */
export function isEntraCategory(category: unknown): boolean {
  return typeof category === 'string' && SERVICE_BY_CATEGORY.has(category.toLowerCase());
}

/** True when a Graph object is a sign-in record rather than a directory audit. */
export function looksLikeSignIn(properties: JsonObject): boolean {
  return (
    properties.createdDateTime !== undefined &&
    (properties.status !== undefined ||
      properties.userPrincipalName !== undefined ||
      properties.appId !== undefined)
  );
}

/** True when a Graph object is a directory audit record. */
export function looksLikeAudit(properties: JsonObject): boolean {
  return properties.activityDisplayName !== undefined && properties.initiatedBy !== undefined;
}

/** Finds the service of a record: its category decides, then the shape of its properties. */
export function entraService(category: unknown, properties: JsonObject): EntraService | undefined {
  const known =
    typeof category === 'string' ? SERVICE_BY_CATEGORY.get(category.toLowerCase()) : undefined;
  if (known !== undefined) return known;
  if (looksLikeAudit(properties)) return 'auditlogs';
  if (looksLikeSignIn(properties)) return 'signinlogs';
  if (properties.riskEventType !== undefined) return 'riskdetection';
  return undefined;
}

/** Top-level keys of a diagnostic record, as Azure Monitor spells them. */
export const DIAGNOSTIC_KEYS = keySpellings([
  'time',
  'resourceId',
  'operationName',
  'operationVersion',
  'category',
  'tenantId',
  'resultType',
  'resultSignature',
  'resultDescription',
  'durationMs',
  'callerIpAddress',
  'correlationId',
  'identity',
  'Level',
  'location',
  'properties',
]);

/** Builds the Event of a record in the diagnostic shape. */
export function entraEvent(
  format: string,
  input: JsonObject,
  origin: Origin,
  times: RecordTimes,
): Event {
  const record = canonicalKeys(input, DIAGNOSTIC_KEYS);
  const properties = isObject(record.properties) ? record.properties : {};
  const category = firstText(record.category);
  const service = entraService(category, properties);

  // The time of the sign-in or change itself comes first; `time` is when it was logged.
  const candidates =
    service === 'signinlogs'
      ? [properties.createdDateTime, record.time]
      : [properties.activityDateTime, properties.detectedDateTime, record.time];
  const when = times.read(candidates, origin);

  const fields: JsonObject = { ...record };
  let core: EventCore;
  let summary: string;
  if (service === 'signinlogs') {
    core = signInCore(properties, record, category);
    summary = signInSummary(properties, core);
  } else if (service === 'auditlogs') {
    addAuditFields(fields, properties);
    core = auditCore(fields, properties, record);
    summary = auditSummary(fields, properties, core);
  } else {
    core = otherCore(properties, record);
    summary = `${core.action ?? category ?? 'Entra ID record'}${core.actor ? ` ${core.actor}` : ''}`;
  }

  return {
    time: when.time,
    timeText: when.text,
    format,
    logsource: service ? { product: ENTRA_PRODUCT, service } : { product: ENTRA_PRODUCT },
    fields,
    core,
    extra: {},
    origin,
    summary,
  };
}

/** Risk detections and records of other categories: the user, address and operation. */
function otherCore(properties: JsonObject, record: JsonObject): EventCore {
  const core: EventCore = {};
  const actor = firstText(properties.userPrincipalName, properties.userId, record.identity);
  if (actor !== undefined) core.actor = actor;
  const address = firstText(properties.ipAddress, record.callerIpAddress);
  if (address !== undefined) core.srcIp = address;
  const action = firstText(properties.riskEventType, record.operationName);
  if (action !== undefined) core.action = action;
  const tenant = firstText(record.tenantId);
  if (tenant !== undefined) core.tenant = tenant;
  return core;
}
