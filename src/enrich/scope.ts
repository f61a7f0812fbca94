import ipaddr from 'ipaddr.js';
import type { Party } from '../context/context.js';
import { describeLocalTime, withinHours } from '../context/hours.js';
import type { Event } from '../model/event.js';

/**
 * The expected scope of a party's events: hosts, source networks and working hours. Leaving it
 * is reported as `trust.in_scope: false` with the reasons in `trust.scope_reason`.
 */

/** Lists how an event of a party leaves the party's expected scope. */
export function scopeViolations(party: Party, event: Event): string[] {
  const reasons: string[] = [];
  const expected = party.expected;
  const host = event.core.host;

  if (expected.hosts.length > 0 && host !== undefined) {
    const short = host.split('.')[0] ?? host;
    const known = expected.hosts.some((glob) => glob.test(host) || glob.test(short));
    if (!known) reasons.push(`host ${host} is outside the expected hosts`);
  }

  const address = event.core.srcIp;
  if (address !== undefined && !party.networks.has(address) && !expected.networks.has(address)) {
    if (expected.networks.size > 0) {
      reasons.push(`source ${address} is outside the expected networks`);
    } else if (party.networks.size > 0 && isExternalAddress(address)) {
      // A party's own networks are where it comes from; inside the customer's networks its
      // sessions hop between hosts, so only addresses outside them are judged.
      reasons.push(`source ${address} is outside the party's networks`);
    }
  }

  if (expected.hours.length > 0 && Number.isFinite(event.time)) {
    if (!expected.hours.some((range) => withinHours(range, event.time))) {
      const first = expected.hours[0];
      if (first) {
        reasons.push(
          `${describeLocalTime(first, event.time)} is outside the expected hours ${expected.hours.map((range) => range.text).join(', ')}`,
        );
      }
    }
  }
  return reasons;
}

const INTERNAL_RANGES: ReadonlySet<string> = new Set([
  'private',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'carrierGradeNat',
  'unspecified',
  'broadcast',
  'multicast',
]);

/** True for an address that is not private, loopback, link-local or otherwise internal. */
function isExternalAddress(text: string): boolean {
  const bare = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  return !INTERNAL_RANGES.has(ipaddr.process(bare).range());
}
