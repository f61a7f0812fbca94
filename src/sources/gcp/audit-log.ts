import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { firstText, isObject, type JsonObject, pick, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';

/**
 * Google Cloud audit logs as Cloud Logging writes them: one `LogEntry` per record with an
 * `AuditLog` in `protoPayload`, `resource`, `severity`, `timestamp` and `logName`, from
 * `gcloud logging read --format=json` (an array), a sink export or one entry per line. Some
 * exports write the top-level keys in lower case (`protopayload`, `logname`). Those records get
 * the standard names beside their own, so that rules see one shape.
 */

export const LOWER_CASE_KEYS: readonly [string, string][] = [
  ['protopayload', 'protoPayload'],
  ['logname', 'logName'],
  ['insertid', 'insertId'],
  ['receivetimestamp', 'receiveTimestamp'],
];

function normalize(value: JsonObject): JsonObject {
  const fields: JsonObject = { ...value };
  for (const [lower, standard] of LOWER_CASE_KEYS) {
    if (fields[standard] === undefined && fields[lower] !== undefined) {
      fields[standard] = fields[lower];
    }
  }
  return fields;
}

/** Keys of which a LogEntry has at least one; Panther's partial test records have only some. */
export const LOG_ENTRY_KEYS: readonly string[] = [
  'protoPayload',
  'resource',
  'logName',
  'timestamp',
  'insertId',
  'operation',
  'severity',
  'jsonPayload',
  'textPayload',
  'methodName',
];

const SERVICE_ACCOUNT = /^[^@\s]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/i;

/** Returns the project of a user-managed service account (`name@project.iam.gserviceaccount.com`). */
export function serviceAccountProject(principal: string | undefined): string | undefined {
  if (principal === undefined) return undefined;
  return SERVICE_ACCOUNT.exec(principal)?.[1]?.toLowerCase();
}

function delegationChain(payload: unknown): string[] {
  const found: string[] = [];
  const chain = pick(payload, 'metadata', 'identityDelegationChain');
  if (Array.isArray(chain))
    for (const item of chain) if (typeof item === 'string') found.push(item);
  const delegation = pick(payload, 'authenticationInfo', 'serviceAccountDelegationInfo');
  if (Array.isArray(delegation)) {
    for (const item of delegation) {
      const principal = firstText(
        pick(item, 'firstPartyPrincipal', 'principalEmail'),
        pick(item, 'principalSubject'),
      );
      if (principal !== undefined) found.push(principal);
    }
  }
  return found.map((item) => item.replace(/^projects\/-\/serviceAccounts\//, ''));
}

function gcpCore(fields: JsonObject): EventCore {
  const payload = fields.protoPayload;
  const core: EventCore = {};
  const actor = firstText(
    pick(payload, 'authenticationInfo', 'principalEmail'),
    pick(payload, 'authenticationInfo', 'principalSubject'),
  );
  if (actor !== undefined) core.actor = actor;
  const identities = delegationChain(payload).filter((name) => name !== actor);
  if (identities.length > 0) core.identities = identities;
  const address = firstText(
    pick(payload, 'requestMetadata', 'callerIp'),
    pick(payload, 'requestMetadata', 'callerIP'),
  );
  if (address !== undefined) core.srcIp = address;
  const resource = firstText(pick(payload, 'resourceName'));
  if (resource !== undefined) core.target = resource;
  const method = firstText(pick(payload, 'methodName'), fields.methodName);
  if (method !== undefined) core.action = method;
  const project = serviceAccountProject(actor);
  if (project !== undefined) core.cloudAccount = project;
  const status = pick(payload, 'status', 'code');
  if (typeof status === 'number') core.outcome = status === 0 ? 'success' : 'failure';
  return core;
}

function gcpSummary(fields: JsonObject, core: EventCore): string {
  const service = firstText(pick(fields.protoPayload, 'serviceName'));
  const parts = [core.action ?? 'audit entry'];
  if (service) parts.push(`(${service})`);
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  if (core.target) parts.push(`on ${truncate(core.target, 120)}`);
  const project = firstText(pick(fields, 'resource', 'labels', 'project_id'));
  if (project) parts.push(`in ${project}`);
  if (core.outcome === 'failure') parts.push('failed');
  return parts.join(' ');
}

function convert(record: FramedRecord, context: ParseContext): Event {
  const value = record.value;
  if (!isObject(value)) throw new RecordError('unexpected_shape', 'record is not an object');
  const fields = normalize(value);
  if (!LOG_ENTRY_KEYS.some((key) => fields[key] !== undefined)) {
    throw new RecordError('unexpected_shape', 'record has none of the LogEntry keys');
  }
  const { time, timeText } = recordTime(
    [
      fields.timestamp,
      fields.receiveTimestamp,
      pick(fields.protoPayload, 'requestMetadata', 'requestAttributes', 'time'),
      fields.p_event_time,
    ],
    context,
    record.origin,
  );
  const core = gcpCore(fields);
  return {
    time,
    timeText,
    format: 'gcp-audit',
    logsource: { product: 'gcp', service: 'gcp.audit' },
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary: gcpSummary(fields, core),
  };
}

export const gcpAuditFormat: SourceFormat = {
  name: 'gcp-audit',
  description: 'Google Cloud audit logs as Cloud Logging LogEntry JSON (protoPayload AuditLog)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value)) return 0;
    const payload = value.protoPayload ?? value.protopayload;
    if (!isObject(payload)) return 0;
    const type = payload['@type'] ?? payload.at_sign_type;
    if (typeof type === 'string' && type.endsWith('google.cloud.audit.AuditLog')) return 1;
    return isObject(value.resource) || payload.methodName !== undefined ? 0.9 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
