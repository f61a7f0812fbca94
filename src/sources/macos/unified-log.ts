import { RecordError } from '../../model/errors.js';
import type { Event, EventCore } from '../../model/event.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { RecordSkip, statelessParser } from '../format.js';
import { firstText, isObject, type JsonObject, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';
import { parseLogMessage } from './log-messages.js';

/**
 * The macOS unified log as `log show --style ndjson` (one entry per line) and `--style json`
 * (one array) write it: `timestamp` in local time with its offset (`2024-03-28 21:12:41.331208
 * +0100`), `eventMessage`, `processImagePath`, `processID`, `subsystem`, `category`, `bootUUID`
 * and the rest as `log` writes them. The messages of sshd, screensharingd, sudo, su, mdmclient
 * and NetAuthSysAgent are parsed into fields (see log-messages.ts). `process` is added: the
 * file name of `processImagePath`. Records are log source `macos`/`unified_log`, and sudo
 * records are also `process_creation` (log source mappings), since sudo logs the command it
 * runs. A configuration profile's identifier is the event's app, so that a party's `apps` in the
 * context file can name the profiles of its MDM.
 */

export const MACOS_PRODUCT = 'macos';

function processName(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The reason given for the summary object that `log show` writes after the last entry. */
export const SUMMARY_SKIP_REASON = 'log show summary';

function convert(record: FramedRecord, context: ParseContext): Event | RecordSkip {
  const value = record.value;
  if (!isObject(value) || typeof value.eventMessage !== 'string') {
    // `log show` ends its output with a summary such as `{"finished":1}`, which is no bad input.
    if (isObject(value) && value.finished !== undefined) return new RecordSkip(SUMMARY_SKIP_REASON);
    throw new RecordError('unexpected_shape', 'record has no eventMessage');
  }
  const fields: JsonObject = { ...value };
  const process = processName(value.processImagePath);
  if (process !== undefined) fields.process = process;
  const parsed = process === undefined ? undefined : parseLogMessage(process, value.eventMessage);
  if (parsed) {
    for (const [name, item] of Object.entries(parsed.fields)) {
      if (fields[name] === undefined) fields[name] = item;
    }
  }
  const { time, timeText } = recordTime([value.timestamp], context, record.origin);

  const core: EventCore = {};
  const user = firstText(fields.User);
  if (user !== undefined) core.actor = user;
  const address = firstText(fields.SourceIp);
  if (address !== undefined) core.srcIp = address;
  const target = firstText(fields.TargetUser, fields.Url, fields.ProfileIdentifier);
  if (target !== undefined) core.target = target;
  if (process !== undefined) core.action = process;
  if (parsed?.outcome) core.outcome = parsed.outcome;
  const profile = firstText(fields.ProfileIdentifier);
  if (profile !== undefined) core.app = profile;

  return {
    time,
    timeText,
    format: 'macos-unified-log',
    logsource: { product: MACOS_PRODUCT, service: 'unified_log' },
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary: `${process ?? 'log'}: ${truncate(value.eventMessage.trim(), 200)}`,
  };
}

export const macosUnifiedLogFormat: SourceFormat = {
  name: 'macos-unified-log',
  description: 'macOS unified log as log show --style ndjson or --style json writes it',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || typeof value.eventMessage !== 'string') return 0;
    const known = ['machTimestamp', 'processImagePath', 'bootUUID', 'traceID', 'senderImagePath'];
    return known.filter((key) => key in value).length >= 2 ? 1 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
