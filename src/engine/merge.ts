/**
 * Merges per-input streams into one stream in event-time order, as correlation needs it.
 *
 * Each input passes through its own bounded reorder buffer (a min-heap of `reorder` items), which
 * puts locally shuffled records in order; inputs are merged by their heads. An input is opened
 * only when the merge reaches its first event time (known from a look at its head), so a folder
 * of many files never holds them all open. An item that leaves later than a newer one (its input
 * was shuffled beyond the buffer) is still emitted, and counted as late.
 */

export interface TimedItem {
  time: number;
}

export interface MergeSource<T extends TimedItem> {
  /** Earliest time the source holds near its start; undefined when unknown (opened first). */
  firstTime: number | undefined;
  /** Batches of items in input order. */
  open(): AsyncIterator<T[]>;
}

export interface MergeStats {
  late_total: number;
}

interface Entry<T> {
  item: T;
  source: number;
  sequence: number;
}

function before<T extends TimedItem>(a: Entry<T>, b: Entry<T>): boolean {
  if (a.item.time !== b.item.time) return a.item.time < b.item.time;
  if (a.source !== b.source) return a.source < b.source;
  return a.sequence < b.sequence;
}

/** A binary min-heap ordered by time, then source, then arrival. */
export class Heap<T extends TimedItem> {
  private readonly items: Entry<T>[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry<T> | undefined {
    return this.items[0];
  }

  push(entry: Entry<T>): void {
    const items = this.items;
    items.push(entry);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index] as Entry<T>, items[parent] as Entry<T>)) break;
      [items[index], items[parent]] = [items[parent] as Entry<T>, items[index] as Entry<T>];
      index = parent;
    }
  }

  pop(): Entry<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let index = 0;
      while (true) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && before(items[left] as Entry<T>, items[smallest] as Entry<T>))
          smallest = left;
        if (right < items.length && before(items[right] as Entry<T>, items[smallest] as Entry<T>))
          smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as Entry<T>, items[index] as Entry<T>];
        index = smallest;
      }
    }
    return top;
  }
}

interface Active<T extends TimedItem> {
  index: number;
  iterator: AsyncIterator<T[]>;
  buffer: Heap<T>;
  done: boolean;
  sequence: number;
}

export async function* mergeByTime<T extends TimedItem>(
  sources: readonly MergeSource<T>[],
  reorder: number,
  stats: MergeStats,
): AsyncIterable<T> {
  const pending = sources
    .map((source, index) => ({ source, index }))
    .sort(
      (a, b) =>
        (a.source.firstTime ?? Number.NEGATIVE_INFINITY) -
          (b.source.firstTime ?? Number.NEGATIVE_INFINITY) || a.index - b.index,
    );
  const active: Active<T>[] = [];
  let lastTime = Number.NEGATIVE_INFINITY;

  const fill = async (input: Active<T>): Promise<void> => {
    while (!input.done && input.buffer.size <= reorder) {
      const next = await input.iterator.next();
      if (next.done) {
        input.done = true;
        break;
      }
      for (const item of next.value)
        input.buffer.push({ item, source: input.index, sequence: input.sequence++ });
    }
  };

  const activate = async (): Promise<void> => {
    const next = pending.shift();
    if (!next) return;
    const input: Active<T> = {
      index: next.index,
      iterator: next.source.open(),
      buffer: new Heap(),
      done: false,
      sequence: 0,
    };
    active.push(input);
    await fill(input);
  };

  while (active.length > 0 || pending.length > 0) {
    for (let index = active.length - 1; index >= 0; index--) {
      const input = active[index] as Active<T>;
      if (input.done && input.buffer.size === 0) active.splice(index, 1);
    }
    if (active.length === 0) {
      await activate();
      continue;
    }

    let best: Active<T> | undefined;
    for (const input of active) {
      const head = input.buffer.peek();
      if (!head) continue;
      if (!best || before(head, best.buffer.peek() as Entry<T>)) best = input;
    }

    const nextPending = pending[0];
    const bestTime = best?.buffer.peek()?.item.time;
    if (
      nextPending &&
      (bestTime === undefined ||
        (nextPending.source.firstTime ?? Number.NEGATIVE_INFINITY) <= bestTime)
    ) {
      await activate();
      continue;
    }

    if (!best) continue;

    const entry = best.buffer.pop() as Entry<T>;
    if (entry.item.time < lastTime) stats.late_total++;
    else lastTime = entry.item.time;
    yield entry.item;

    if (best.buffer.size <= reorder) await fill(best);
  }
}
