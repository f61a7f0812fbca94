import { sampledHash } from './sampled-hash.js';
import type { MemoBudget } from './verdict-memo.js';

/**
 * The index keys found in the long lines of long field values, remembered by line, so that a
 * line seen before is not scanned again. Long values repeat in part. Each PowerShell module
 * event (4103) of the OTRF set carries a `ContextInfo` of about 5 KB. Most of it is a
 * `Host Application` line with the encoded command of its session, the same in every event of
 * that session, while the `Sequence Number` line changes each time. Scanning those values for
 * the word and substring keys of the SigmaHQ PowerShell module rules took about 1 s of a 13 s
 * scan of the OTRF events (Node 20, `--cpu-prof`).
 *
 * A value is cut at its line feeds. Each line of at least `MIN_LINE` characters is looked up by
 * its text, and the runs of shorter lines between them are scanned as they are. A scan of the
 * pieces finds what a scan of the whole value finds, because no key crosses a line feed: words
 * are runs of letters and digits, and substring keys with a line feed get no memo
 * (`crossesLines`). The entries are visited in another order and not once per occurrence. The
 * detector does not depend on either, because its `evaluate` skips a rule already run for the
 * event (the variant's `seen` stamp).
 */

/** Minimum length of a line that is remembered. A shorter one is scanned faster than looked up. */
const MIN_LINE = 256;

/**
 * Maximum length of a value whose lines are remembered. A remembered line keeps the whole value
 * that it was cut from in memory, and long scripts rarely repeat their lines.
 */
const MAX_TEXT = 65_536;

/** Maximum remembered lines per hash. A further line replaces one of them. */
const BUCKET_SIZE = 4;

/**
 * Maximum hashes of lines seen once. A line is remembered when its hash comes a second time, so
 * that lines that never repeat, such as those of script blocks, are not kept alive.
 */
const MAX_SEEN_ONCE = 16_384;

/** Scans a text, calling `visit` with the entry of each key that it finds. */
export type KeyScan<T> = (text: string, visit: (entry: T) => void) => void;

/** Counts of the detector's statistics that line memos add to. */
export interface LineCounts {
  lines_reused_total: number;
}

interface RememberedLine<T> {
  line: string;
  found: readonly T[];
}

/** Finds the keys of texts for the detector, by lines or whole. */
export interface TextScanner<T> {
  /** Calls `visit` with the entry of each key in `text`, as a scan of the whole text would. */
  visit(text: string, visit: (entry: T) => void): void;
}

/** Scans each text whole, for keys that a scan by lines could miss. */
export class WholeTexts<T> implements TextScanner<T> {
  constructor(private readonly scan: KeyScan<T>) {}

  visit(text: string, visit: (entry: T) => void): void {
    this.scan(text, visit);
  }
}

export class LineFinds<T> implements TextScanner<T> {
  private readonly buckets = new Map<number, RememberedLine<T>[]>();
  private readonly seenOnce = new Set<number>();
  /** Text length that the remembered lines keep in memory, counted as their whole values. */
  private units = 0;
  private replaced = 0;

  constructor(
    private readonly scan: KeyScan<T>,
    private readonly budget: MemoBudget,
    private readonly counts: LineCounts,
  ) {}

  visit(text: string, visit: (entry: T) => void): void {
    if (text.length < MIN_LINE || text.length > MAX_TEXT) {
      this.scan(text, visit);
      return;
    }

    // `scanned` is where the text not yet scanned or looked up starts.
    let scanned = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end - start >= MIN_LINE) {
        if (scanned < start) this.scan(text.slice(scanned, start), visit);
        this.visitLine(text, start, end, visit);
        scanned = end;
      }
      start = end + 1;
    }

    if (scanned === 0) this.scan(text, visit);
    else if (scanned < text.length) this.scan(text.slice(scanned), visit);
  }

  private visitLine(text: string, start: number, end: number, visit: (entry: T) => void): void {
    const line = text.slice(start, end);
    const hash = sampledHash(line) & 0x3fffffff;
    const bucket = this.buckets.get(hash);
    if (bucket !== undefined) {
      for (const remembered of bucket) {
        if (remembered.line !== line) continue;
        this.counts.lines_reused_total++;
        for (const entry of remembered.found) visit(entry);
        return;
      }
    }

    const found: T[] = [];
    this.scan(line, (entry) => {
      if (!found.includes(entry)) found.push(entry);
    });
    for (const entry of found) visit(entry);
    this.remember(hash, line, found, text.length);
  }

  /** Remembers a line on the second sighting of its hash, within the detector's budget. */
  private remember(hash: number, line: string, found: readonly T[], units: number): void {
    if (!this.seenOnce.has(hash)) {
      if (this.seenOnce.size >= MAX_SEEN_ONCE) this.seenOnce.clear();
      this.seenOnce.add(hash);
      return;
    }
    if (this.budget.units + units > MAX_LINE_UNITS) {
      this.budget.units -= this.units;
      this.units = 0;
      this.buckets.clear();
      // The other line memos of the detector hold the rest of the budget.
      if (this.budget.units + units > MAX_LINE_UNITS) return;
    }

    const entry: RememberedLine<T> = { line, found };
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, [entry]);
    else if (bucket.length < BUCKET_SIZE) bucket.push(entry);
    else bucket[this.replaced++ % BUCKET_SIZE] = entry;
    this.units += units;
    this.budget.units += units;
  }
}

/**
 * Text length, in UTF-16 units, that the line memos of one detector keep in memory together:
 * 8 to 16 MiB. A memo that would pass it starts again empty.
 */
export const MAX_LINE_UNITS = 8 * 1024 * 1024;

/** Tells whether a substring key contains a line feed, which a scan by lines could miss. */
export function crossesLines(keys: Iterable<string>): boolean {
  for (const key of keys) if (key.includes('\n')) return true;
  return false;
}
