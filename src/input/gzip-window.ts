/** Bytes of the input, from `offset`. */
export interface Part {
  bytes: Buffer;
  offset: number;
}

/**
 * The last bytes of a compressed input, which the gzip reader reads again. It reads them from
 * the second byte of a candidate member that turned out to be junk, and from the deflate data of
 * a damaged member, where the next member can start. The window keeps the input's chunks as they
 * came, whole and not copied.
 */
export class InputWindow {
  private readonly parts: Part[] = [];
  private end = 0;

  /** @param keptBytes bytes kept before the chunk that arrived last, at least. */
  constructor(private readonly keptBytes: number) {}

  /** Offset of the first byte kept. */
  get start(): number {
    return this.parts[0]?.offset ?? this.end;
  }

  /**
   * Adds the chunk that follows the last one, then drops the oldest chunks that end before both
   * `keepFrom` and the last `keptBytes` bytes before the new chunk.
   */
  append(part: Part, keepFrom: number): void {
    if (part.offset !== this.end) {
      throw new Error(`input chunk at byte ${part.offset} does not follow byte ${this.end}`);
    }
    this.parts.push(part);
    this.end = part.offset + part.bytes.length;

    const dropBefore = Math.min(keepFrom, part.offset - this.keptBytes);
    let dropped = 0;
    while (dropped < this.parts.length - 1) {
      const oldest = this.parts[dropped] as Part;
      if (oldest.offset + oldest.bytes.length > dropBefore) break;
      dropped++;
    }
    if (dropped > 0) this.parts.splice(0, dropped);
  }

  /** Returns the bytes from `offset` to the end of the input received so far. */
  from(offset: number): Part[] {
    const first = this.indexAt(offset);
    const parts: Part[] = [];
    for (let index = first; index < this.parts.length; index++) {
      const part = this.parts[index] as Part;
      const skipped = Math.max(0, offset - part.offset);
      if (skipped < part.bytes.length) {
        parts.push({ bytes: part.bytes.subarray(skipped), offset: part.offset + skipped });
      }
    }
    return parts;
  }

  /** Returns a copy of the bytes from `start` to `end`, or undefined when some were dropped. */
  range(start: number, end: number): Buffer | undefined {
    if (start < this.start || end > this.end) return undefined;
    const pieces: Buffer[] = [];
    for (const part of this.from(start)) {
      if (part.offset >= end) break;
      pieces.push(part.bytes.subarray(0, end - part.offset));
    }
    return Buffer.concat(pieces);
  }

  /** Returns the index of the kept chunk that contains `offset`, by binary search. */
  private indexAt(offset: number): number {
    if (offset < this.start || offset > this.end) {
      throw new Error(`byte ${offset} is outside the kept input (${this.start} to ${this.end})`);
    }
    let low = 0;
    let high = this.parts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.parts[middle] as Part).offset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
