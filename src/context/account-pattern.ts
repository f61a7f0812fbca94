import {
  type AccountName,
  type DomainDirectory,
  isDnsName,
  splitAccountName,
} from './account-names.js';
import { compileGlob, type Glob } from './glob.js';

/**
 * Account patterns of the context file (`accounts`, `allow[].actor`) and of `baseline show
 * --actor`. A pattern matches a value when its glob matches the value as written, or when both
 * name a domain and an account, the user parts match as globs and the domains are one:
 *
 * - `D\u` with a NetBIOS name `D` also matches `D.any.name\u` and `u@D.any.name`;
 * - `dns.name\u` and `u@dns.name` match each other, and `N\u` where `N` is the first label of
 *   `dns.name`, when that label has no wildcard;
 * - the names that one entry of `domains` lists all match each other, and a NetBIOS name
 *   declared there matches only the DNS names its entry lists.
 *
 * A name without a domain (`pgustavo`) matches only as written, because it may be a local
 * account of any host.
 */
export function compileAccountPattern(pattern: string, directory: DomainDirectory): Glob {
  const written = compileGlob(pattern);
  const parts = splitAccountName(pattern);
  if (!parts) return written;

  const domain = compileDomainPattern(parts, directory);
  const user = compileGlob(parts.user);
  return {
    pattern,
    test(value: string): boolean {
      if (written.test(value)) return true;
      const name = splitAccountName(value);
      return name !== undefined && user.test(name.user) && domain(name.domain);
    },
  };
}

/** Compiles the domain part of a pattern into a test of the domain part of a value. */
function compileDomainPattern(
  parts: AccountName,
  directory: DomainDirectory,
): (domain: string) => boolean {
  const glob = compileGlob(parts.domain);
  const dns = isDnsName(parts.domain);
  const wildcard = /[*?]/;
  const literal = !wildcard.test(parts.domain);
  const label = parts.domain.slice(0, parts.domain.indexOf('.')).toLowerCase();
  // The NetBIOS name a DNS pattern maps to, when its first label is a literal.
  let netbios: string | undefined;
  if (dns && literal) netbios = directory.netbiosOf(parts.domain);
  else if (dns && !wildcard.test(label) && !directory.declaresNetbios(label)) netbios = label;

  return (domain) => {
    if (glob.test(domain)) return true;

    const declared = directory.declared(domain);
    if (declared)
      return glob.test(declared.netbios) || declared.dns.some((name) => glob.test(name));

    if (isDnsName(domain)) {
      const mapped = directory.netbiosOf(domain);
      return !dns && mapped !== undefined && glob.test(mapped);
    }
    return netbios !== undefined && netbios === domain.toLowerCase();
  };
}
