import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { firstText, isObject, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';
import { MACOS_PRODUCT } from './unified-log.js';

/**
 * OpenBSM audit records from macOS as NXLog's `im_bsm` module flattens them, which is also how
 * the Log Analytics custom table `BSMmacOS_CL` stores them. Fields are `EventType` (`AUE_…`),
 * `EventTime` in the Mac's local time without a zone, `Subject*` tokens with user and group
 * names, `Text` and `ReturnErrno`. `EventReceivedTime` carries the collector's offset, which
 * places `EventTime` in UTC. Records are log source `macos`/`bsm`.
 */

/** The audit user id of a process that never logged in (`AU_DEFAUDITID`). */
const UNSET_AUDIT_ID = '4294967295';

/** `2021-01-06T21:20:50.761144-08:00` → -480; undefined without an offset. */
function offsetMinutes(received: unknown): number | undefined {
  if (typeof received !== 'string') return undefined;
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(received.trim());
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

function convert(record: FramedRecord, context: ParseContext): Event {
  const value = record.value;
  if (!isObject(value) || typeof value.EventType !== 'string') {
    throw new RecordError('unexpected_shape', 'record has no EventType');
  }
  const fields = { ...value };
  const offset = offsetMinutes(value.EventReceivedTime);
  const eventTime = typeof value.EventTime === 'string' && offset !== undefined;
  const { time, timeText } = eventTime
    ? recordTime([value.EventTime], context, record.origin, offset)
    : recordTime(
        [value.EventReceivedTime, value.EventTime, value.TimeGenerated],
        context,
        record.origin,
      );

  const core: EventCore = {};
  const auditUser = firstText(value.SubjectAuditID);
  const actor =
    auditUser !== undefined && auditUser !== UNSET_AUDIT_ID
      ? auditUser
      : firstText(value.SubjectUID);
  if (actor !== undefined) core.actor = actor;
  const host = firstText(value['SubjectTerminal.Host']);
  if (host !== undefined && host !== '0.0.0.0') core.srcIp = host;
  const session = firstText(value.SubjectSID);
  if (session !== undefined) core.session = session;
  core.action = value.EventType;
  const result = firstText(value.ReturnErrno);
  if (result !== undefined) core.outcome = result === 'success' ? 'success' : 'failure';

  const detail = firstText(value.Text, value.EventName);
  const parts = [value.EventType, actor ? `by ${actor}` : '', detail ? truncate(detail, 160) : ''];
  if (core.outcome === 'failure') parts.push(`failed: ${result}`);
  return {
    time,
    timeText,
    format: 'macos-bsm',
    logsource: { product: MACOS_PRODUCT, service: 'bsm' },
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary: parts.filter((part) => part !== '').join(' '),
  };
}

export const macosBsmFormat: SourceFormat = {
  name: 'macos-bsm',
  description: 'macOS OpenBSM audit records as NXLog im_bsm flattens them (BSMmacOS_CL)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || typeof value.EventType !== 'string') return 0;
    if (value.SourceModuleType === 'im_bsm') return 1;
    return value.EventType.startsWith('AUE_') && value.SubjectAuditID !== undefined ? 0.9 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
