import { Readable } from 'node:stream';
import { InputError } from '../../model/errors.js';
import { gunzipIfMagic } from '../open.js';
import { type ByteRange, readRange } from './byte-range.js';
import { openEntryData, type ZipEntryLocation } from './zip-entry.js';

/**
 * Location of an archive entry's bytes, as plain data that a worker thread can open again: a
 * range of a file (a tar entry), or a zip entry from its local file header.
 */
export type ArchiveLocator =
  | { kind: 'range'; range: ByteRange; cut?: string }
  | { kind: 'zip-entry'; entry: ZipEntryLocation };

/** Opens an archive entry's content; gzip content inside the entry is decompressed too. */
export async function openArchiveEntry(locator: ArchiveLocator): Promise<Readable> {
  if (locator.kind === 'zip-entry') return gunzipIfMagic(await openEntryData(locator.entry));
  const bytes = readRange(locator.range);
  const cut = locator.cut;
  if (cut === undefined) return gunzipIfMagic(bytes);
  return gunzipIfMagic(Readable.from(thenFail(bytes, cut), { objectMode: false }));
}

/** Passes on a cut entry's bytes, then fails with why the rest is missing. */
async function* thenFail(bytes: Readable, cut: string) {
  try {
    for await (const chunk of bytes) yield chunk as Buffer;
  } finally {
    bytes.destroy();
  }
  throw new InputError('input.archive_cut', cut);
}
