import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { Logger } from '../../model/logger.js';
import { type ByteRange, readRange } from './byte-range.js';
import type { ArchiveBudget } from './limits.js';
import type { ArchiveLocator } from './locate.js';
import { type ArchiveKind, type ContentKind, sniffContent } from './sniff.js';
import { listTar, type TarEntryInfo } from './tar.js';
import { findEndRecord, listCentralDirectory, type ZipEntryInfo } from './zip-directory.js';
import { openEntryData, peekEntry, storedEntryRange } from './zip-entry.js';
import { walkLocalHeaders } from './zip-local.js';

/** An archive to expand, as a range of a file on disk. */
export interface ArchiveInput {
  /** Path shown for the archive: the command-line path, joined with its path inside others. */
  path: string;
  key: string;
  kind: ArchiveKind;
  range: ByteRange;
  /** 1 for an archive given as input, 2 for an archive inside it, and so on. */
  depth: number;
}

/** An entry of a zip or tar archive, as expansion handles both. */
export interface ListedEntry {
  name: string;
  /** Declared size of the entry's content. */
  size: number;
  mtimeMs: number | undefined;
  folder: boolean;
  /** Reason the entry is not read, or undefined for an entry to read. */
  skipped?: string;
  /** Bytes that decompression makes to read the entry, counted against the budget. */
  expandedBytes: number;
  locator: ArchiveLocator;
  /** Returns what the entry's first bytes are. */
  sniff(): Promise<ContentKind>;
  /** Returns the entry's range in the archive's file when it is stored as is. */
  inPlace(): Promise<ByteRange | undefined>;
  /** Opens the entry's content as stored, decompressed from the archive's own compression. */
  open(): Promise<Readable>;
}

export interface Listing {
  entries: ListedEntry[];
  /** Why entries are missing: damage, a cut, or a limit; undefined when none are. */
  stop: string | undefined;
}

/**
 * Lists an archive's entries, up to the entries left in the budget, which counts them. Damage
 * that loses entries is returned as `stop`; damage that loses none is logged as a warning.
 */
export async function listArchive(
  archive: ArchiveInput,
  budget: ArchiveBudget,
  logger: Logger,
): Promise<Listing> {
  const room = Math.max(0, budget.limits.maxEntries - budget.entries);
  const listed =
    archive.kind === 'zip'
      ? await listZip(archive, room + 1, budget.remainingBytes, logger)
      : await listTarEntries(archive, room + 1, logger);
  const over = budget.addEntries(listed.count);
  return {
    entries: listed.entries.slice(0, room),
    stop: [listed.stop, over].filter((reason) => reason !== undefined).join('; ') || undefined,
  };
}

interface Listed extends Listing {
  /** Entries listed, of every type. */
  count: number;
}

async function listZip(
  archive: ArchiveInput,
  maxEntries: number,
  maxInflated: number,
  logger: Logger,
): Promise<Listed> {
  let directoryError: Error;
  try {
    const entries = await listCentralDirectory(archive.range, maxEntries);
    return { entries: entries.map(zipEntry), count: entries.length, stop: undefined };
  } catch (error) {
    directoryError = error as Error;
  }

  const directoryOffset = findEndRecord(archive.range)?.directoryOffset;
  const walk = await walkLocalHeaders(archive.range, maxEntries, maxInflated, directoryOffset);
  const damage = directoryError.message.replace(/\.+$/, '');
  const entries = walk.entries.map(zipEntry);
  const count = walk.entries.length;
  if (count === 0) {
    const reason = walk.stop ?? 'it contains no local file header';
    return {
      entries,
      count,
      stop: `${damage}, and no entry was found from the local file headers either: ${reason}`,
    };
  }
  const found = `${count} ${count === 1 ? 'entry was' : 'entries were'} found from the local file headers`;
  if (walk.stop === undefined) {
    logger.warn('zip archive damaged: its entries were found from their local file headers', {
      file: archive.path,
      reason: damage,
      entries: count,
    });
    return { entries, count, stop: undefined };
  }
  return { entries, count, stop: `${damage}. ${found}, then ${walk.stop}` };
}

function zipEntry(info: ZipEntryInfo): ListedEntry {
  const location = info.location;
  const entry: ListedEntry = {
    name: info.name,
    size: info.size,
    mtimeMs: Number.isFinite(info.mtimeMs) ? info.mtimeMs : undefined,
    folder: info.folder,
    expandedBytes: info.folder || info.skipped !== undefined ? 0 : info.size,
    locator: { kind: 'zip-entry', entry: location },
    sniff: async () => sniffContent(await peekEntry(location)),
    inPlace: () => storedEntryRange(location),
    open: () => openEntryData(location),
  };
  if (info.skipped !== undefined) entry.skipped = info.skipped;
  return entry;
}

async function listTarEntries(
  archive: ArchiveInput,
  maxEntries: number,
  logger: Logger,
): Promise<Listed> {
  const listing = await listTar(archive.range, maxEntries);
  if (listing.others > 0) {
    logger.info('tar entries that are links, devices or FIFOs skipped', {
      file: archive.path,
      count: listing.others,
    });
  }
  const stop = listing.stop === undefined ? undefined : `damaged tar archive: ${listing.stop}`;
  return { entries: listing.entries.map(tarEntry), count: listing.count, stop };
}

function tarEntry(info: TarEntryInfo): ListedEntry {
  const name = info.name.replace(/^(\.\/)+/, '');
  const locator: ArchiveLocator = { kind: 'range', range: info.range };
  if (info.cut !== undefined) locator.cut = info.cut;
  const entry: ListedEntry = {
    name,
    size: info.size,
    mtimeMs: Number.isFinite(info.mtimeMs) ? info.mtimeMs : undefined,
    folder: false,
    expandedBytes: 0,
    locator,
    sniff: async () => info.kind,
    inPlace: async () => info.range,
    open: async () => readRange(info.range),
  };
  const unsafe = yauzl.validateFileName(name);
  if (unsafe !== null) entry.skipped = `unsafe entry name (${unsafe}), so the entry is skipped`;
  else if (info.skipped !== undefined) entry.skipped = info.skipped;
  return entry;
}
