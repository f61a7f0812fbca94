/**
 * Link keys of closed chain instances, kept for `observe_within` after an instance's last
 * record so that observers can still tie later records of its sessions to its party and
 * family, for `remember`. Nothing else links to them: a closed instance takes no steps.
 */

export interface RetiredOwner {
  party: string;
  family: number;
  /** Event time after which the key no longer links. */
  until: number;
}

/** Retired keys kept at once; the oldest are dropped past this many. */
const MAX_RETIRED_KEYS = 100_000;

export class RetiredKeys {
  private readonly byKey = new Map<string, RetiredOwner[]>();

  add(keys: Iterable<string>, owner: RetiredOwner): void {
    for (const key of keys) {
      const owners = this.byKey.get(key);
      if (owners) {
        owners.push(owner);
        continue;
      }
      if (this.byKey.size >= MAX_RETIRED_KEYS) {
        const oldest = this.byKey.keys().next().value;
        if (oldest !== undefined) this.byKey.delete(oldest);
      }
      this.byKey.set(key, [owner]);
    }
  }

  /** Owners of the keys that still link at `time`, each family once. */
  owners(keys: readonly string[], time: number): RetiredOwner[] {
    const found = new Map<number, RetiredOwner>();
    for (const key of keys) {
      for (const owner of this.byKey.get(key) ?? []) {
        if (time <= owner.until && !found.has(owner.family)) found.set(owner.family, owner);
      }
    }
    return [...found.values()];
  }

  /** Forgets the keys whose time has passed. */
  expire(time: number): void {
    for (const [key, owners] of this.byKey) {
      const live = owners.filter((owner) => time <= owner.until);
      if (live.length === 0) this.byKey.delete(key);
      else if (live.length < owners.length) this.byKey.set(key, live);
    }
  }

  size(): number {
    return this.byKey.size;
  }
}
