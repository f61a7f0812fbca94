import { z } from 'zod';
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

/** A CIDR network or a single address. */
const network = z.string().superRefine((text, context) => {
  const parsed = parseNetwork(text);
  if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed });
});

const hours = z.string().superRefine((text, context) => {
  const parsed = parseHours(text);
  if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed });
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
      .describe('Networks (CIDR) the party is expected to come from, beyond `networks`.'),
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
        'Account globs (`*`, `?`, case-insensitive): `CONTOSO\\acme-*`, `*@acme.example`. A backslash is literal.',
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
      .describe('Deepest nesting of JSON objects and arrays accepted in a record.'),
    max_field_length: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe(
        'Longest field value that string tests read; the rest of a longer value is ignored.',
      ),
  })
  .strict();

export const settingsSchema = z
  .object({
    reorder_buffer: z
      .number()
      .int()
      .min(1)
      .default(20000)
      .describe(
        'Matched events held per input to put them in event-time order before correlation. Events that arrive later than this many events out of order are still evaluated and counted as late.',
      ),
    syslog: syslogSettingsSchema.prefault({}).describe('Time of traditional syslog lines.'),
    limits: limitSettingsSchema.prefault({}).describe('Input limits.'),
    chains: z
      .record(z.string(), z.record(z.string(), z.union([duration, stepOverrideSchema])))
      .default({})
      .describe(
        'Step windows and thresholds of chain rules, keyed by analytic id or rule name, then step name: `{AN1344: {elevation: 20m}, AN1348: {exposure: {within: 45m, count: 50, window: 10m}}}`. A window is the longest time from the nearest record of the previous step; a duration alone sets the window.',
      ),
    placeholders: z
      .record(z.string(), z.array(z.union([z.string(), z.number()])))
      .default({})
      .describe(
        'Values for Sigma `|expand` placeholders, by name without the percent signs; they replace the shipped defaults.',
      ),
  })
  .strict();

export const contextSchema = z
  .object({
    parties: z.array(partySchema).default([]).describe('The trusted third parties.'),
    settings: settingsSchema
      .prefault({})
      .describe('Overrides of the defaults of sources, rules and chains.'),
  })
  .strict();

export type PartyConfig = z.infer<typeof partySchema>;
export type SettingsConfig = z.infer<typeof settingsSchema>;
export type ContextConfig = z.infer<typeof contextSchema>;
