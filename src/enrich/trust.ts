import ipaddr from 'ipaddr.js';
import type { Party, TrustContext } from '../context/context.js';
import { describeLocalTime, withinHours } from '../context/hours.js';
import type { Event } from '../model/event.js';

/**
 * Tags events with the trusted party they belong to: `trust.party`, `trust.kind`,
 * `trust.matched_by` and, for tagged events, `trust.in_scope` with `trust.scope_reason`.
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

export interface PartyMatch {
  party: Party;
  matchedBy: MatchAttribute;
}

const CACHE_LIMIT = 50_000;

export class TrustEnricher {
  private readonly parties: readonly Party[];
  private readonly accountCache = new Map<string, Party | null>();
  private readonly networkCache = new Map<string, Party | null>();

  constructor(context: TrustContext) {
    this.parties = context.parties;
  }

  /** Finds the party of an event, without changing it. */
  match(event: Event): PartyMatch | undefined {
    if (this.parties.length === 0) return undefined;
    const core = event.core;

    const byAccount =
      this.byAccount(core.actor) ?? firstDefined(core.identities, (name) => this.byAccount(name));
    if (byAccount) return { party: byAccount, matchedBy: 'account' };

    const byApp = this.bySet(core.app, (party) => party.apps);
    if (byApp) return { party: byApp, matchedBy: 'app' };

    const byTenant = this.bySet(core.tenant, (party) => party.tenants);
    if (byTenant) return { party: byTenant, matchedBy: 'tenant' };

    const byCloud = this.bySet(core.cloudAccount, (party) => party.cloudAccounts);
    if (byCloud) return { party: byCloud, matchedBy: 'cloud_account' };

    const byNetwork = this.byNetwork(core.srcIp);
    if (byNetwork) return { party: byNetwork, matchedBy: 'network' };

    const byTargetTenant = this.bySet(core.targetTenant, (party) => party.tenants);
    if (byTargetTenant) return { party: byTargetTenant, matchedBy: 'target_tenant' };
    return undefined;
  }

  /** Adds the trust fields to the event. */
  enrich(event: Event): void {
    const found = this.match(event);
    if (!found) return;
    const extra = event.extra;
    extra['trust.party'] = found.party.name;
    extra['trust.kind'] = found.party.kind;
    extra['trust.matched_by'] = found.matchedBy;
    const reasons = scopeViolations(found.party, event);
    extra['trust.in_scope'] = reasons.length === 0;
    if (reasons.length > 0) extra['trust.scope_reason'] = reasons.join('; ');
  }

  private byAccount(name: string | undefined): Party | undefined {
    if (name === undefined) return undefined;
    const cached = this.accountCache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const party = this.parties.find((candidate) =>
      candidate.accounts.some((account) => account.test(name)),
    );
    remember(this.accountCache, name, party ?? null);
    return party;
  }

  private byNetwork(address: string | undefined): Party | undefined {
    if (address === undefined) return undefined;
    const cached = this.networkCache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    const party = this.parties.find((candidate) => candidate.networks.has(address));
    remember(this.networkCache, address, party ?? null);
    return party;
  }

  private bySet(
    value: string | undefined,
    pick: (party: Party) => ReadonlySet<string>,
  ): Party | undefined {
    if (value === undefined) return undefined;
    const key = value.toLowerCase();
    return this.parties.find((party) => pick(party).has(key));
  }
}

function firstDefined<T, R>(
  items: readonly T[] | undefined,
  map: (item: T) => R | undefined,
): R | undefined {
  if (!items) return undefined;
  for (const item of items) {
    const result = map(item);
    if (result !== undefined) return result;
  }
  return undefined;
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** Lists how an event of a party leaves the party's expected scope. */
export function scopeViolations(party: Party, event: Event): string[] {
  const reasons: string[] = [];
  const expected = party.expected;
  const host = event.core.host;

  if (expected.hosts.length > 0 && host !== undefined) {
    const short = host.split('.')[0] ?? host;
    const known = expected.hosts.some((glob) => glob.test(host) || glob.test(short));
    if (!known) reasons.push(`host ${host} is outside the expected hosts`);
  }

  const address = event.core.srcIp;
  if (address !== undefined && !party.networks.has(address) && !expected.networks.has(address)) {
    if (expected.networks.size > 0) {
      reasons.push(`source ${address} is outside the expected networks`);
    } else if (party.networks.size > 0 && isExternalAddress(address)) {
      // A party's own networks are where it comes from; inside the customer's networks its
      // sessions hop between hosts, so only addresses outside them are judged.
      reasons.push(`source ${address} is outside the party's networks`);
    }
  }

  if (expected.hours.length > 0 && Number.isFinite(event.time)) {
    if (!expected.hours.some((range) => withinHours(range, event.time))) {
      const first = expected.hours[0];
      if (first) {
        reasons.push(
          `${describeLocalTime(first, event.time)} is outside the expected hours ${expected.hours.map((range) => range.text).join(', ')}`,
        );
      }
    }
  }
  return reasons;
}

const INTERNAL_RANGES: ReadonlySet<string> = new Set([
  'private',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'carrierGradeNat',
  'unspecified',
  'broadcast',
  'multicast',
]);

/** True for an address that is not private, loopback, link-local or otherwise internal. */
function isExternalAddress(text: string): boolean {
  const bare = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  return !INTERNAL_RANGES.has(ipaddr.process(bare).range());
}
