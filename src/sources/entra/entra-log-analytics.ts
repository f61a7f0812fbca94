import { RecordError } from '../../model/errors.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { parseJsonText } from '../json-fields.js';
import { firstText, isObject, type JsonObject } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { entraEvent, isEntraCategory } from './entra-event.js';

/**
 * Entra ID rows exported from the Log Analytics tables `AuditLogs`, `SigninLogs`,
 * `AADNonInteractiveUserSignInLogs` and `AADServicePrincipalSignInLogs`: PascalCase columns
 * whose nested values are JSON strings (`InitiatedBy`, `TargetResources`, `DeviceDetail`). Every
 * column is kept as exported, and the row is also read into the diagnostic shape (`properties`
 * with the Graph names), so that the same rules match it.
 */

/** Columns that describe the record rather than the sign-in or audit itself. */
const RECORD_COLUMNS = new Set([
  'TenantId',
  'SourceSystem',
  'TimeGenerated',
  'ResourceId',
  'OperationName',
  'OperationVersion',
  'Category',
  'ResultType',
  'ResultSignature',
  'ResultDescription',
  'DurationMs',
  'Resource',
  'ResourceGroup',
  'ResourceProvider',
  'Identity',
  'Level',
  'Location',
  'Type',
  'AADTenantId',
  '_ResourceId',
  '_ItemId',
  '_Internal_WorkspaceResourceId',
]);

/** Columns whose Graph name is not the column name with a lower-case first letter. */
const PROPERTY_NAMES: Record<string, string> = {
  IPAddress: 'ipAddress',
  AADOperationType: 'operationType',
  ProcessingTimeInMs: 'processingTimeInMilliseconds',
  RiskEventTypes_V2: 'riskEventTypes_v2',
  ConditionalAccessPolicies: 'appliedConditionalAccessPolicies',
  LocationDetails: 'location',
  ResourceIdentity: 'resourceId',
  Id: 'id',
};

const LOG_ANALYTICS_TABLES = new Set([
  'auditlogs',
  'signinlogs',
  'aadnoninteractiveusersigninlogs',
  'aadserviceprincipalsigninlogs',
  'aadmanagedidentitysigninlogs',
]);

function propertyName(column: string): string {
  return PROPERTY_NAMES[column] ?? column.charAt(0).toLowerCase() + column.slice(1);
}

/** Reads a row into the diagnostic shape. In AuditLogs, `Category` is the audit category. */
function toDiagnostic(row: JsonObject): JsonObject {
  // Some exports overwrite Type (OTRF rows carry `Application`), so the columns decide too.
  const table = firstText(row.Type) ?? '';
  const isAudit =
    table.toLowerCase() === 'auditlogs' ||
    (row.ActivityDisplayName !== undefined && row.InitiatedBy !== undefined);
  const properties: JsonObject = {};
  for (const [column, value] of Object.entries(row)) {
    if (RECORD_COLUMNS.has(column) && !(isAudit && column === 'Category')) continue;
    properties[propertyName(column)] = parseJsonText(value);
  }
  if (!isAudit && row.Location !== undefined && properties.location === undefined) {
    properties.location = row.Location;
  }

  const record: JsonObject = { ...row };
  const top: [string, unknown][] = [
    ['time', row.TimeGenerated],
    ['category', isAudit ? 'AuditLogs' : signInCategory(table)],
    ['operationName', row.OperationName],
    ['tenantId', row.AADTenantId ?? row.TenantId],
    ['resultType', row.ResultType],
    ['resultSignature', row.ResultSignature],
    ['resultDescription', row.ResultDescription],
    ['correlationId', row.CorrelationId],
    ['durationMs', row.DurationMs],
    ['identity', row.Identity],
    ['callerIpAddress', row.IPAddress],
    ['location', row.Location],
  ];
  for (const [key, value] of top) if (value !== undefined && value !== null) record[key] = value;
  record.properties = properties;
  return record;
}

function signInCategory(table: string): string {
  const lower = table.toLowerCase();
  if (lower === 'aadnoninteractiveusersigninlogs') return 'NonInteractiveUserSignInLogs';
  if (lower === 'aadserviceprincipalsigninlogs') return 'ServicePrincipalSignInLogs';
  if (lower === 'aadmanagedidentitysigninlogs') return 'ManagedIdentitySignInLogs';
  return 'SignInLogs';
}

function convert(record: FramedRecord, times: RecordTimes) {
  if (!isObject(record.value)) {
    throw new RecordError('unexpected_shape', 'record is not a JSON object');
  }
  return entraEvent('entra-log-analytics', toDiagnostic(record.value), record.origin, times);
}

export const entraLogAnalyticsFormat: SourceFormat = {
  name: 'entra-log-analytics',
  description:
    'Microsoft Entra ID rows exported from the Log Analytics AuditLogs and SigninLogs tables',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.properties !== undefined) return 0;
    const table = typeof value.Type === 'string' ? value.Type.toLowerCase() : '';
    if (LOG_ANALYTICS_TABLES.has(table) && value.TimeGenerated !== undefined) return 1;
    const fromAzureAd = value.SourceSystem === 'Azure AD' && value.OperationName !== undefined;
    return fromAzureAd || (isEntraCategory(value.Type) && value.OperationName !== undefined)
      ? 0.9
      : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
