import type { Party, TrustContext } from '../context/context.js';
import type { Event } from '../model/event.js';
import { scopeViolations } from './scope.js';

/**
 * Tags events with the trusted party they belong to: `trust.party`, `trust.kind`,
 * `trust.matched_by`, the context entry that matched (`trust.matched_entry`) with the event
 * attribute and value it matched (`trust.matched_field`, `trust.matched_value`) and, for tagged
 * events, `trust.in_scope` with `trust.scope_reason`.
 *
 * When attributes point at different parties, the most specific wins, in this order: account,
 * app, tenant, cloud account, network, then a partner tenant the record names as its target.
 * `trust.matched_by` names the attribute that decided.
 */

export type MatchAttribute =
  | 'account'
  | 'app'
  | 'tenant'
  | 'cloud_account'
  | 'network'
  | 'target_tenant';

/**
 * The normalized event attribute that a context entry matched: the acting identity, another
 * identity the record names (explicit credentials), the app, the tenant, the cloud account, the
 * source address or the tenant the record acts on.
 */
export type MatchedField =
  | 'actor'
  | 'identity'
  | 'app'
  | 'tenant'
  | 'cloud_account'
  | 'src_ip'
  | 'target_tenant';

export interface PartyMatch {
  party: Party;
  matchedBy: MatchAttribute;
  /** The party's entry that matched, as the context file writes it (`10.0.2.0/24`, `acme-*`). */
  entry: string;
  field: MatchedField;
  /** The value of `field`, as the event has it. */
  value: string;
}

/** A party and the entry of it that matched one value. */
interface EntryMatch {
  party: Party;
  entry: string;
}

const CACHE_LIMIT = 50_000;

export class TrustEnricher {
  private readonly parties: readonly Party[];
  private readonly accountCache = new Map<string, EntryMatch | null>();
  private readonly networkCache = new Map<string, EntryMatch | null>();

  constructor(context: TrustContext) {
    this.parties = context.parties;
  }

  /** Finds the party of an event, without changing it. */
  match(event: Event): PartyMatch | undefined {
    if (this.parties.length === 0) return undefined;
    const core = event.core;

    const byActor = this.byAccount(core.actor);
    if (byActor) return found(byActor, 'account', 'actor', core.actor);
    for (const name of core.identities ?? []) {
      const byIdentity = this.byAccount(name);
      if (byIdentity) return found(byIdentity, 'account', 'identity', name);
    }

    const byApp = this.bySet(core.app, (party) => party.apps);
    if (byApp) return found(byApp, 'app', 'app', core.app);

    const byTenant = this.bySet(core.tenant, (party) => party.tenants);
    if (byTenant) return found(byTenant, 'tenant', 'tenant', core.tenant);

    const byCloud = this.bySet(core.cloudAccount, (party) => party.cloudAccounts);
    if (byCloud) return found(byCloud, 'cloud_account', 'cloud_account', core.cloudAccount);

    const byNetwork = this.byNetwork(core.srcIp);
    if (byNetwork) return found(byNetwork, 'network', 'src_ip', core.srcIp);

    const byTargetTenant = this.bySet(core.targetTenant, (party) => party.tenants);
    if (byTargetTenant) {
      return found(byTargetTenant, 'target_tenant', 'target_tenant', core.targetTenant);
    }
    return undefined;
  }

  /** Adds the trust fields to the event. */
  enrich(event: Event): void {
    const match = this.match(event);
    if (!match) return;
    const extra = event.extra;
    extra['trust.party'] = match.party.name;
    extra['trust.kind'] = match.party.kind;
    extra['trust.matched_by'] = match.matchedBy;
    extra['trust.matched_entry'] = match.entry;
    extra['trust.matched_field'] = match.field;
    extra['trust.matched_value'] = match.value;
    const reasons = scopeViolations(match.party, event);
    extra['trust.in_scope'] = reasons.length === 0;
    if (reasons.length > 0) extra['trust.scope_reason'] = reasons.join('; ');
  }

  private byAccount(name: string | undefined): EntryMatch | undefined {
    if (name === undefined) return undefined;
    const cached = this.accountCache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    let match: EntryMatch | undefined;
    for (const party of this.parties) {
      const glob = party.accounts.find((account) => account.test(name));
      if (glob) {
        match = { party, entry: glob.pattern };
        break;
      }
    }
    remember(this.accountCache, name, match ?? null);
    return match;
  }

  private byNetwork(address: string | undefined): EntryMatch | undefined {
    if (address === undefined) return undefined;
    const cached = this.networkCache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    let match: EntryMatch | undefined;
    for (const party of this.parties) {
      const entry = party.networks.find(address);
      if (entry !== undefined) {
        match = { party, entry };
        break;
      }
    }
    remember(this.networkCache, address, match ?? null);
    return match;
  }

  private bySet(
    value: string | undefined,
    pick: (party: Party) => ReadonlyMap<string, string>,
  ): EntryMatch | undefined {
    if (value === undefined) return undefined;
    const key = value.toLowerCase();
    for (const party of this.parties) {
      const entry = pick(party).get(key);
      if (entry !== undefined) return { party, entry };
    }
    return undefined;
  }
}

function found(
  match: EntryMatch,
  matchedBy: MatchAttribute,
  field: MatchedField,
  value: string | undefined,
): PartyMatch {
  return { party: match.party, matchedBy, entry: match.entry, field, value: value ?? '' };
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
