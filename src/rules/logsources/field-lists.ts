import { BASELINE_ATTRIBUTES } from '../../enrich/baseline.js';
import type { LogSource } from '../../model/event.js';
import { CLOUDTRAIL_KEYS } from '../../sources/aws/cloudtrail.js';
import { DIAGNOSTIC_KEYS } from '../../sources/entra/entra-event.js';
import { LOG_ENTRY_KEYS, LOWER_CASE_KEYS } from '../../sources/gcp/audit-log.js';
import { WINDOWS_SYSTEM_FIELDS } from '../../sources/windows/fields.js';
import { NameIndex } from '../spelling.js';
import { LINUX_SYSLOG_FIELDS } from './linux-fields.js';
import type { LogSourceMapping } from './mapping.js';
import { WINDOWS_EVENT_FIELDS } from './windows-event-fields.js';

/**
 * The field names that events of a rule's log source are known to have, for the field name
 * check of rules. They come from the log source mappings (the fields their `where` tests and
 * the names their `fields` map), from the field lists of the sources below, and from the
 * Sigma taxonomy. A log source gets names only when one of those lists covers it: for the
 * others (audit events, SaaS audit logs, Okta, macOS …) no list is known, and their fields are
 * not checked.
 */

/**
 * The field names that events of one mapping have, and whether the list is complete. A name
 * missing from a complete list is one that the events lack, not one the list leaves out.
 */
interface MappingFields {
  names: readonly string[];
  complete: boolean;
}

/**
 * Returns the fields of a mapping's events, or undefined when no list is known. `eventIds` are
 * the event ids a rule names, when it names any.
 */
type FieldList = (
  mapping: LogSourceMapping,
  eventIds: readonly string[] | undefined,
) => MappingFields | undefined;

/** Linux services whose events are syslog lines, as the Linux mappings name them. */
const SYSLOG_SERVICES = new Set([
  'syslog',
  'auth',
  'sshd',
  'sudo',
  'cron',
  'vsftpd',
  'clamav',
  'guacamole',
]);

/** Entra ID services, whose records have the Azure Monitor diagnostic shape. */
const ENTRA_SERVICES = new Set(['signinlogs', 'auditlogs', 'riskdetection']);

/**
 * Windows events have the System values, and the data fields of the events of the channels and
 * event ids that both the mapping and the rule select. The list is complete when the rule or
 * the mapping names its event ids and real events of each of them were read. Events of other
 * ids, providers or versions may have data fields of their own.
 */
function windowsFields(
  mapping: LogSourceMapping,
  eventIds: readonly string[] | undefined,
): MappingFields {
  const channels = mapping.where?.Channel?.map((channel) => String(channel).toLowerCase());
  const mapped = mapping.where?.EventID?.map(String);
  const ids =
    eventIds && mapped ? eventIds.filter((id) => mapped.includes(id)) : (eventIds ?? mapped);
  const names = [...WINDOWS_SYSTEM_FIELDS];
  const seen = new Set<string>();
  for (const [channel, byId] of Object.entries(WINDOWS_EVENT_FIELDS)) {
    if (channels && !channels.includes(channel.toLowerCase())) continue;
    for (const [id, fields] of Object.entries(byId)) {
      if (ids && !ids.includes(id)) continue;
      names.push(...fields);
      seen.add(id);
    }
  }
  const complete = ids?.every((id) => seen.has(id)) === true;
  return { names, complete };
}

function linuxFields(mapping: LogSourceMapping): MappingFields | undefined {
  const service = mapping.logsource.service?.toLowerCase();
  if (service === undefined || !SYSLOG_SERVICES.has(service)) return undefined;
  return { names: LINUX_SYSLOG_FIELDS, complete: true };
}

/** CloudTrail records keep their keys, and the source adds `derived`. */
const CLOUDTRAIL_FIELDS = [...CLOUDTRAIL_KEYS, 'derived'];

function azureFields(mapping: LogSourceMapping): MappingFields | undefined {
  const service = mapping.logsource.service?.toLowerCase();
  if (service === undefined || !ENTRA_SERVICES.has(service)) return undefined;
  return { names: [...DIAGNOSTIC_KEYS.values()], complete: true };
}

/** Cloud Audit Log entries, with the lower-case spellings that some exports write as well. */
const GCP_AUDIT_FIELDS = [...LOG_ENTRY_KEYS, ...LOWER_CASE_KEYS.flat()];

function gcpFields(mapping: LogSourceMapping): MappingFields | undefined {
  if (mapping.logsource.service?.toLowerCase() !== 'gcp.audit') return undefined;
  return { names: GCP_AUDIT_FIELDS, complete: true };
}

/** Field lists by the product that a mapping names. */
const FIELD_LISTS: Readonly<Record<string, FieldList>> = {
  windows: windowsFields,
  linux: linuxFields,
  aws: () => ({ names: CLOUDTRAIL_FIELDS, complete: true }),
  azure: azureFields,
  gcp: gcpFields,
};

/**
 * Fields that the Sigma taxonomy (appendix, "Fields") gives per category, for any product: the
 * Sysmon names of process creation, and the generic antivirus fields.
 */
const TAXONOMY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  process_creation: [
    'UtcTime',
    'ProcessGuid',
    'ProcessId',
    'Image',
    'FileVersion',
    'Description',
    'Product',
    'Company',
    'CommandLine',
    'CurrentDirectory',
    'User',
    'LogonGuid',
    'LogonId',
    'TerminalSessionId',
    'IntegrityLevel',
    'imphash',
    'md5',
    'sha1',
    'sha256',
    'ParentProcessGuid',
    'ParentProcessId',
    'ParentImage',
    'ParentCommandLine',
  ],
  antivirus: ['Filename', 'Signature', 'Action'],
};

/** Names that enrichment adds to every event (`trust.party`, `geo.country` …). */
export const ENRICHMENT_FIELDS: readonly string[] = [
  'trust.party',
  'trust.kind',
  'trust.matched_by',
  'trust.matched_entry',
  'trust.matched_field',
  'trust.matched_value',
  'trust.in_scope',
  'trust.scope_reason',
  'geo.country',
  'geo.asn',
  'geo.as_org',
  ...['party', 'actor'].flatMap((kind) => [
    `baseline.${kind}.known`,
    ...BASELINE_ATTRIBUTES.flatMap((attribute) =>
      ['value', 'count', 'days_since_last', 'first_seen'].map(
        (name) => `baseline.${kind}.${attribute}.${name}`,
      ),
    ),
  ]),
];

/** The fields that events of a log source are known to have. */
export interface KnownFields {
  names: NameIndex;
  /** The first part of each name: the fields at the top of the event. */
  topLevel: NameIndex;
  /**
   * True when every list used is complete, so that a name close to a known one but missing
   * from the lists is probably misspelled. When false, only names that differ from a known one
   * in case count as misspelled.
   */
  complete: boolean;
}

/**
 * Returns the field names that events of `logsource` are known to have, or undefined when no
 * field list covers it, so that its fields cannot be checked. `mappings` are those the log
 * source selects, and `eventIds` the Windows event ids that the rule names, when it names any.
 */
export function knownFields(
  logsource: LogSource,
  mappings: readonly LogSourceMapping[],
  eventIds?: readonly string[],
): KnownFields | undefined {
  const names = new Set(ENRICHMENT_FIELDS);
  let listed = false;
  let complete = true;
  for (const mapping of mappings) {
    const list = FIELD_LISTS[mapping.logsource.product.toLowerCase()]?.(mapping, eventIds);
    if (list) {
      listed = true;
      complete &&= list.complete;
      for (const name of list.names) names.add(name);
    }
    for (const name of Object.keys(mapping.where ?? {})) names.add(name);
    for (const [from, to] of Object.entries(mapping.fields ?? {})) {
      names.add(from);
      names.add(to);
    }
  }

  const category = logsource.category?.toLowerCase();
  const taxonomy = category === undefined ? undefined : TAXONOMY_FIELDS[category];
  if (taxonomy && mappings.length > 0) {
    listed = true;
    for (const name of taxonomy) names.add(name);
  }
  if (!listed) return undefined;
  const topLevel = [...names].map((name) => name.split('.')[0] as string);
  return { names: new NameIndex(names), topLevel: new NameIndex(topLevel), complete };
}
