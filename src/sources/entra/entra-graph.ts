import { RecordError } from '../../model/errors.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { firstText, isObject, type JsonObject, pick } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { entraEvent, looksLikeAudit, looksLikeSignIn } from './entra-event.js';

/**
 * Entra ID records as Microsoft Graph returns them: `auditLogs/signIns` and
 * `auditLogs/directoryAudits` (v1.0 or beta), in `{"value": [...]}` pages, newest first, or one
 * object per line. Each object becomes the `properties` of a diagnostic-shaped record, so that
 * rules and chains name the same fields whichever way the records were exported.
 */

function signInCategory(signIn: JsonObject): string {
  const types = Array.isArray(signIn.signInEventTypes)
    ? signIn.signInEventTypes.map((type) => String(type).toLowerCase())
    : [];
  if (types.includes('serviceprincipal')) return 'ServicePrincipalSignInLogs';
  if (types.includes('managedidentity')) return 'ManagedIdentitySignInLogs';
  if (types.includes('noninteractiveuser')) return 'NonInteractiveUserSignInLogs';
  if (types.includes('interactiveuser')) return 'SignInLogs';
  return signIn.isInteractive === false ? 'NonInteractiveUserSignInLogs' : 'SignInLogs';
}

function fromSignIn(signIn: JsonObject): JsonObject {
  const record: JsonObject = {
    time: signIn.createdDateTime,
    category: signInCategory(signIn),
    operationName: 'Sign-in activity',
  };
  const code = pick(signIn, 'status', 'errorCode');
  if (code !== undefined && code !== null) record.resultType = String(code);
  const reason = pick(signIn, 'status', 'failureReason');
  if (reason !== undefined) record.resultDescription = reason;
  const extra: [string, unknown][] = [
    ['callerIpAddress', signIn.ipAddress],
    ['correlationId', signIn.correlationId],
    ['tenantId', signIn.resourceTenantId],
    ['identity', signIn.userDisplayName ?? signIn.servicePrincipalName],
    ['location', pick(signIn, 'location', 'countryOrRegion')],
  ];
  for (const [key, value] of extra) if (value !== undefined && value !== null) record[key] = value;
  record.properties = signIn;
  return record;
}

function fromAudit(audit: JsonObject): JsonObject {
  const record: JsonObject = {
    time: audit.activityDateTime,
    category: 'AuditLogs',
    operationName: audit.activityDisplayName,
  };
  const address = pick(audit, 'initiatedBy', 'user', 'ipAddress');
  const identity = firstText(
    pick(audit, 'initiatedBy', 'user', 'userPrincipalName'),
    pick(audit, 'initiatedBy', 'app', 'displayName'),
  );
  const extra: [string, unknown][] = [
    ['callerIpAddress', address],
    ['correlationId', audit.correlationId],
    ['identity', identity],
  ];
  for (const [key, value] of extra) if (value !== undefined && value !== null) record[key] = value;
  record.properties = audit;
  return record;
}

function convert(record: FramedRecord, times: RecordTimes) {
  const value = record.value;
  if (!isObject(value)) throw new RecordError('unexpected_shape', 'record is not a JSON object');
  if (looksLikeAudit(value))
    return entraEvent('entra-graph', fromAudit(value), record.origin, times);
  if (looksLikeSignIn(value))
    return entraEvent('entra-graph', fromSignIn(value), record.origin, times);
  throw new RecordError(
    'unexpected_shape',
    'record is neither a Graph signIn (createdDateTime, status) nor a directoryAudit (activityDisplayName, initiatedBy)',
  );
}

export const entraGraphFormat: SourceFormat = {
  name: 'entra-graph',
  description:
    'Microsoft Entra ID sign-ins and directory audits as Microsoft Graph returns them ({"value": [...]})',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    // A directoryAudit has a category of its own (UserManagement); a diagnostic record nests
    // the Graph object under properties.
    if (!isObject(value) || value.properties !== undefined) return 0;
    if (looksLikeAudit(value) && value.activityDateTime !== undefined) return 1;
    if (value.category !== undefined) return 0;
    return looksLikeSignIn(value) && value.userPrincipalName !== undefined ? 1 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
