import type { Readable } from 'node:stream';
import type { Logger } from '../../model/logger.js';
import { gunzip, readFailure, readWarnings } from '../gunzip.js';
import type { InputFile } from '../input-file.js';
import type { ArchiveBudget, ArchiveLimits } from './limits.js';
import { type ArchiveInput, type ListedEntry, listArchive } from './listing.js';
import { type ArchiveLocator, openArchiveEntry } from './locate.js';
import type { ContentKind } from './sniff.js';
import type { ArchiveSpool } from './spool.js';

/** Destination of the inputs that expansion finds. */
export interface InputSink {
  add(file: InputFile): void;
  /** Adds an input that cannot be read: opening it fails with the reason. */
  addFailed(path: string, reason: string): void;
  /** Inputs added so far, failed ones included. */
  readonly count: number;
}

/** Names of skipped hidden entries listed in the warning on an archive with no input files. */
const LISTED_HIDDEN_ENTRIES = 10;

/**
 * Expands archives into their entries, archives inside them included, within the limits. An
 * entry's path is the archive's path, a slash, and the entry's name inside the archive:
 * `logs.zip/host/inner.tar.gz/var/log/auth.log`.
 */
export class ArchiveExpander {
  constructor(
    private readonly sink: InputSink,
    private readonly spool: ArchiveSpool,
    readonly limits: ArchiveLimits,
    private readonly logger: Logger,
  ) {}

  /**
   * Expands an archive stored in a range as is. `lost` is the reason that the range ends before
   * the archive does (a limit, or a failed gzip stream). It is reported in place of the cut that
   * listing then finds, for the archive and for the entry that the range ends inside.
   */
  async expand(archive: ArchiveInput, budget: ArchiveBudget, lost?: string): Promise<void> {
    const found = this.sink.count;
    const listing = await listArchive(archive, budget, this.logger);
    const problems = lost === undefined ? [] : [lost];
    if (listing.stop !== undefined && lost === undefined) problems.push(listing.stop);

    const hidden: ListedEntry[] = [];
    for (const entry of listing.entries) {
      if (entry.folder) continue;
      if (entry.skipped === undefined && isHiddenEntry(entry.name)) {
        hidden.push(entry);
        continue;
      }
      if (lost !== undefined) replaceCut(entry, lost);
      const over = budget.addBytes(entry.expandedBytes);
      if (over !== undefined) {
        problems.push(over);
        break;
      }
      await this.addEntry(archive, entry, budget);
    }

    if (hidden.length > 0) {
      this.logger.info(`hidden ${archive.kind} entries skipped`, {
        file: archive.path,
        count: hidden.length,
      });
    }
    if (problems.length > 0) this.sink.addFailed(archive.path, problems.join('; '));
    if (this.sink.count === found) this.warnEmpty(archive, hidden);
  }

  /**
   * Expands gzip content that contains an archive (`.tar.gz`): its text goes to a temporary file
   * of the spool, within the budget, and is expanded from there. A gzip stream that fails part
   * way keeps the entries before the failure.
   */
  async expandGzip(
    archive: Omit<ArchiveInput, 'range'>,
    compressed: Readable,
    budget: ArchiveBudget,
  ): Promise<void> {
    const text = gunzip(compressed);
    const spooled = await this.spool.write(text, budget.remainingBytes, `.${archive.kind}`);
    for (const reason of readWarnings(text)) {
      this.logger.warn('input damaged', { file: archive.path, reason });
    }
    const failure = spooled.failure ?? readFailure(text);
    budget.addBytes(spooled.size);
    let lost: string | undefined;
    if (spooled.over) lost = budget.overBytes();
    else if (failure) lost = `its gzip stream fails, so the rest is lost: ${failure.message}`;
    const range = { path: spooled.path, start: 0, end: spooled.size };
    await this.expand({ ...archive, range }, budget, lost);
  }

  private async addEntry(
    archive: ArchiveInput,
    entry: ListedEntry,
    budget: ArchiveBudget,
  ): Promise<void> {
    const path = `${archive.path}/${entry.name}`;
    const key = `${archive.key}/${entry.name}`;
    if (entry.skipped !== undefined) {
      this.sink.addFailed(path, entry.skipped);
      return;
    }

    let kind: ContentKind;
    try {
      kind = await entry.sniff();
    } catch (error) {
      this.sink.addFailed(path, (error as Error).message);
      return;
    }
    if (kind.archive === undefined) {
      this.sink.add(leafInput(path, key, entry.size, entry.mtimeMs, entry.locator));
      return;
    }

    const depth = archive.depth + 1;
    if (depth > this.limits.maxDepth) {
      this.sink.addFailed(
        path,
        `an archive inside ${archive.depth} others, deeper than settings.limits.max_archive_depth ` +
          `(${this.limits.maxDepth}), so it is not read: extract it first`,
      );
      return;
    }
    const nested = { path, key, kind: kind.archive, depth };
    try {
      await this.expandNested(nested, entry, kind.gzip, budget);
    } catch (error) {
      this.sink.addFailed(path, (error as Error).message);
    }
  }

  /** Expands an archive inside another: in place when it is stored, else from the spool. */
  private async expandNested(
    nested: Omit<ArchiveInput, 'range'>,
    entry: ListedEntry,
    gzip: boolean,
    budget: ArchiveBudget,
  ): Promise<void> {
    if (gzip) {
      await this.expandGzip(nested, await entry.open(), budget);
      return;
    }
    const inPlace = await entry.inPlace();
    if (inPlace) {
      await this.expand({ ...nested, range: inPlace }, budget);
      return;
    }
    // The entry's declared size was counted, and its content cannot pass it.
    const spooled = await this.spool.write(await entry.open(), entry.size, `.${nested.kind}`);
    const range = { path: spooled.path, start: 0, end: spooled.size };
    const lost = spooled.failure
      ? `the entry that holds it fails, so the rest is lost: ${spooled.failure.message}`
      : undefined;
    await this.expand({ ...nested, range }, budget, lost);
  }

  /** Warns of an archive with no input files, as of a folder, naming its hidden entries. */
  private warnEmpty(archive: ArchiveInput, hidden: readonly ListedEntry[]): void {
    const fields: Record<string, unknown> = { file: archive.path };
    if (hidden.length > 0) {
      const names = hidden.slice(0, LISTED_HIDDEN_ENTRIES).map((entry) => entry.name);
      const more = hidden.length - names.length;
      fields.hidden = more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
    }
    this.logger.warn(`${archive.kind} archive contains no input files; check the path`, fields);
  }
}

function leafInput(
  path: string,
  key: string,
  size: number,
  mtimeMs: number | undefined,
  locator: ArchiveLocator,
): InputFile {
  return {
    path,
    key,
    size,
    mtimeMs,
    reopenable: true,
    locator,
    open: () => openArchiveEntry(locator),
  };
}

/** Sets the reason that a cut entry ends early, in place of the offset where it ends. */
function replaceCut(entry: ListedEntry, reason: string): void {
  const locator = entry.locator;
  if (locator.kind === 'range' && locator.cut !== undefined) locator.cut = reason;
  if (locator.kind === 'zip-entry' && locator.entry.cut !== undefined) locator.entry.cut = reason;
}

/**
 * Archive entries left out as folders leave out hidden entries: names with a part that starts
 * with a dot, and the `__MACOSX` folder of resource forks that the macOS archiver adds.
 */
function isHiddenEntry(name: string): boolean {
  return name.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

export type { ArchiveInput };
