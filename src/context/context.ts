import type { Location } from '../model/problem.js';
import type { DomainDirectory } from './account-names.js';
import type { Glob } from './glob.js';
import type { HoursRange } from './hours.js';
import type { NetworkSet } from './networks.js';
import type { ContextConfig, SettingsConfig } from './schema.js';

/** A trusted third party, compiled for matching. */
export interface Party {
  name: string;
  kind: string;
  description: string | undefined;
  /** Account patterns, which match every spelling of an account (see account-pattern.ts). */
  accounts: Glob[];
  networks: NetworkSet;
  /** Tenant ids in lower case, each mapped to the id as the context file writes it. */
  tenants: ReadonlyMap<string, string>;
  /** Cloud account ids in lower case, each mapped to the id as written. */
  cloudAccounts: ReadonlyMap<string, string>;
  /** App ids in lower case, each mapped to the id as written. */
  apps: ReadonlyMap<string, string>;
  expected: {
    hosts: Glob[];
    networks: NetworkSet;
    hours: HoursRange[];
  };
}

/** An allow-list entry, compiled. */
export interface AllowEntry {
  index: number;
  reason: string;
  party: string | undefined;
  /** An account pattern, as `accounts` of a party. */
  actor: Glob | undefined;
  rule: string | undefined;
  host: Glob | undefined;
  /** Last moment of event time covered, epoch ms; undefined for no end. */
  until: number | undefined;
  text: string;
}

/** Finds the line, column and text of a key path in the context file, for later checks. */
export type ContextLocator = (
  path: readonly (string | number)[],
  onKey?: boolean,
) => { location: Location; snippet: string };

/** The loaded context file: parties and settings, with every default filled in. */
export interface TrustContext {
  /** Where the context came from, or undefined for the built-in empty context. */
  file: string | undefined;
  parties: Party[];
  allow: AllowEntry[];
  /** The declared domains, which relate the spellings of one account. */
  domains: DomainDirectory;
  settings: SettingsConfig;
  /** The validated configuration it was compiled from, which worker threads compile again. */
  config: ContextConfig;
  /** Locates keys of the file; absent for the built-in context and in worker threads. */
  locate?: ContextLocator;
}
