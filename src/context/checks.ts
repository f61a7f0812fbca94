/**
 * Checks across the entries of a context file that the schema cannot make: party names used
 * twice, parties that no event can match, and allow entries that name a party the file does
 * not list. They read the parsed YAML as it is, so they run even when the schema rejects other
 * parts of the file, and every problem of the file is reported at once.
 */

type Report = (path: (string | number)[], code: string, message: string) => void;

/** The party fields that make an event belong to a party; `expected` only scopes it. */
const PARTY_MATCHERS = ['accounts', 'networks', 'tenants', 'cloud_accounts', 'apps'];

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function entries(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (isMap(item) ? item : {}));
}

/** Reports the cross-entry problems of a context file's content, as parsed from YAML. */
export function checkContextEntries(raw: unknown, report: Report): void {
  const config = isMap(raw) ? raw : {};
  const parties = entries(config.parties);

  // Names compare case-insensitively, as allow entries match them.
  const first = new Map<string, number>();
  parties.forEach((party, index) => {
    if (typeof party.name !== 'string' || party.name === '') return;
    const key = party.name.toLowerCase();
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, index);
      return;
    }
    report(
      ['parties', index, 'name'],
      'config.duplicate_party',
      `parties.${index}.name: party "${party.name}" is listed twice, first as parties.${earlier}`,
    );
  });

  parties.forEach((party, index) => {
    const matches = PARTY_MATCHERS.some(
      (field) => Array.isArray(party[field]) && (party[field] as unknown[]).length > 0,
    );
    if (matches) return;
    const name = typeof party.name === 'string' ? ` "${party.name}"` : '';
    report(
      ['parties', index],
      'config.party_without_matchers',
      `parties.${index}: party${name} lists none of ${PARTY_MATCHERS.join(', ')}, so no event can belong to it`,
    );
  });

  checkDomains(entries(config.domains), report);

  entries(config.allow).forEach((entry, index) => {
    if (typeof entry.party !== 'string' || entry.party === '') return;
    if (first.has(entry.party.toLowerCase())) return;
    const names = parties
      .map((party) => party.name)
      .filter((name): name is string => typeof name === 'string');
    const listed = names.length > 0 ? `its parties are ${names.join(', ')}` : 'it lists none';
    report(
      ['allow', index, 'party'],
      'config.unknown_party',
      `allow.${index}.party: "${entry.party}" is not a party of this file (${listed})`,
    );
  });
}

/**
 * Reports a NetBIOS name that two entries of `domains` declare and a DNS name listed twice,
 * because each name must name one domain. Names compare case-insensitively.
 */
function checkDomains(domains: Record<string, unknown>[], report: Report): void {
  const netbiosNames = new Map<string, number>();
  const dnsNames = new Map<string, string>();
  domains.forEach((domain, index) => {
    if (typeof domain.netbios === 'string' && domain.netbios !== '') {
      const key = domain.netbios.toLowerCase();
      const earlier = netbiosNames.get(key);
      if (earlier === undefined) {
        netbiosNames.set(key, index);
      } else {
        report(
          ['domains', index, 'netbios'],
          'config.duplicate_domain',
          `domains.${index}.netbios: NetBIOS name "${domain.netbios}" is declared twice, first in domains.${earlier}`,
        );
      }
    }

    if (!Array.isArray(domain.dns)) return;
    domain.dns.forEach((name: unknown, item) => {
      if (typeof name !== 'string' || name === '') return;
      const key = name.toLowerCase();
      const earlier = dnsNames.get(key);
      if (earlier === undefined) {
        dnsNames.set(key, `domains.${index}.dns.${item}`);
        return;
      }
      report(
        ['domains', index, 'dns', item],
        'config.duplicate_dns_name',
        `domains.${index}.dns.${item}: DNS name "${name}" is listed twice, first as ${earlier}`,
      );
    });
  });
}
