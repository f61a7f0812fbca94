import type { Event } from '../../model/event.js';

/**
 * Step records that came before the record of the previous step they belong to, kept for a
 * step's `lead` so that the instance that record opens can still take them. Windows writes the
 * 4672 of a logon a millisecond before its 4624, for example. Records arrive in event-time
 * order, so the buffer is a queue that drops its head once the head is older than the longest
 * lead.
 */

export interface EarlyRecord<M> {
  member: M;
  event: Event;
  keys: readonly string[];
}

/** Early records kept at once; the oldest are dropped past this many. */
const MAX_EARLY_RECORDS = 100_000;

export class EarlyRecords<M> {
  private readonly queue: EarlyRecord<M>[] = [];
  private head = 0;
  private readonly byKey = new Map<string, EarlyRecord<M>[]>();

  constructor(private readonly maxLeadMs: number) {}

  add(record: EarlyRecord<M>): void {
    this.expire(record.event.time);
    if (this.queue.length - this.head >= MAX_EARLY_RECORDS) this.dropHead();
    this.queue.push(record);
    for (const key of record.keys) {
      const list = this.byKey.get(key);
      if (list) list.push(record);
      else this.byKey.set(key, [record]);
    }
  }

  /** Records linked by any of `keys`, each once. */
  linkedTo(keys: Iterable<string>): EarlyRecord<M>[] {
    const found = new Set<EarlyRecord<M>>();
    for (const key of keys) for (const record of this.byKey.get(key) ?? []) found.add(record);
    return [...found];
  }

  /** Forgets the records older than the longest lead before `time`. */
  expire(time: number): void {
    while (this.head < this.queue.length) {
      const record = this.queue[this.head] as EarlyRecord<M>;
      if (time - record.event.time <= this.maxLeadMs) break;
      this.dropHead();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private dropHead(): void {
    const record = this.queue[this.head] as EarlyRecord<M>;
    this.head++;
    for (const key of record.keys) {
      const list = this.byKey.get(key);
      if (!list) continue;
      const rest = list.filter((item) => item !== record);
      if (rest.length === 0) this.byKey.delete(key);
      else this.byKey.set(key, rest);
    }
  }
}
