import { RecordError } from '../../model/errors.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { flattenWindows, type WindowsSystem, windowsEvent, windowsEventSummary } from './fields.js';

/**
 * Windows events as Winlogbeat and Elastic Agent ship them: `winlog.channel`,
 * `winlog.event_id`, `winlog.computer_name`, `winlog.event_data` (and `user_data`). The
 * standard flat Windows names are added beside the original nested fields, which stay readable
 * under their dotted paths (`winlog.event_data.TargetUserName`).
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function pick(object: unknown, ...path: string[]): unknown {
  let node = object;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

function convert(record: FramedRecord, context: ParseContext) {
  const value = record.value;
  if (!isObject(value) || !isObject(value.winlog)) {
    throw new RecordError('unexpected_shape', 'record has no winlog object');
  }
  const winlog = value.winlog;
  const system: WindowsSystem = {};
  const assign = <K extends keyof WindowsSystem>(key: K, item: unknown): void => {
    if (item !== undefined && item !== null) system[key] = item as WindowsSystem[K];
  };
  assign('providerName', winlog.provider_name);
  assign('providerGuid', winlog.provider_guid);
  assign('eventId', winlog.event_id ?? pick(value, 'event', 'code'));
  assign('version', winlog.version);
  assign('level', pick(value, 'log', 'level'));
  assign('task', winlog.task);
  assign('opcode', winlog.opcode);
  assign('keywords', Array.isArray(winlog.keywords) ? winlog.keywords.join(',') : winlog.keywords);
  assign('eventRecordId', winlog.record_id);
  assign('activityId', winlog.activity_id);
  assign('processId', pick(winlog, 'process', 'pid'));
  assign('threadId', pick(winlog, 'process', 'thread', 'id'));
  assign('channel', winlog.channel);
  assign('computer', winlog.computer_name ?? pick(value, 'host', 'name'));
  assign('userId', pick(winlog, 'user', 'identifier'));
  const times = [value['@timestamp'], pick(value, 'event', 'created')];
  const time = times[0] ?? times[1];
  if (typeof time === 'string') system.timeCreated = time;

  const data: Record<string, unknown> = {};
  for (const section of [winlog.user_data, winlog.event_data]) {
    if (isObject(section)) Object.assign(data, section);
  }
  if (typeof value.message === 'string' && !('Message' in data)) data.Message = value.message;

  const fields = { ...value, ...flattenWindows(system, data) };
  return windowsEvent('winlogbeat', fields, times, record.origin, context);
}

export const winlogbeatFormat: SourceFormat = {
  name: 'winlogbeat',
  description: 'Windows events as Winlogbeat / Elastic Agent write them (winlog.*)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    return isObject(value) && isObject(value.winlog) && value.winlog.channel !== undefined ? 1 : 0;
  },
  summarize: windowsEventSummary,
  createParser: (context) => statelessParser(convert, context),
};
