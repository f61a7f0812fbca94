import type { Event, EventCore, Origin } from '../../model/event.js';
import type { ParseContext } from '../format.js';
import { type RecordTime, recordTime } from '../record-time.js';

/**
 * Field naming shared by every Windows source. Events are flat, as the public Sigma rules for
 * Windows expect: the System section as `EventID`, `Channel`, `Computer`, `Provider_Name`,
 * `EventRecordID`, `TimeCreated` and so on, and each EventData `<Data Name=…>` (or UserData
 * leaf) under its own name. Where an EventData name collides with a System name, the System
 * value keeps the plain name and the data value is kept as `EventData.<name>`. A data name with
 * spaces (Windows Defender writes `Threat Name`, `Process Name`) is also kept without them
 * (`ThreatName`), the name the public rules use.
 */

export const WINDOWS_PRODUCT = 'windows';

/** System values of one event, as strings in their written form. */
export interface WindowsSystem {
  providerName?: string;
  providerGuid?: string;
  eventSourceName?: string;
  eventId?: string | number;
  qualifiers?: string | number;
  version?: string | number;
  level?: string | number;
  task?: string | number;
  opcode?: string | number;
  keywords?: string | number;
  timeCreated?: string;
  eventRecordId?: string | number;
  activityId?: string;
  relatedActivityId?: string;
  processId?: string | number;
  threadId?: string | number;
  channel?: string;
  computer?: string;
  userId?: string;
}

const SYSTEM_FIELD_NAMES: [keyof WindowsSystem, string][] = [
  ['providerName', 'Provider_Name'],
  ['providerGuid', 'Provider_Guid'],
  ['eventSourceName', 'EventSourceName'],
  ['eventId', 'EventID'],
  ['qualifiers', 'Qualifiers'],
  ['version', 'Version'],
  ['level', 'Level'],
  ['task', 'Task'],
  ['opcode', 'Opcode'],
  ['keywords', 'Keywords'],
  ['timeCreated', 'TimeCreated'],
  ['eventRecordId', 'EventRecordID'],
  ['activityId', 'ActivityID'],
  ['relatedActivityId', 'RelatedActivityID'],
  ['processId', 'ProcessID'],
  ['threadId', 'ThreadID'],
  ['channel', 'Channel'],
  ['computer', 'Computer'],
  ['userId', 'UserID'],
];

/** The names of the System values in flat events, which every Windows event may carry. */
export const WINDOWS_SYSTEM_FIELDS: readonly string[] = SYSTEM_FIELD_NAMES.map(([, name]) => name);

/** Builds the flat field map: data first, then System values under their Sigma names. */
export function flattenWindows(
  system: WindowsSystem,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) fields[name] = value;
  for (const [name, value] of Object.entries(data)) {
    if (!name.includes(' ')) continue;
    const compact = name.replace(/ /g, '');
    if (!(compact in fields)) fields[compact] = value;
  }
  for (const [key, name] of SYSTEM_FIELD_NAMES) {
    const value = system[key];
    if (value === undefined) continue;
    if (name in fields) fields[`EventData.${name}`] = fields[name];
    fields[name] = value;
  }
  return fields;
}

/** Event ids whose Target* fields name the identity that logs on or is authenticated. */
const TARGET_IDENTITY_EVENTS = new Set([
  '4624',
  '4625',
  '4634',
  '4647',
  '4768',
  '4769',
  '4770',
  '4771',
  '4776',
  '4778',
  '4779',
]);

const EMPTY_VALUES = new Set(['', '-', 'null', '(null)', 'n/a']);

/** Length of the longest of `EMPTY_VALUES`. */
const MAX_EMPTY_LENGTH = 6;

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const result = typeof value === 'string' ? value : String(value);
  // A longer text that starts and ends with a visible ASCII character keeps its length when
  // trimmed, so it cannot be one of them. Most values thus skip the trimmed, lower-cased copy.
  if (
    result.length > MAX_EMPTY_LENGTH &&
    visible(result, 0) &&
    visible(result, result.length - 1)
  ) {
    return result;
  }
  return EMPTY_VALUES.has(result.trim().toLowerCase()) ? undefined : result;
}

function visible(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code > 0x20 && code < 0x7f;
}

/**
 * Joins an account's domain and user name as `DOMAIN\user`. A name that carries its realm
 * already keeps its own form: a UPN (4769 writes `user@REALM` with the realm as domain too) and
 * a `DOMAIN\user` name.
 */
function account(domain: unknown, user: unknown): string | undefined {
  const name = text(user);
  if (name === undefined) return undefined;
  if (name.includes('@') || name.includes('\\')) return name;
  const realm = text(domain);
  return realm === undefined ? name : `${realm}\\${name}`;
}

const OUTCOME_FAILURE_EVENTS = new Set(['4625', '4771', '4776', '4825']);

/**
 * Computes the normalized core of a flat Windows event. It runs for every event, and most
 * events lack most of the fields it reads, so a domain is read only beside a user name.
 */
export function windowsCore(fields: Record<string, unknown>): EventCore {
  const eventId = String(fields.EventID ?? '');
  const targetEvent = TARGET_IDENTITY_EVENTS.has(eventId);
  const subjectUser = fields.SubjectUserName;
  const subject =
    subjectUser === undefined ? undefined : account(fields.SubjectDomainName, subjectUser);
  const targetUser = fields.TargetUserName;
  const target =
    targetUser === undefined ? undefined : account(fields.TargetDomainName, targetUser);
  const core: EventCore = {};

  if (targetEvent && target !== undefined) core.actor = target;
  else if (subject !== undefined) core.actor = subject;
  else core.actor = firstIdentity(fields);

  const identities: string[] = [];
  if (subject !== undefined && subject !== core.actor) identities.push(subject);
  if (target !== undefined && target !== core.actor) identities.push(target);
  if (identities.length > 0) core.identities = identities;

  const session = targetEvent
    ? text(fields.TargetLogonId)
    : (text(fields.SubjectLogonId) ?? text(fields.LogonId));
  if (session !== undefined) core.session = session;

  const host = text(fields.Computer) ?? text(fields.Hostname);
  if (host !== undefined) core.host = host;

  const address =
    text(fields.IpAddress) ??
    text(fields.ClientAddress) ??
    text(fields.SourceNetworkAddress) ??
    (eventId === '1149' ? text(fields.Param3) : undefined);
  if (address !== undefined) core.srcIp = stripIpv6Prefix(address);

  const remote =
    text(fields.TargetServerName) ?? text(fields.ShareName) ?? text(fields.ServiceName);
  if (remote !== undefined) core.target = remote;

  if (eventId !== '') core.action = eventId;
  if (OUTCOME_FAILURE_EVENTS.has(eventId)) core.outcome = 'failure';
  return core;
}

function firstIdentity(fields: Record<string, unknown>): string | undefined {
  const user = text(fields.User);
  if (user !== undefined) return user;
  const accountName = fields.AccountName;
  const named =
    accountName === undefined
      ? undefined
      : account(fields.AccountDomain ?? fields.Domain, accountName);
  if (named !== undefined) return named;
  const param = fields.Param1;
  return (param === undefined ? undefined : account(fields.Param2, param)) ?? text(fields.UserID);
}

/** `::ffff:10.1.2.3` is how Windows writes IPv4 peers on dual-stack sockets. */
function stripIpv6Prefix(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.')
    ? address.slice(7)
    : address;
}

const DESCRIPTIONS: Record<string, string> = {
  '1149': 'RDP user authentication succeeded',
  '4624': 'logon',
  '4625': 'failed logon',
  '4634': 'logoff',
  '4647': 'user-initiated logoff',
  '4648': 'logon with explicit credentials',
  '4672': 'special privileges assigned to logon',
  '4688': 'process created',
  '4697': 'service installed',
  '4698': 'scheduled task created',
  '4702': 'scheduled task updated',
  '4720': 'user account created',
  '4728': 'member added to security-enabled global group',
  '4732': 'member added to security-enabled local group',
  '4756': 'member added to security-enabled universal group',
  '4768': 'Kerberos TGT requested',
  '4769': 'Kerberos service ticket requested',
  '4771': 'Kerberos pre-authentication failed',
  '4776': 'credential validation',
  '4778': 'session reconnected',
  '4779': 'session disconnected',
  '5140': 'network share accessed',
  '5145': 'network share object checked',
  '7045': 'service installed',
};

/** Builds the summary of a Windows event, for the Windows formats' `summarize`. */
export function windowsEventSummary(event: Event): string {
  return windowsSummary(event.fields, event.core);
}

/** One line naming the event and the values an analyst looks at first. */
export function windowsSummary(fields: Record<string, unknown>, core: EventCore): string {
  const eventId = String(fields.EventID ?? '?');
  const parts = [`${eventId} ${DESCRIPTIONS[eventId] ?? String(fields.Channel ?? 'event')}`];
  if (fields.LogonType !== undefined && text(fields.LogonType))
    parts.push(`type ${fields.LogonType}`);
  if (core.actor) parts.push(core.actor);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  const detail =
    text(fields.CommandLine) ??
    text(fields.TargetServerName) ??
    joinShare(fields) ??
    text(fields.ServiceName) ??
    groupChange(fields);
  if (detail) parts.push(truncate(detail, 160));
  if (core.host) parts.push(`on ${core.host}`);
  return parts.join(' ');
}

function joinShare(fields: Record<string, unknown>): string | undefined {
  const share = text(fields.ShareName);
  if (!share) return undefined;
  const relative = text(fields.RelativeTargetName);
  return relative ? `${share}\\${relative}` : share;
}

function groupChange(fields: Record<string, unknown>): string | undefined {
  const member = text(fields.MemberName) ?? text(fields.MemberSid);
  const group = account(fields.TargetDomainName, fields.TargetUserName);
  if (!member || !group) return undefined;
  return `${member} to ${group}`;
}

function truncate(value: string, length: number): string {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/**
 * Assembles an Event from flat fields. Its time is the first readable of `times`; a record
 * without one follows `settings.missing_time` (see `recordTime`).
 */
export function windowsEvent(
  format: string,
  fields: Record<string, unknown>,
  times: readonly unknown[],
  origin: Origin,
  context: ParseContext,
): Event {
  return windowsEventAt(format, fields, recordTime(times, context, origin), origin);
}

/** Assembles an Event from flat fields whose time was read already. */
export function windowsEventAt(
  format: string,
  fields: Record<string, unknown>,
  { time, timeText }: RecordTime,
  origin: Origin,
): Event {
  const core = windowsCore(fields);
  return {
    time,
    timeText,
    format,
    logsource: { product: WINDOWS_PRODUCT },
    fields,
    core,
    extra: {},
    origin,
    // The scan builds it only for events that match a rule (`windowsEventSummary`).
    summary: '',
  };
}
