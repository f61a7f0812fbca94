/**
 * Limits on what archives may expand to, against archive bombs: many entries, entries that
 * declare or inflate to far more bytes than the archive holds, and archives nested without end.
 */
export interface ArchiveLimits {
  /** Entries of an archive given as input, with those of the archives inside it. */
  maxEntries: number;
  /** Archives inside archives are expanded down to this depth, the outer archive being 1. */
  maxDepth: number;
  /**
   * Times its own size that an archive given as input may expand to, with the archives inside
   * it, past the first `freeExpansionBytes`.
   */
  maxRatio: number;
  /**
   * Bytes that an archive may expand to whatever its size, so that small archives of very
   * repetitive logs, which deflate compresses up to 1032 times, are read whole.
   */
  freeExpansionBytes: number;
  /** Largest archive read from standard input or a named pipe, which is written to disk first. */
  maxPipedBytes: number;
}

/**
 * The defaults of `settings.limits.max_archive_*` in the context file, which has no setting for
 * `freeExpansionBytes`.
 */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 100_000,
  maxDepth: 4,
  maxRatio: 100,
  freeExpansionBytes: 1024 ** 3,
  maxPipedBytes: 4 * 1024 ** 3,
};

/**
 * Usage of the limits by an archive given as input and the archives inside it. Entries
 * count whatever their type. Expanded bytes are those that decompression makes: the declared
 * size of each zip entry, and the text of each gzip stream that contains an archive. A tar entry
 * only points into bytes that were counted already.
 */
export class ArchiveBudget {
  entries = 0;
  bytes = 0;
  readonly maxBytes: number;

  constructor(
    readonly limits: ArchiveLimits,
    /** Size of the outer archive on disk, or as read from a pipe. */
    readonly archiveSize: number,
  ) {
    this.maxBytes = Math.max(limits.freeExpansionBytes, limits.maxRatio * archiveSize);
  }

  /** Counts entries, and returns why they are over the limit, or undefined. */
  addEntries(count: number): string | undefined {
    this.entries += count;
    if (this.entries <= this.limits.maxEntries) return undefined;
    return (
      `more than ${this.limits.maxEntries} entries, with those of the archives inside it, so ` +
      'the entries after them are not read (settings.limits.max_archive_entries)'
    );
  }

  /** Counts expanded bytes, and returns why they are over the limit, or undefined. */
  addBytes(count: number): string | undefined {
    this.bytes += count;
    if (this.bytes <= this.maxBytes) return undefined;
    return this.overBytes();
  }

  /** Expanded bytes that may still be made. */
  get remainingBytes(): number {
    return Math.max(0, this.maxBytes - this.bytes);
  }

  /** Explains that the content passed `maxBytes`, as an archive bomb's does. */
  overBytes(): string {
    return (
      `its content expands past ${this.maxBytes} bytes, more than ` +
      `${this.limits.maxRatio} times the ${this.archiveSize} bytes of the archive given as ` +
      'input, as an archive bomb does, so the rest is not read (settings.limits.max_archive_ratio)'
    );
  }
}
