import type { Document } from 'yaml';
import type { z } from 'zod';
import { readTextFile } from '../input/text.js';
import { ConfigError } from '../model/errors.js';
import type { Problem } from '../model/problem.js';
import { parseIsoTime } from '../model/time.js';
import { DomainDirectory } from './account-names.js';
import { compileAccountPattern } from './account-pattern.js';
import { checkContextEntries } from './checks.js';
import type { AllowEntry, ContextLocator, Party, TrustContext } from './context.js';
import { resolveGeoDatabases } from './geo-files.js';
import { compileGlob } from './glob.js';
import { parseHours } from './hours.js';
import { NetworkSet } from './networks.js';
import {
  type AllowEntryConfig,
  type ContextConfig,
  contextSchema,
  type PartyConfig,
  type SettingsConfig,
} from './schema.js';
import { locate, locateKey, parseYaml, type YamlSource } from './yaml-doc.js';
import { documentValue } from './yaml-value.js';

/** Reads and validates a context file; every problem is collected before a ConfigError is thrown. */
export async function loadContextFile(file: string): Promise<TrustContext> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (error) {
    throw new ConfigError([
      {
        code: 'config.unreadable',
        severity: 'error',
        message: `cannot read context file: ${(error as Error).message}`,
        location: { file },
      },
    ]);
  }
  return parseContext(file, text);
}

/** Validates context text; `file` names it in problems. */
export function parseContext(file: string, text: string): TrustContext {
  const { source, problems: yamlProblems } = parseYaml(file, text);
  const errors = yamlProblems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) throw new ConfigError(errors);
  if (source.documents.length > 1) {
    throw new ConfigError([
      {
        code: 'config.multiple_documents',
        severity: 'error',
        message: 'a context file holds one YAML document',
        location: { file },
      },
    ]);
  }

  const document = source.documents[0];
  const locator: ContextLocator = (path, onKey = false) => {
    if (!document) return { location: { file }, snippet: '' };
    return onKey ? locateKey(source, document, path) : locate(source, document, path);
  };
  const problems: Problem[] = [];
  const report: Report = (path, code, message) => {
    problems.push({ code, severity: 'error', message, ...locator(path) });
  };

  const converted = document ? documentValue(source, document) : { value: {} };
  if ('problem' in converted) throw new ConfigError([converted.problem]);

  // Cross-entry checks read the YAML as it is, so they add to the schema's problems.
  const raw = converted.value ?? {};
  checkContextEntries(raw, report);
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    // The geo paths and chain keys are still checked, so that one run reports every problem.
    problems.push(...schemaProblems(source, document, parsed.error.issues));
    const geo = rawGeoSettings(raw);
    if (geo !== undefined) resolveGeoDatabases(file, geo, report);
    const chains = { file, locate: locator, chains: rawChainSettings(raw) };
    throw new ContextError(sortByLine(problems), chains);
  }

  resolveGeoDatabases(file, parsed.data.settings.geo, report);
  const context = compileContext(file, parsed.data, report);
  if (problems.length > 0) {
    const chains = { file, locate: locator, chains: parsed.data.settings.chains };
    throw new ContextError(sortByLine(problems), chains);
  }
  return { ...context, locate: locator };
}

/**
 * An invalid context file. It keeps the chain settings, because their keys can only be checked
 * once rules load, and a command that reports the other problems adds theirs.
 */
export class ContextError extends ConfigError {
  constructor(
    problems: readonly Problem[],
    readonly chains: ChainSettingsSource,
  ) {
    super(problems);
  }
}

/** The keys of `settings.chains` and their locator, for the check against the loaded rules. */
export interface ChainSettingsSource {
  file: string | undefined;
  locate: ContextLocator | undefined;
  chains: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type GeoSettings = SettingsConfig['geo'];

/** Reads `settings.geo` from a context that failed its schema, keeping database paths that are text. */
function rawGeoSettings(raw: unknown): GeoSettings | undefined {
  const geo = isRecord(raw) && isRecord(raw.settings) ? raw.settings.geo : undefined;
  if (!isRecord(geo)) return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    enabled: geo.enabled !== false,
    country_database: text(geo.country_database),
    asn_database: text(geo.asn_database),
  };
}

/** Reads the chain keys and step keys from a context that failed its schema. */
function rawChainSettings(raw: unknown): ChainSettingsSource['chains'] {
  const chains = isRecord(raw) && isRecord(raw.settings) ? raw.settings.chains : undefined;
  if (!isRecord(chains)) return {};
  return Object.fromEntries(
    Object.entries(chains).map(([key, steps]) => [key, isRecord(steps) ? steps : {}]),
  );
}

function schemaProblems(
  source: YamlSource,
  document: Document.Parsed | undefined,
  issues: readonly z.core.$ZodIssue[],
): Problem[] {
  return issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
    let where = document
      ? locate(source, document, path)
      : { location: { file: source.file }, snippet: '' };
    let message = issue.message;
    if (issue.code === 'unrecognized_keys' && document) {
      where = locateKey(source, document, [...path, issue.keys[0] ?? '']);
      message = `unknown key ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    }
    const at = path.length > 0 ? `${path.join('.')}: ` : '';
    return {
      code: `config.${issue.code}`,
      severity: 'error' as const,
      message: `${at}${message}`,
      ...where,
    };
  });
}

/** Sorts problems by line, then column. */
export function sortByLine(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}

type Report = (path: (string | number)[], code: string, message: string) => void;

/** Compiles validated configuration; values that the schema cannot check are reported. */
export function compileContext(
  file: string | undefined,
  config: ContextConfig,
  report: Report,
): TrustContext {
  const domains = new DomainDirectory(config.domains);
  const parties = config.parties.map((party, index) => compileParty(party, index, domains, report));
  const allow = config.allow.map((entry, index) => compileAllow(entry, index, domains));
  return { file, parties, allow, domains, settings: config.settings, config };
}

function compileParty(
  party: PartyConfig,
  index: number,
  domains: DomainDirectory,
  report: Report,
): Party {
  const networks = new NetworkSet();
  party.networks.forEach((text, item) => {
    const error = networks.add(text);
    if (error) report(['parties', index, 'networks', item], 'config.invalid_network', error);
  });

  const expectedNetworks = new NetworkSet();
  party.expected.networks.forEach((text, item) => {
    const error = expectedNetworks.add(text);
    if (error) {
      report(['parties', index, 'expected', 'networks', item], 'config.invalid_network', error);
    }
  });

  const hoursTexts = party.expected.hours === undefined ? [] : [party.expected.hours].flat();
  const hours = hoursTexts.flatMap((text, item) => {
    const range = parseHours(text);
    if (!Array.isArray(range)) return [range];
    const path = Array.isArray(party.expected.hours)
      ? ['parties', index, 'expected', 'hours', item]
      : ['parties', index, 'expected', 'hours'];
    for (const message of range) report(path, 'config.invalid_hours', message);
    return [];
  });

  const lower = (values: string[]) =>
    new Map(values.map((value) => [value.toLowerCase(), value] as const));
  return {
    name: party.name,
    kind: party.kind,
    description: party.description,
    accounts: party.accounts.map((pattern) => compileAccountPattern(pattern, domains)),
    networks,
    tenants: lower(party.tenants),
    cloudAccounts: lower(party.cloud_accounts),
    apps: lower(party.apps),
    expected: {
      hosts: party.expected.hosts.map(compileGlob),
      networks: expectedNetworks,
      hours,
    },
  };
}

function compileAllow(
  entry: AllowEntryConfig,
  index: number,
  domains: DomainDirectory,
): AllowEntry {
  let until: number | undefined;
  if (entry.until !== undefined) {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(entry.until);
    // A date-time without a zone is UTC, as the schema describes, not the machine's local time.
    until = dateOnly ? parseIsoTime(`${entry.until}T23:59:59.999Z`) : parseIsoTime(entry.until);
  }
  const parts = [
    entry.party && `party ${entry.party}`,
    entry.actor && `actor ${entry.actor}`,
    entry.rule && `rule ${entry.rule}`,
    entry.host && `host ${entry.host}`,
    entry.until && `until ${entry.until}`,
  ].filter(Boolean);
  return {
    index,
    reason: entry.reason,
    party: entry.party,
    actor: entry.actor === undefined ? undefined : compileAccountPattern(entry.actor, domains),
    rule: entry.rule,
    host: entry.host === undefined ? undefined : compileGlob(entry.host),
    until,
    text: parts.join(', '),
  };
}

/** The context used when no file is given: no parties, default settings. */
export function emptyContext(): TrustContext {
  return compileContext(undefined, contextSchema.parse({}), () => {});
}
