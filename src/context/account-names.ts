/**
 * Account names as Windows, Active Directory and identity providers spell them: `DOMAIN\user`
 * with a NetBIOS domain name, `corp.example.com\user` with a DNS one, and `user@domain` (a UPN
 * or a Kerberos principal). One account has several spellings, and `DomainDirectory` decides
 * which domain names name one domain:
 *
 * - the names that one entry of `domains` in the context file lists are one domain;
 * - otherwise a DNS name maps to the NetBIOS name equal to its first label, unless that
 *   NetBIOS name is declared in `domains` without this DNS name.
 *
 * A name counts as a DNS name when it contains a dot: NetBIOS domain names cannot.
 */

/** The domain and user parts of an account name, as written. */
export interface AccountName {
  domain: string;
  user: string;
}

/** One entry of `domains`: a NetBIOS name and the DNS names and UPN suffixes of that domain. */
export interface DomainConfig {
  netbios: string;
  dns: string[];
}

/** A declared domain, its names in lower case. */
export interface DeclaredDomain {
  netbios: string;
  dns: readonly string[];
}

/** Characters that no domain name and no user part of an account name contains. */
const NOT_IN_ACCOUNT = /[/:]/;

/**
 * Splits `DOMAIN\user` at its first backslash and `user@domain` at its last `@`. Returns
 * undefined for a name without a domain, with an empty part, or with `/` or `:` in a part, so
 * that ARNs and URLs that contain an `@` are no account names.
 */
export function splitAccountName(name: string): AccountName | undefined {
  const backslash = name.indexOf('\\');
  let domain: string;
  let user: string;
  if (backslash >= 0) {
    domain = name.slice(0, backslash);
    user = name.slice(backslash + 1);
  } else {
    const at = name.lastIndexOf('@');
    if (at < 0) return undefined;
    user = name.slice(0, at);
    domain = name.slice(at + 1);
  }

  if (domain === '' || user === '' || domain.includes('@')) return undefined;
  if (NOT_IN_ACCOUNT.test(domain) || NOT_IN_ACCOUNT.test(user)) return undefined;
  if (isDnsName(domain) && !/^[^.\s]+(\.[^.\s]+)+$/.test(domain)) return undefined;
  return { domain, user };
}

export function isDnsName(domain: string): boolean {
  return domain.includes('.');
}

function firstLabel(dns: string): string {
  const dot = dns.indexOf('.');
  return dot < 0 ? dns : dns.slice(0, dot);
}

/** The domains of the context file, and the rule that relates NetBIOS and DNS names. */
export class DomainDirectory {
  private readonly byNetbios = new Map<string, DeclaredDomain>();
  private readonly byDns = new Map<string, DeclaredDomain>();

  /** Takes validated entries: NetBIOS and DNS names differ between entries. */
  constructor(domains: readonly DomainConfig[] = []) {
    for (const entry of domains) {
      const declared = {
        netbios: entry.netbios.toLowerCase(),
        dns: entry.dns.map((name) => name.toLowerCase()),
      };
      this.byNetbios.set(declared.netbios, declared);
      for (const name of declared.dns) this.byDns.set(name, declared);
    }
  }

  /** Returns the declared domain that a NetBIOS or DNS name belongs to. */
  declared(domain: string): DeclaredDomain | undefined {
    const lower = domain.toLowerCase();
    return isDnsName(lower) ? this.byDns.get(lower) : this.byNetbios.get(lower);
  }

  /** Checks whether `domains` declares this NetBIOS name. */
  declaresNetbios(netbios: string): boolean {
    return this.byNetbios.has(netbios.toLowerCase());
  }

  /**
   * Returns the NetBIOS name, in lower case, that a DNS name maps to: the declared one, else
   * its first label. Undefined when the first label is a declared NetBIOS name whose entry does
   * not list this DNS name.
   */
  netbiosOf(dns: string): string | undefined {
    const lower = dns.toLowerCase();
    const declared = this.byDns.get(lower);
    if (declared) return declared.netbios;
    const label = firstLabel(lower);
    return this.byNetbios.has(label) ? undefined : label;
  }

  /**
   * Returns the one form under which baselines keep an account: `netbios\user` in lower case,
   * with the NetBIOS name that the domain maps to, or the DNS name when it maps to none.
   * A name without a domain stays as it is, in lower case.
   */
  actorKey(name: string): string {
    const parts = splitAccountName(name);
    if (!parts) return name.toLowerCase();
    const domain = parts.domain.toLowerCase();
    const declared = this.declared(domain);
    let key = domain;
    if (declared) key = declared.netbios;
    else if (isDnsName(domain)) key = this.netbiosOf(domain) ?? domain;
    return `${key}\\${parts.user.toLowerCase()}`;
  }
}
