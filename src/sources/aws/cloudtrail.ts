import { isIP } from 'node:net';
import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type {
  DetectSample,
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { recordTime } from '../record-time.js';
import { addExposureFields } from './exposure.js';

/**
 * AWS CloudTrail events, with the field names CloudTrail writes (`eventName`, `eventSource`,
 * `userIdentity.arn`, `requestParameters.…`), as the public Sigma rules for
 * `product: aws, service: cloudtrail` read them. Accepted shapes:
 *
 * - delivered log files, `{"Records": [...]}`, plain or `.json.gz`, alone or in the S3 folder
 *   layout (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…`);
 * - one event per line, also after Logstash (whose records carry `@timestamp` in place of
 *   `eventTime`) or with top-level keys in lower case;
 * - `aws cloudtrail lookup-events` output, `{"Events": [{…, "CloudTrailEvent": "<json>"}]}`,
 *   whose inner event is parsed;
 * - EventBridge deliveries, `{"detail-type": "AWS API Call via CloudTrail", "detail": {…}}`.
 *
 * Derived fields are added under `derived` (see exposure.ts). Digest files are a format of their
 * own that is recognised and skipped.
 */

export const CLOUDTRAIL_FORMAT = 'aws-cloudtrail';
export const AWS_PRODUCT = 'aws';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Top-level keys of a CloudTrail record, as CloudTrail spells them. */
export const CLOUDTRAIL_KEYS: readonly string[] = [
  'eventVersion',
  'userIdentity',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'requestID',
  'eventID',
  'eventType',
  'apiVersion',
  'managementEvent',
  'readOnly',
  'recipientAccountId',
  'eventCategory',
  'errorCode',
  'errorMessage',
  'resources',
  'sharedEventID',
  'vpcEndpointId',
  'tlsDetails',
  'serviceEventDetails',
  'sessionCredentialFromConsole',
];

/** Top-level CloudTrail keys by their lower-case spelling, for records written in lower case. */
const CANONICAL_KEYS = new Map(CLOUDTRAIL_KEYS.map((key) => [key.toLowerCase(), key]));

/** Unwraps the CloudTrail event from a record of any accepted shape. */
function unwrap(value: unknown): Json {
  if (!isObject(value)) throw new RecordError('unexpected_shape', 'record is not a JSON object');
  if (typeof value.CloudTrailEvent === 'string') {
    try {
      const inner = JSON.parse(value.CloudTrailEvent) as unknown;
      if (isObject(inner)) return inner;
    } catch (error) {
      throw new RecordError(
        'invalid_json',
        `CloudTrailEvent is not valid JSON: ${(error as Error).message}`,
      );
    }
    throw new RecordError('unexpected_shape', 'CloudTrailEvent is not a JSON object');
  }
  if (isObject(value.detail) && value.detail.eventName !== undefined) return value.detail;
  return value;
}

function canonicalize(record: Json): Json {
  for (const key of Object.keys(record)) {
    const canonical = CANONICAL_KEYS.get(key);
    if (canonical !== undefined && canonical !== key && !(canonical in record)) {
      record[canonical] = record[key];
      delete record[key];
    }
  }
  return record;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Computes the normalized core: the caller, its account and address, the session and the call. */
export function cloudTrailCore(record: Json): EventCore {
  const core: EventCore = {};
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const context = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isObject(context.sessionIssuer) ? context.sessionIssuer : {};

  const actor =
    text(identity.arn) ??
    (identity.type === 'AWSAccount' ? text(identity.accountId) : undefined) ??
    text(identity.userName) ??
    text(identity.invokedBy) ??
    text(identity.principalId);
  if (actor !== undefined) core.actor = actor;
  const identities = [text(issuer.arn), text(identity.userName)].filter(
    (name): name is string => name !== undefined && name !== actor,
  );
  if (identities.length > 0) core.identities = identities;

  const account = text(identity.accountId);
  if (account !== undefined) core.cloudAccount = account;
  const address = text(record.sourceIPAddress);
  if (address !== undefined && isIP(address) !== 0) core.srcIp = address;
  const session =
    text(identity.accessKeyId) ?? (identity.type === 'AssumedRole' ? actor : undefined);
  if (session !== undefined) core.session = session;

  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  const resources = Array.isArray(record.resources) ? record.resources : [];
  const target =
    text(request.roleArn) ??
    text(request.bucketName) ??
    text(request.userName) ??
    text(request.snapshotId) ??
    (isObject(resources[0]) ? text(resources[0].ARN) : undefined);
  if (target !== undefined) core.target = target;

  const eventName = text(record.eventName);
  if (eventName !== undefined) core.action = eventName;
  core.outcome =
    record.errorCode !== undefined && record.errorCode !== null ? 'failure' : 'success';
  return core;
}

function summary(record: Json, core: EventCore): string {
  const service = text(record.eventSource)?.replace(/\.amazonaws\.com$/, '');
  const parts = [
    service ? `${service}:${record.eventName ?? '?'}` : String(record.eventName ?? '?'),
  ];
  if (core.actor) parts.push(`by ${core.actor}`);
  if (text(record.sourceIPAddress)) parts.push(`from ${record.sourceIPAddress}`);
  if (core.target) parts.push(`on ${core.target}`);
  if (text(record.errorCode)) parts.push(`failed: ${record.errorCode}`);
  return parts.join(' ');
}

function convert(framed: FramedRecord, context: ParseContext): Event {
  const record = canonicalize(unwrap(framed.value));
  if (text(record.eventName) === undefined) {
    throw new RecordError('unexpected_shape', 'record has no eventName');
  }
  const stamps = [record.eventTime, record['@timestamp'], record.p_event_time];
  const { time, timeText } = recordTime(stamps, context, framed.origin);
  addExposureFields(record);
  const core = cloudTrailCore(record);
  return {
    time,
    timeText,
    format: CLOUDTRAIL_FORMAT,
    logsource: { product: AWS_PRODUCT, service: 'cloudtrail' },
    fields: record,
    core,
    extra: {},
    origin: framed.origin,
    summary: summary(record, core),
  };
}

function looksLikeEvent(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (typeof value.CloudTrailEvent === 'string') return true;
  const inner = isObject(value.detail) ? value.detail : value;
  const name = inner.eventName ?? inner.eventname;
  const source = inner.eventSource ?? inner.eventsource;
  return name !== undefined && (source !== undefined || inner.userIdentity !== undefined);
}

/**
 * Tells an empty `{"Records": []}` or `{"Events": []}` document, which the framing passes on
 * whole because it contains no record to split off.
 */
function isEmptyWrapper(value: unknown): boolean {
  if (!isObject(value)) return false;
  const records = value.Records ?? value.Events;
  return Array.isArray(records) && records.length === 0 && value.eventName === undefined;
}

class CloudTrailParser implements RecordParser {
  constructor(private readonly context: ParseContext) {}

  push(record: FramedRecord, out: ParseOutput): void {
    if (isEmptyWrapper(record.value)) return;
    try {
      out.events.push(convert(record, this.context));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, record.origin));
    }
  }

  end(): void {}
}

export const cloudTrailFormat: SourceFormat = {
  name: CLOUDTRAIL_FORMAT,
  description:
    'AWS CloudTrail: delivered {"Records": [...]} files (.json.gz), event lines, lookup-events output',
  framing: 'json',
  detect(sample: DetectSample): number {
    if (looksLikeEvent(sample.firstJson)) return 1;
    // A delivered file may contain no records at all.
    if (sample.text !== undefined && /^\s*\{\s*"Records"\s*:\s*\[/.test(sample.text)) return 0.7;
    return /_CloudTrail_/.test(sample.name) && sample.text?.trimStart().startsWith('{') ? 0.6 : 0;
  },
  createParser: (context) => new CloudTrailParser(context),
};

export const cloudTrailDigestFormat: SourceFormat = {
  name: 'aws-cloudtrail-digest',
  description: 'AWS CloudTrail digest files (hashes of delivered log files): recognised, skipped',
  framing: 'json',
  skip: 'CloudTrail digest file: it holds the hashes and signatures of delivered log files, no events',
  detect(sample: DetectSample): number {
    const value = sample.firstJson;
    if (isObject(value) && value.digestStartTime !== undefined && value.logFiles !== undefined) {
      return 1;
    }
    return /CloudTrail-Digest/.test(sample.name) ? 0.9 : 0;
  },
};
