import { isIP } from 'node:net';
import type { Event, EventCore, Origin } from '../../model/event.js';
import type { ParseContext } from '../format.js';
import { isValidTime, missingTime } from '../record-time.js';
import { ARCHITECTURES, syscallName } from './audit-decode.js';
import { type AuditRecord, addSockaddrFields } from './audit-record.js';
import { LINUX_PRODUCT } from './syslog-event.js';

/**
 * The Event of one audit event. The records that share an `audit(TIME:SERIAL)` id (SYSCALL,
 * EXECVE, CWD, PATH, PROCTITLE, SOCKADDR …) become one set of fields, named as the records name
 * them, because the public Sigma rules for `product: linux, service: auditd` read them so:
 *
 * - `type` is the record type, or the list of the event's record types (`type: EXECVE` matches
 *   an event that has an EXECVE record);
 * - a key that several records carry with different values becomes the list of those values
 *   (the `name` of each PATH record), except that EXECVE's arguments `a0`, `a1` … and `argc`
 *   replace the SYSCALL record's raw register values of the same names;
 * - `cmdline` (derived) is the EXECVE arguments joined by spaces, or the decoded proctitle;
 * - `SYSCALL` (the syscall name) is derived from the number for x86_64 when the log is not
 *   enriched, and `arch_name` from `arch`;
 * - `node` is the host name when auditd writes one.
 */

const UNSET_IDS = new Set(['4294967295', '-1', 'unset']);

function mergeValue(fields: Record<string, unknown>, key: string, value: unknown): void {
  const current = fields[key];
  if (current === undefined) {
    fields[key] = value;
    return;
  }
  const list = Array.isArray(current) ? [...current] : [current];
  const values = Array.isArray(value) ? value : [value];
  for (const item of values) if (!list.includes(item)) list.push(item);
  fields[key] = list.length === 1 ? list[0] : list;
}

/** Joins the records of one event into its fields. */
export function auditFields(records: readonly AuditRecord[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const types: string[] = [];
  const hasExecve = records.some((record) => record.type === 'EXECVE');

  for (const record of records) {
    if (!types.includes(record.type)) types.push(record.type);
    for (const [key, value] of Object.entries(record.fields)) {
      const argument = key === 'argc' || /^a\d+$/.test(key);
      if (argument && hasExecve) {
        if (record.type === 'EXECVE') fields[key] = value;
        continue;
      }
      mergeValue(fields, key, value);
    }
  }
  fields.type = types.length === 1 ? types[0] : types;
  const node = records.find((record) => record.node !== undefined)?.node;
  if (node !== undefined) fields.node = node;
  addDerivedFields(fields, hasExecve);
  return fields;
}

function addDerivedFields(fields: Record<string, unknown>, hasExecve: boolean): void {
  if (hasExecve) {
    const count = Number(fields.argc);
    const args: string[] = [];
    for (let index = 0; index < (Number.isFinite(count) ? count : 0); index++) {
      const arg = fields[`a${index}`];
      if (arg === undefined) break;
      args.push(String(arg));
    }
    if (args.length > 0) fields.cmdline = args.join(' ');
  }
  if (fields.cmdline === undefined && typeof fields.proctitle === 'string') {
    fields.cmdline = fields.proctitle;
  }
  if (typeof fields.arch === 'string') {
    const name = ARCHITECTURES[fields.arch.toLowerCase()];
    if (name !== undefined) fields.arch_name = name;
    if (fields.SYSCALL === undefined && typeof fields.syscall === 'string') {
      const syscall = syscallName(fields.arch, fields.syscall);
      if (syscall !== undefined) fields.SYSCALL = syscall;
    }
  }
  addSockaddrFields(fields);
}

function first(value: unknown): string | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  if (item === undefined || item === null) return undefined;
  const text = String(item);
  return text === '' || text === '?' || text === '(null)' ? undefined : text;
}

function id(value: unknown): string | undefined {
  const text = first(value);
  return text === undefined || UNSET_IDS.has(text) ? undefined : text;
}

/** Computes the normalized core of an audit event. */
export function auditCore(fields: Record<string, unknown>): EventCore {
  const core: EventCore = {};
  const actor = first(fields.AUID) ?? first(fields.acct) ?? id(fields.auid);
  if (actor !== undefined && actor !== 'unset') core.actor = actor;
  const session = id(fields.ses);
  if (session !== undefined) core.session = session;
  const host = first(fields.node);
  if (host !== undefined) core.host = host;
  const address = first(fields.addr);
  if (address !== undefined && isIP(address) !== 0) core.srcIp = address;

  const types = Array.isArray(fields.type) ? fields.type : [fields.type];
  const action = first(fields.SYSCALL) ?? first(fields.op) ?? String(types[0]);
  core.action = action;
  const success = first(fields.success) ?? first(fields.res);
  if (success === 'yes' || success === 'success') core.outcome = 'success';
  else if (success === 'no' || success === 'failed') core.outcome = 'failure';

  const target = types.includes('EXECVE') ? first(fields.exe) : first(fields.name);
  if (target !== undefined) core.target = target;
  return core;
}

/** Describes the event in one line, with the values an analyst looks at first. */
export function auditSummary(fields: Record<string, unknown>, core: EventCore): string {
  const types = Array.isArray(fields.type) ? fields.type : [fields.type];
  const parts = [`audit ${types[0]}`];
  if (first(fields.SYSCALL)) parts.push(String(first(fields.SYSCALL)));
  else if (first(fields.op)) parts.push(String(first(fields.op)));
  const detail =
    (types.includes('EXECVE') ? first(fields.cmdline) : undefined) ??
    (Array.isArray(fields.name) ? fields.name.join(', ') : first(fields.name)) ??
    first(fields.exe);
  if (detail) parts.push(detail.length > 160 ? `${detail.slice(0, 159)}…` : detail);
  if (core.actor) parts.push(`by ${core.actor}`);
  if (core.session) parts.push(`ses ${core.session}`);
  if (core.srcIp) parts.push(`from ${core.srcIp}`);
  if (core.host) parts.push(`on ${core.host}`);
  return parts.join(' ');
}

/** Assembles the Event of the records of one audit event. */
export function auditEvent(
  format: string,
  records: readonly AuditRecord[],
  origin: Origin,
  context: ParseContext,
): Event {
  const head = records[0] as AuditRecord;
  const timeText = `${head.timeText}:${head.serial}`;
  // The header's seconds are digits, but may be too many for a representable time.
  const time = isValidTime(head.time)
    ? head.time
    : missingTime(`unreadable audit time "${head.timeText}"`, timeText, context, origin).time;
  const fields = auditFields(records);
  const core = auditCore(fields);
  return {
    time,
    timeText,
    format,
    logsource: { product: LINUX_PRODUCT, service: 'auditd' },
    fields,
    core,
    extra: {},
    origin,
    summary: auditSummary(fields, core),
  };
}
