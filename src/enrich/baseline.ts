import ipaddr from 'ipaddr.js';
import type { DomainDirectory } from '../context/account-names.js';
import { normalizeAddress } from '../context/networks.js';
import type { Event } from '../model/event.js';

/**
 * First-seen baselines of third-party activity, per party and per actor of a party: which
 * hosts, source networks (/24 for IPv4, /48 for IPv6), autonomous systems, countries, actions,
 * targets and hours of the day (UTC) they were seen with, first and last time and how often.
 *
 * A scan reads a snapshot and never changes it, so that scanning the same input twice gives the
 * same alerts; sightings of the scan are collected apart and merged into the store only when
 * the user asks to learn. Merging is order-free (earliest first, latest last, counts added).
 *
 * Events of a party get, for each entity (`party`, `actor`) and attribute:
 * `baseline.<entity>.<attribute>.value`, `.count` (prior sightings), `.days_since_last`, and
 * `.first_seen` (true when the value was never seen for that entity), plus
 * `baseline.<entity>.known` (whether the entity has any history). `first_seen` is set only for
 * known entities, so that a party with no history does not make everything new.
 *
 * An actor is kept under one key for all spellings of its account (`DomainDirectory.actorKey`),
 * so `THESHIRE\u`, `theshire.local\u` and `u@theshire.local` are `theshire\u`. The event keeps
 * its own spelling.
 */

export const BASELINE_ATTRIBUTES = [
  'host',
  'network',
  'asn',
  'country',
  'action',
  'target',
  'hour',
] as const;
export type BaselineAttribute = (typeof BASELINE_ATTRIBUTES)[number];
export type BaselineEntityKind = 'party' | 'actor';

export interface Sighting {
  kind: BaselineEntityKind;
  entity: string;
  attribute: BaselineAttribute;
  value: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
}

function keyOf(kind: string, entity: string, attribute: string, value: string): string {
  return `${kind}\u0000${entity}\u0000${attribute}\u0000${value}`;
}

/** Sightings by entity, attribute and value; used both as the stored snapshot and the scan's learning. */
export class SightingSet {
  private readonly sightings = new Map<string, Sighting>();
  private readonly entities = new Set<string>();

  get size(): number {
    return this.sightings.size;
  }

  add(sighting: Sighting): void {
    const key = keyOf(sighting.kind, sighting.entity, sighting.attribute, sighting.value);
    const existing = this.sightings.get(key);
    this.entities.add(`${sighting.kind}\u0000${sighting.entity}`);
    if (!existing) {
      this.sightings.set(key, { ...sighting });
      return;
    }
    existing.firstSeen = Math.min(existing.firstSeen, sighting.firstSeen);
    existing.lastSeen = Math.max(existing.lastSeen, sighting.lastSeen);
    existing.count += sighting.count;
  }

  get(
    kind: BaselineEntityKind,
    entity: string,
    attribute: string,
    value: string,
  ): Sighting | undefined {
    return this.sightings.get(keyOf(kind, entity, attribute, value));
  }

  knows(kind: BaselineEntityKind, entity: string): boolean {
    return this.entities.has(`${kind}\u0000${entity}`);
  }

  values(): IterableIterator<Sighting> {
    return this.sightings.values();
  }
}

/**
 * Returns the sightings with every actor under its key of `domains`. Databases written before
 * actors had one key keep each spelling apart, and keys made under other `domains` may differ,
 * so reading them through this merges them with the actors that a scan keys now.
 */
export function keyActors(sightings: SightingSet, domains: DomainDirectory): SightingSet {
  const keyed = new SightingSet();
  for (const sighting of sightings.values()) {
    if (sighting.kind === 'actor') {
      keyed.add({ ...sighting, entity: domains.actorKey(sighting.entity) });
    } else {
      keyed.add(sighting);
    }
  }
  return keyed;
}

/** The network of an address for baselines: /24 for IPv4, /48 for IPv6. */
export function networkOf(address: string): string | undefined {
  const normalized = normalizeAddress(address);
  if (!normalized) return undefined;
  const parsed = ipaddr.parse(normalized.address);
  if (parsed.kind() === 'ipv4') {
    const octets = (parsed as ipaddr.IPv4).octets;
    return `${octets[0]}.${octets[1]}.${octets[2]}.0/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts;
  return `${parts
    .slice(0, 3)
    .map((part) => part.toString(16))
    .join(':')}::/48`;
}

/** The attribute values of an event, by attribute. */
export function attributeValues(event: Event): Partial<Record<BaselineAttribute, string>> {
  const values: Partial<Record<BaselineAttribute, string>> = {};
  const core = event.core;
  if (core.host) values.host = core.host.toLowerCase();
  if (core.srcIp) {
    const network = networkOf(core.srcIp);
    if (network) values.network = network;
  }
  const asn = event.extra['geo.asn'];
  if (asn !== undefined) values.asn = String(asn);
  const country = event.extra['geo.country'];
  if (typeof country === 'string') values.country = country;
  if (core.action) values.action = core.action.toLowerCase();
  if (core.target) values.target = core.target.toLowerCase();
  if (Number.isFinite(event.time)) values.hour = String(new Date(event.time).getUTCHours());
  return values;
}

const DAY_MS = 86_400_000;

/** Reads the snapshot into baseline fields, and records the event's sightings when learning. */
export class BaselineEnricher {
  /** `snapshot` keys its actors as `domains` does (see keyActors). */
  constructor(
    private readonly snapshot: SightingSet,
    private readonly learning: SightingSet | undefined,
    private readonly domains: DomainDirectory,
  ) {}

  enrich(event: Event): void {
    const party = event.extra['trust.party'];
    if (typeof party !== 'string') return;
    const values = attributeValues(event);
    const actor = event.core.actor;
    const entities: [BaselineEntityKind, string | undefined][] = [
      ['party', party],
      ['actor', actor === undefined ? undefined : this.domains.actorKey(actor)],
    ];
    for (const [kind, entity] of entities) {
      if (entity === undefined) continue;
      const known = this.snapshot.knows(kind, entity);
      event.extra[`baseline.${kind}.known`] = known;
      for (const [attribute, value] of Object.entries(values) as [BaselineAttribute, string][]) {
        const prefix = `baseline.${kind}.${attribute}`;
        const seen = this.snapshot.get(kind, entity, attribute, value);
        event.extra[`${prefix}.value`] = value;
        event.extra[`${prefix}.count`] = seen?.count ?? 0;
        if (seen)
          event.extra[`${prefix}.days_since_last`] = Math.floor(
            (event.time - seen.lastSeen) / DAY_MS,
          );
        if (known) event.extra[`${prefix}.first_seen`] = seen === undefined;
        this.learning?.add({
          kind,
          entity,
          attribute,
          value,
          firstSeen: event.time,
          lastSeen: event.time,
          count: 1,
        });
      }
    }
  }
}
