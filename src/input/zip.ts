import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { InputError } from '../model/errors.js';
import { gunzipIfCompressed } from './open.js';

export interface ZipEntryInfo {
  name: string;
  size: number;
  mtimeMs: number;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) reject(damaged(error));
      else resolve(zip);
    });
  });
}

function damaged(error: Error | null): InputError {
  return new InputError('input.zip', `damaged zip archive: ${error?.message ?? 'unreadable'}`);
}

/** Lists the file entries of a zip archive in archive order, leaving out folders. */
export async function listZipEntries(path: string): Promise<ZipEntryInfo[]> {
  const zip = await openZip(path);
  const entries: ZipEntryInfo[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) {
          entries.push({
            name: entry.fileName,
            size: entry.uncompressedSize,
            mtimeMs: entry.getLastModDate().getTime(),
          });
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (error: Error) => reject(damaged(error)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** Opens one entry of a zip archive; gzip content inside the entry is decompressed too. */
export async function openZipEntry(path: string, name: string): Promise<Readable> {
  const zip = await openZip(path);
  return new Promise((resolve, reject) => {
    let found = false;
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName !== name) {
        zip.readEntry();
        return;
      }
      found = true;
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) {
          zip.close();
          reject(new InputError('input.zip', `cannot read zip entry ${name}: ${error?.message}`));
          return;
        }
        stream.on('end', () => zip.close());
        stream.on('close', () => zip.close());
        resolve(gunzipIfCompressed(stream));
      });
    });
    zip.on('end', () => {
      if (!found) {
        zip.close();
        reject(new InputError('input.zip', `zip entry ${name} not found in ${path}`));
      }
    });
    zip.on('error', (error: Error) => reject(damaged(error)));
    zip.readEntry();
  });
}
