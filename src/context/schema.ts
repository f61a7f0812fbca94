import { z } from 'zod';
import { DEFAULT_ARCHIVE_LIMITS } from '../input/archive/limits.js';
import { checkIsoTime } from '../model/time.js';
import { parseHours } from './hours.js';
import { parseNetwork } from './networks.js';

/**
 * The schema of `trustwatch.yaml`, one object per section. Descriptions here generate
 * docs/context.md (`npm run docs:context`), so they are written for users.
 */

export const PARTY_KINDS = [
  'msp',
  'mssp',
  'contractor',
  'vendor',
  'partner',
  'reseller',
  'cloud-provider',
  'saas-app',
] as const;

/** What a Sigma `|expand` placeholder without values becomes (see rules/placeholders.ts). */
export const UNRESOLVED_PLACEHOLDER_MODES = ['reject', 'wildcard', 'empty'] as const;

/** A CIDR network or a single address. */
const network = z.string().superRefine((text, context) => {
  const parsed = parseNetwork(text);
  if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed });
});

const hours = z.string().superRefine((text, context) => {
  const parsed = parseHours(text);
  if (!Array.isArray(parsed)) return;
  for (const message of parsed) context.addIssue({ code: 'custom', message });
});

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'expected a duration such as 30s, 15m, 2h or 1d');

export const stepOverrideSchema = z
  .object({
    within: duration.optional().describe('Window from the nearest record of the previous step.'),
    count: z.number().int().min(1).optional().describe('Threshold: how many counted records.'),
    window: duration.optional().describe('Threshold: the time within which they must come.'),
  })
  .strict();

export const expectedScopeSchema = z
  .object({
    hosts: z
      .array(z.string().min(1))
      .default([])
      .describe('Host name globs the party is expected to reach (`APP01*`); empty means any host.'),
    networks: z
      .array(network)
      .default([])
      .describe(
        'Networks (CIDR) the party is expected to come from, beyond `networks`. When given, a source outside both is out of scope; when not, only an external (not private, loopback or link-local) source outside `networks` is.',
      ),
    hours: z
      .union([hours, z.array(hours)])
      .optional()
      .describe(
        'Expected working hours with a time zone, such as `Mon-Fri 08:00-18:00 Europe/Berlin`; a list for several ranges.',
      ),
  })
  .strict();

export const partySchema = z
  .object({
    name: z.string().min(1).describe('Name of the party, as alerts show it.'),
    kind: z.enum(PARTY_KINDS).describe(`Kind of relationship: ${PARTY_KINDS.join(', ')}.`),
    description: z.string().optional().describe('Free text for analysts.'),
    accounts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Account globs (`*`, `?`, case-insensitive): `CONTOSO\\acme-*`, `*@acme.example`. A backslash is literal. A pattern with a domain also matches the other spellings of the account: `CONTOSO\\acme-*` matches `contoso.local\\acme-1` and `acme-1@contoso.local`, and `*@contoso.local` matches `CONTOSO\\acme-1`. `domains` and the Account spellings section of the README give the rule.',
      ),
    networks: z
      .array(network)
      .default([])
      .describe('Source networks of the party, as CIDR or single addresses, IPv4 or IPv6.'),
    tenants: z
      .array(z.string().min(1))
      .default([])
      .describe('Identity provider tenant or organisation ids of the party (Entra, Okta, Google).'),
    cloud_accounts: z
      .array(z.string().min(1))
      .default([])
      .describe('External cloud account ids of the party (AWS account ids, GCP projects).'),
    apps: z
      .array(z.string().min(1))
      .default([])
      .describe('OAuth client, application or GitHub App ids that belong to the party.'),
    expected: expectedScopeSchema
      .prefault({})
      .describe(
        'The scope the party is expected to stay in; leaving it is reported, not required.',
      ),
  })
  .strict();

/**
 * Characters rejected in a NetBIOS name: separators and wildcards of paths and globs, the dot,
 * because a name with a dot is read as a DNS name, and `@`, because `user@NAME` reads as a UPN.
 */
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|.@]/;

const netbiosName = z.string().superRefine((text, context) => {
  if (text.trim() === '' || text !== text.trim() || NETBIOS_FORBIDDEN.test(text)) {
    context.addIssue({
      code: 'custom',
      message: `invalid NetBIOS domain name "${text}" (expected a name without dots, outer spaces or any of \\ / : * ? " < > | @, such as CONTOSO)`,
    });
  }
});

const dnsName = z.string().superRefine((text, context) => {
  if (!/^[^.\s\\/:*?@]+(\.[^.\s\\/:*?@]+)+$/.test(text)) {
    context.addIssue({
      code: 'custom',
      message: `invalid DNS domain name "${text}" (expected two or more dot-separated labels without spaces, wildcards or a trailing dot, such as corp.contoso.com)`,
    });
  }
});

export const domainSchema = z
  .object({
    netbios: netbiosName.describe(
      'NetBIOS name of the domain, as `DOMAIN\\user` writes it: `CONTOSO`. Case-insensitive.',
    ),
    dns: z
      .array(dnsName)
      .min(1, 'list at least one DNS name')
      .describe(
        'DNS names of the domain and the UPN suffixes of its accounts: `[corp.contoso.com, contoso.com]`. Case-insensitive.',
      ),
  })
  .strict();

export const syslogSettingsSchema = z
  .object({
    year: z
      .number()
      .int()
      .min(1970)
      .max(9999)
      .optional()
      .describe(
        'Year for traditional syslog lines, which carry none. Default: the year that puts the line closest before the file modification time.',
      ),
    timezone: z
      .string()
      .superRefine((zone, context) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: zone });
        } catch {
          context.addIssue({ code: 'custom', message: `unknown time zone "${zone}"` });
        }
      })
      .optional()
      .describe('IANA time zone of traditional syslog lines, which carry none. Default: UTC.'),
  })
  .strict();

export const limitSettingsSchema = z
  .object({
    max_record_length: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe('Longest record read, in characters; longer records are rejected and counted.'),
    max_depth: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe(
        'Deepest nesting of JSON objects and arrays accepted in a record, `{}` being one level, in every JSON layout; deeper records are rejected as `too_deep`.',
      ),
    max_field_length: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe(
        'Longest field value that string tests read; the rest of a longer value is ignored.',
      ),
    regex_budget_ms: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe(
        'Time in milliseconds that one evaluation of a regular expression may take when V8 cannot run it in linear time (backreferences, lookaround, repetition counts above 16). An evaluation that runs over counts as no match and as a timeout of its rule.',
      ),
    regex_timeouts: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        'Timeouts of one rule after which its time-limited regular expressions are no longer run for the rest of the scan; the summary reports such rules.',
      ),
    max_archive_entries: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_ARCHIVE_LIMITS.maxEntries)
      .describe(
        'Most entries read from an archive given as input, counting those of the archives inside it and entries of every type; the summary reports the archive when it has more, and its entries after them are not read.',
      ),
    max_archive_depth: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_ARCHIVE_LIMITS.maxDepth)
      .describe(
        'Deepest archive inside archives that is expanded, the archive given as input being 1; a deeper one is reported as not read.',
      ),
    max_archive_ratio: z
      .number()
      .positive()
      .default(DEFAULT_ARCHIVE_LIMITS.maxRatio)
      .describe(
        'Times its own size that an archive given as input may expand to, beyond a first GiB that any archive may expand to. The declared sizes of its zip entries count, and so does the text of each gzip-compressed archive inside it, with those of the archives inside them. Past it the rest is not read and the summary reports the archive.',
      ),
    max_piped_archive_bytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_ARCHIVE_LIMITS.maxPipedBytes)
      .describe(
        'Largest archive read from standard input or a named pipe, in bytes, which is written to a temporary file to be read; a larger one is reported as not read. A file has no such limit.',
      ),
  })
  .strict();

const logsourceName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected a Sigma log source name such as process_creation');

export const logsourceMappingSchema = z
  .object({
    logsource: z
      .object({
        product: logsourceName.describe('Product, as rules write it: `windows`, `linux`, `aws`.'),
        service: logsourceName.optional().describe('Service, as rules write it: `sysmon`.'),
        category: logsourceName
          .optional()
          .describe('Category, as rules write it: `process_creation`.'),
      })
      .strict()
      .describe('The Sigma log source that rules name.'),
    where: z
      .record(
        z.string().min(1),
        z.array(z.union([z.string(), z.number()])).min(1, 'list at least one value'),
      )
      .optional()
      .describe(
        'Event fields and the values one of which each must have (case-insensitive equality), such as `{Channel: [Microsoft-Windows-Sysmon/Operational], EventID: [1]}`. Without it, an event belongs to the log source when its parser sets the same one.',
      ),
    fields: z
      .record(z.string().min(1), z.string().min(1))
      .optional()
      .describe(
        'Rule field name to event field name, for events that name a field differently (`Image: NewProcessName`).',
      ),
    description: z.string().optional().describe('Free text shown by `rules check`.'),
  })
  .strict();

export const settingsSchema = z
  .object({
    missing_time: z
      .enum(['reject', 'input_time'])
      .default('reject')
      .describe(
        'What a record of any format without a readable event time becomes: `reject` (rejected as `invalid_time`, counted and reported) or `input_time` (parsed with the input file modification time, as partial test records may need; correlations then see that time). Standard input has no modification time, so there such records are rejected either way.',
      ),
    reorder_buffer: z

      .number()
      .int()
      .min(1)
      .default(20000)
      .describe(
        'Matched events held per input to put them in event-time order before correlation. Events that arrive later than this many events out of order are still evaluated and counted as late.',
      ),
    group_chain_sessions: z
      .boolean()
      .default(false)
      .describe(
        "Merge the chain alerts of one rule, party and actor whose times lie within the chain's total window of each other into one alert, which names the others in `grouped`. Off by default: each step-1 session (logon, SSH session, sign-in, assumed-role session, app grant) is its own alert.",
      ),
    syslog: syslogSettingsSchema.prefault({}).describe('Time of traditional syslog lines.'),
    limits: limitSettingsSchema.prefault({}).describe('Input limits.'),
    chains: z
      .record(z.string(), z.record(z.string(), z.union([duration, stepOverrideSchema])))
      .default({})
      .describe(
        'Step windows and thresholds of chain rules, keyed by analytic id or rule name, then step name: `{AN1344: {elevation: 20m}, AN1348: {exposure: {within: 45m, count: 50, window: 10m}}}`. A window is the longest time from the nearest record of the previous step; a duration alone sets the window. Keys are case-sensitive and checked once rules load: a key that names neither a loaded chain nor a chain of the shipped pack, or a step that chain does not have, is an error.',
      ),
    geo: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Resolve source addresses to geo.country, geo.asn and geo.as_org.'),
        country_database: z
          .string()
          .optional()
          .describe(
            "A MaxMind-format country database (GeoLite2/GeoIP2 Country, DB-IP) instead of the shipped one. A relative path is read from the context file's folder; the file must exist and be a MaxMind DB when the context loads.",
          ),
        asn_database: z
          .string()
          .optional()
          .describe(
            "A MaxMind-format ASN database (GeoLite2 ASN, a `.mmdb` file) or an ip-location-db numeric ASN CSV (`start,end,asn,organisation`) instead of the shipped one. A relative path is read from the context file's folder; the file must exist and be of one of these formats when the context loads.",
          ),
      })
      .strict()
      .prefault({})
      .describe('Offline geolocation of source addresses.'),
    placeholders: z

      .record(z.string(), z.array(z.union([z.string(), z.number()])))
      .default({})
      .describe(
        'Values for Sigma `|expand` placeholders, by name without the percent signs; they replace the shipped defaults. Values are in Sigma notation, so `*` and `?` are wildcards.',
      ),
    logsources: z
      .array(logsourceMappingSchema)
      .default([])
      .describe(
        'More log source mappings, added to the built-in ones: which events a rule log source stands for and how its field names map. A rule is compiled once per mapping it selects, so an added mapping widens what rules see.',
      ),
    unresolved_placeholders: z
      .enum(UNRESOLVED_PLACEHOLDER_MODES)
      .default('reject')
      .describe(
        'What a placeholder without values becomes: `reject` leaves the rule out and reports it (what the Sigma specification asks), `wildcard` matches any text in its place, `empty` makes the value that contains it match nothing. `--unresolved-placeholders` overrides it.',
      ),
  })
  .strict();

/** Schema of a date or date-time whose every field exists, so `2026-02-30` and hour 24 fail. */
const isoDate = z.string().superRefine((text, context) => {
  const problem = checkIsoTime(text);
  if (problem !== undefined) {
    context.addIssue({
      code: 'custom',
      message: `"${text}" is not a date: ${problem}; expected a date such as 2026-12-31 or a date-time such as 2026-12-31T18:00:00Z`,
    });
  }
});

export const allowEntrySchema = z
  .object({
    reason: z
      .string()
      .min(1)
      .describe('Why these alerts are expected; shown with every suppressed alert.'),
    party: z
      .string()
      .min(1)
      .optional()
      .describe('Party name the alert must have, in any case; a party of this file.'),
    actor: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Actor glob (`*`, `?`, case-insensitive); it matches every spelling of the account, as `accounts` does.',
      ),
    rule: z
      .string()
      .min(1)
      .optional()
      .describe('Rule id, name or title; or an analytic id such as AN1344.'),
    host: z.string().min(1).optional().describe('Host glob of the alert.'),
    until: isoDate
      .optional()
      .describe('Last day (UTC, inclusive) of event time the entry covers; without it, no end.'),
  })
  .strict();

export const contextSchema = z
  .object({
    parties: z
      .array(partySchema)
      .default([])
      .describe(
        'The trusted third parties. Names must differ in more than case, and each party needs at least one of `accounts`, `networks`, `tenants`, `cloud_accounts`, `apps`, or no event could belong to it.',
      ),
    domains: z
      .array(domainSchema)
      .default([])
      .describe(
        'Active Directory domains by their NetBIOS and DNS names, for account patterns and baselines. List a domain whose NetBIOS name is not the first label of its DNS name, whose accounts use other UPN suffixes, or whose NetBIOS name begins unrelated DNS names. The names of one entry all name one domain, and a NetBIOS name listed here matches only the DNS names of its entry. Without an entry, a DNS name such as `contoso.local` maps to the NetBIOS name of its first label, `CONTOSO`. A NetBIOS name and a DNS name may each be listed once.',
      ),
    allow: z
      .array(allowEntrySchema)
      .default([])
      .describe(
        'Allow-list: alerts that match an entry are kept and counted as suppressed, never dropped. An entry needs a reason and at least one of party, actor, rule, host.',
      ),
    settings: settingsSchema
      .prefault({})
      .describe('Overrides of the defaults of sources, rules and chains.'),
  })
  .strict()
  .superRefine((config, context) => {
    config.allow.forEach((entry, index) => {
      if (!entry.party && !entry.actor && !entry.rule && !entry.host) {
        context.addIssue({
          code: 'custom',
          path: ['allow', index],
          message: 'an allow entry needs at least one of party, actor, rule, host',
        });
      }
    });
  });

export type PartyConfig = z.infer<typeof partySchema>;
export type SettingsConfig = z.infer<typeof settingsSchema>;
export type ContextConfig = z.infer<typeof contextSchema>;
export type DomainEntryConfig = z.infer<typeof domainSchema>;
export type AllowEntryConfig = z.infer<typeof allowEntrySchema>;
