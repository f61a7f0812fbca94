import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { SettingsConfig } from './schema.js';

/**
 * The geolocation databases that `settings.geo` names, checked when the context loads, so that a
 * wrong path fails before a scan instead of part way through it. A relative path is read from
 * the context file's folder, not from the current one.
 */

/** The MaxMind DB metadata starts after this marker, within the last 128 KiB of the file. */
const MMDB_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com')]);
const MMDB_METADATA_BYTES = 128 * 1024;

/** First line of an ip-location-db numeric ASN table: `start,end,asn,organisation`. */
const ASN_CSV_LINE = /^\d+,\d+,\d+,/;
const CSV_HEAD_BYTES = 4096;

type GeoSettings = SettingsConfig['geo'];
type Report = (path: (string | number)[], code: string, message: string) => void;

const KEYS = ['country_database', 'asn_database'] as const;

/**
 * Replaces relative database paths in `geo` by absolute ones, read from the folder of `file`
 * (the current folder when there is no file), and reports each database that geolocation would
 * use but cannot open or read as its format.
 */
export function resolveGeoDatabases(
  file: string | undefined,
  geo: GeoSettings,
  report: Report,
): void {
  for (const key of KEYS) {
    const configured = geo[key];
    if (configured === undefined) continue;
    const path =
      file === undefined || isAbsolute(configured)
        ? configured
        : resolve(dirname(file), configured);
    geo[key] = path;
    if (!geo.enabled) continue;

    const format = key === 'country_database' || path.endsWith('.mmdb') ? 'mmdb' : 'csv';
    const problem = checkDatabase(path, format);
    if (problem === undefined) continue;
    const from =
      path === configured ? '' : ` (from "${configured}", read from the context file's folder)`;
    report(
      ['settings', 'geo', key],
      'config.geo_database',
      `settings.geo.${key}: ${problem}${from}`,
    );
  }
}

/** Returns why the database at `path` cannot be used, or undefined when it can. */
function checkDatabase(path: string, format: 'mmdb' | 'csv'): string | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `database not found: ${path}`;
    return `failed to open database ${path}: ${(error as Error).message}`;
  }
  try {
    const info = fstatSync(descriptor);
    if (!info.isFile()) return `database ${path} is not a file`;
    if (format === 'mmdb') {
      const length = Math.min(info.size, MMDB_METADATA_BYTES);
      const tail = readAt(descriptor, info.size - length, length);
      if (tail.lastIndexOf(MMDB_MARKER) < 0) {
        return `database ${path} is not a MaxMind DB file: it has no metadata marker`;
      }
      return undefined;
    }
    const head = readAt(descriptor, 0, Math.min(info.size, CSV_HEAD_BYTES)).toString('utf8');
    if (!ASN_CSV_LINE.test(head)) {
      return `database ${path} is neither a MaxMind DB file (.mmdb) nor an ASN CSV whose lines are start,end,asn,organisation with numeric addresses`;
    }
    return undefined;
  } catch (error) {
    return `failed to read database ${path}: ${(error as Error).message}`;
  } finally {
    closeSync(descriptor);
  }
}

function readAt(descriptor: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(descriptor, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}
