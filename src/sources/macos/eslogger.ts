import { RecordError } from '../../model/errors.js';
import type { Event, EventCore, LogSource } from '../../model/event.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { firstText, isObject, type JsonObject, pick, truncate } from '../json-shape.js';
import { recordTime } from '../record-time.js';
import { MACOS_PRODUCT } from './unified-log.js';

/**
 * Endpoint Security events as `eslogger` writes them (macOS 13 and later): one JSON object per
 * line with `event_type` (a number), `time`, the acting `process` (with its `audit_token`) and
 * `event: {<name>: {…}}`, where the one key is the event's name as eslogger takes it on its
 * command line (`exec`, `openssh_login`, `sudo`, `mount` …). The record keeps its own fields;
 * trustwatch adds `event_name` and, per event, the flat names the Sigma rules for macOS use:
 *
 * - `exec`: `Image`, `CommandLine` (the arguments joined by spaces), `ParentImage` (the image
 *   the process ran before the exec), `ProcessId`, `ParentProcessId`, `CurrentDirectory`;
 *   log source category `process_creation`;
 * - `create`: `TargetFilename`; category `file_event`; `rename`: `SourceFilename`,
 *   `TargetFilename`; category `file_rename`;
 * - `openssh_login`, `screensharing_attach`, `login_login`, `lw_session_login`, `sudo`, `su`:
 *   `User`, and where the event has them `SourceIp`, `TargetUser`, `CommandLine`;
 * - `od_group_add`, `od_group_remove`: `Group` and `Member`.
 *
 * Every event is log source `macos`/`endpointsecurity`, with the category where one applies.
 */

type Derive = (body: JsonObject, record: JsonObject, fields: JsonObject) => void;

function set(fields: JsonObject, name: string, value: unknown): void {
  const found = typeof value === 'number' ? String(value) : firstText(value);
  if (found !== undefined && fields[name] === undefined) fields[name] = found;
}

function filePath(file: unknown): string | undefined {
  const path = firstText(pick(file, 'existing_file', 'path'), pick(file, 'path'));
  if (path !== undefined) return path;
  const directory = firstText(pick(file, 'new_path', 'dir', 'path'));
  const name = firstText(pick(file, 'new_path', 'filename'));
  return directory !== undefined && name !== undefined ? `${directory}/${name}` : undefined;
}

const DERIVE: Record<string, Derive> = {
  exec(body, record, fields) {
    const target = body.target;
    set(fields, 'Image', pick(target, 'executable', 'path'));
    const args = body.args;
    if (Array.isArray(args)) set(fields, 'CommandLine', args.map(String).join(' '));
    set(fields, 'ParentImage', pick(record.process, 'executable', 'path'));
    set(fields, 'ProcessId', pick(target, 'audit_token', 'pid'));
    set(fields, 'ParentProcessId', pick(target, 'ppid'));
    set(fields, 'CurrentDirectory', pick(body, 'cwd', 'path'));
  },
  create(body, _record, fields) {
    set(fields, 'TargetFilename', filePath(body.destination));
  },
  rename(body, _record, fields) {
    set(fields, 'SourceFilename', pick(body, 'source', 'path'));
    set(fields, 'TargetFilename', filePath(body.destination));
  },
  openssh_login(body, _record, fields) {
    set(fields, 'User', body.username);
    set(fields, 'SourceIp', body.source_address);
  },
  screensharing_attach(body, _record, fields) {
    set(fields, 'User', firstText(body.authentication_username, body.session_username));
    set(fields, 'SourceIp', body.source_address);
  },
  login_login(body, _record, fields) {
    set(fields, 'User', body.username);
  },
  lw_session_login(body, _record, fields) {
    set(fields, 'User', body.username);
  },
  sudo(body, _record, fields) {
    set(fields, 'User', body.from_username);
    set(fields, 'TargetUser', body.to_username);
    set(fields, 'CommandLine', body.command);
  },
  su(body, _record, fields) {
    set(fields, 'User', body.from_username);
    set(fields, 'TargetUser', body.to_username);
  },
  od_group_add(body, _record, fields) {
    set(fields, 'Group', body.group_name);
    set(fields, 'Member', firstText(pick(body, 'member', 'member_value', 'name')));
  },
};
DERIVE.od_group_remove = DERIVE.od_group_add as Derive;

const CATEGORIES: Record<string, string> = {
  exec: 'process_creation',
  create: 'file_event',
  rename: 'file_rename',
};

function eventName(record: JsonObject): string | undefined {
  if (!isObject(record.event)) return undefined;
  const keys = Object.keys(record.event);
  return keys.length === 1 ? keys[0] : undefined;
}

function convert(record: FramedRecord, context: ParseContext): Event {
  const value = record.value;
  if (!isObject(value) || !isObject(value.event) || value.event_type === undefined) {
    throw new RecordError('unexpected_shape', 'record has no event_type and event');
  }
  const fields: JsonObject = { ...value };
  const name = eventName(value);
  if (name !== undefined) {
    fields.event_name = name;
    const body = (value.event as JsonObject)[name];
    if (isObject(body)) DERIVE[name]?.(body, value, fields);
  }
  const { time, timeText } = recordTime([value.time], context, record.origin);

  const core: EventCore = {};
  const auid = pick(value, 'process', 'audit_token', 'auid');
  const actor = firstText(fields.User) ?? (typeof auid === 'number' ? `uid ${auid}` : undefined);
  if (actor !== undefined) core.actor = actor;
  const address = firstText(fields.SourceIp);
  if (address !== undefined) core.srcIp = address;
  const target = firstText(fields.TargetUser, fields.TargetFilename, fields.Image);
  if (target !== undefined) core.target = target;
  if (name !== undefined) core.action = name;
  const body = name === undefined ? undefined : pick(value.event, name);
  const success = pick(body, 'success');
  if (typeof success === 'boolean') core.outcome = success ? 'success' : 'failure';
  const profile = firstText(pick(body, 'profile', 'identifier'));
  if (profile !== undefined) core.app = profile;

  const logsource: LogSource = { product: MACOS_PRODUCT, service: 'endpointsecurity' };
  const category = name === undefined ? undefined : CATEGORIES[name];
  if (category !== undefined) logsource.category = category;
  const detail = firstText(fields.CommandLine, fields.TargetFilename, core.target);
  const summary = [`${name ?? 'event'}`, core.actor ? `by ${core.actor}` : '']
    .concat(core.srcIp ? [`from ${core.srcIp}`] : [])
    .concat(detail ? [truncate(detail, 160)] : [])
    .concat(core.outcome === 'failure' ? ['failed'] : [])
    .filter((part) => part !== '')
    .join(' ');
  return {
    time,
    timeText,
    format: 'macos-eslogger',
    logsource,
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary,
  };
}

export const macosEsloggerFormat: SourceFormat = {
  name: 'macos-eslogger',
  description: 'macOS Endpoint Security events as eslogger writes them (event_type, event.<name>)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || value.event_type === undefined || !isObject(value.event)) return 0;
    return isObject(value.process) || value.schema_version !== undefined ? 1 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
