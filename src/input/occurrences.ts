/** The occurrences of one needle in a text, found in order as searches need them. */
export class Occurrences {
  private readonly found: number[] = [];
  /** Every occurrence that starts before this index is in `found`. */
  private scannedTo = 0;

  constructor(
    private readonly text: string,
    private readonly needle: string,
  ) {}

  /** Returns the index of the first occurrence at or after `from`, or -1. */
  next(from: number): number {
    const found = this.found;
    const last = found[found.length - 1];
    if (last !== undefined && last >= from) return found[firstAtLeast(found, from)] as number;

    // The text is scanned without gaps, so that the list also serves searches from before `from`.
    while (this.scannedTo <= this.text.length) {
      const at = this.text.indexOf(this.needle, this.scannedTo);
      this.scannedTo = at < 0 ? this.text.length + 1 : at + 1;
      if (at < 0) break;
      found.push(at);
      if (at >= from) return at;
    }
    return -1;
  }

  /** Returns every occurrence in the text, in order. */
  all(): readonly number[] {
    this.next(this.text.length + 1);
    return this.found;
  }
}

/** Returns the index of the first value at least `value` in sorted `values`, or their length. */
export function firstAtLeast(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
