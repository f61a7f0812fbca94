import { BlockList } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A set of IPv4 and IPv6 networks, matched by node's native BlockList. */
export class NetworkSet {
  private readonly list = new BlockList();
  private readonly ranges: { range: ipaddr.IPv4 | ipaddr.IPv6; prefix: number }[] = [];
  readonly texts: string[] = [];

  get size(): number {
    return this.texts.length;
  }

  /** Adds `10.0.0.0/8`, `2001:db8::/32` or a single address; returns an error message if invalid. */
  add(text: string): string | undefined {
    const parsed = parseNetwork(text);
    if (typeof parsed === 'string') return parsed;
    this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    this.ranges.push({ range: ipaddr.parse(parsed.address), prefix: parsed.prefix });
    this.texts.push(text);
    return undefined;
  }

  has(address: string | undefined): boolean {
    if (address === undefined || this.texts.length === 0) return false;
    const normalized = normalizeAddress(address);
    if (normalized === undefined) return false;
    return this.list.check(normalized.address, normalized.family);
  }

  /** Returns the first network, as added, that contains the address; undefined when none does. */
  find(address: string | undefined): string | undefined {
    if (address === undefined || !this.has(address)) return undefined;
    const normalized = normalizeAddress(address);
    if (normalized === undefined) return undefined;
    const parsed = ipaddr.parse(normalized.address);
    const index = this.ranges.findIndex(
      ({ range, prefix }) => range.kind() === parsed.kind() && parsed.match(range, prefix),
    );
    return this.texts[index];
  }
}

export function parseNetwork(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  try {
    if (text.includes('/')) {
      const [address, prefix] = ipaddr.parseCIDR(text.trim());
      const family = address.kind();
      return { address: address.toString(), prefix, family };
    }
    if (!isStrictAddress(text.trim())) throw new Error('not an address');
    const address = ipaddr.parse(text.trim());
    const family = address.kind();
    return { address: address.toString(), prefix: family === 'ipv4' ? 32 : 128, family };
  } catch {
    return `invalid network "${text}" (expected CIDR such as 198.51.100.0/24, or an address)`;
  }
}

const addressCache = new Map<string, { address: string; family: 'ipv4' | 'ipv6' } | undefined>();
const ADDRESS_CACHE_LIMIT = 100_000;

/**
 * Parses an address as logs write it, unmapping `::ffff:a.b.c.d` and dropping brackets, zones
 * and ports (`[2001:db8::1]:443`, `192.0.2.1:443`, as Microsoft 365 writes client addresses).
 */
export function normalizeAddress(
  text: string,
): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const cached = addressCache.get(text);
  if (cached !== undefined || addressCache.has(text)) return cached;
  let value = text.trim();
  if (value.startsWith('[') && value.includes(']')) value = value.slice(1, value.indexOf(']'));
  const port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(value);
  if (port) value = port[1] as string;
  const zone = value.indexOf('%');
  if (zone > 0) value = value.slice(0, zone);
  let result: { address: string; family: 'ipv4' | 'ipv6' } | undefined;
  if (isStrictAddress(value)) {
    const parsed = ipaddr.process(value);
    result = { address: parsed.toString(), family: parsed.kind() };
  }
  if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear();
  addressCache.set(text, result);
  return result;
}

/** Four-part dotted IPv4 or IPv6; ipaddr.js alone also accepts forms such as `1` or `0x7f.1`. */
function isStrictAddress(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}
