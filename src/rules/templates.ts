import type { Event } from '../model/event.js';
import { fieldAccessor } from './fields.js';

/**
 * Key templates of chain rules: literal text with `{Field}` or `{Field|filter|…}` parts, such
 * as `{Computer|host}/{TargetLogonId|hex}`. A template gives one key per combination of values
 * (a filter such as `remote_host` may give several), and none when a field it names is absent
 * or empty, so that an event without the field cannot link by that key. An optional part,
 * `{Field?}` or `{Field?|filter}`, renders as empty text instead, for a qualifier that only some
 * logs write (the `node` of audit records).
 */

export type TemplateFilter = (value: string) => string[];

const EMPTY = new Set(['', '-', 'null', 'n/a', '(null)']);

/** `\\FS01`, `fs01.corp.example.com`, `FS01$` → `fs01`. IP addresses stay whole. */
function hostName(value: string): string[] {
  let host = value.trim().replace(/^\\\\/, '').toLowerCase();
  if (host.endsWith('$')) host = host.slice(0, -1);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')) return [host];
  host = host.split('.')[0] ?? host;
  return host.length > 0 ? [host] : [];
}

/** `0x000000000058d874` and `0x58D874` → `0x58d874`; decimal ids are converted too. */
function hexId(value: string): string[] {
  const text = value.trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(text)) {
    const digits = text.slice(2).replace(/^0+(?=.)/, '');
    return [`0x${digits}`];
  }
  if (/^\d+$/.test(text)) return [`0x${BigInt(text).toString(16)}`];
  return [text];
}

/**
 * A Windows logon id for linking: normalized like `hex`, and nothing for the well-known ids that
 * every system process shares (0x0, SYSTEM 0x3e7, LOCAL SERVICE 0x3e5, NETWORK SERVICE 0x3e4),
 * which would join unrelated activity.
 */
function logonId(value: string): string[] {
  const [id] = hexId(value);
  if (id === undefined || SHARED_LOGON_IDS.has(id)) return [];
  return [id];
}

const SHARED_LOGON_IDS = new Set(['0x0', '0x3e7', '0x3e5', '0x3e4']);

/** `CONTOSO\jlee`, `jlee@contoso.com` → `jlee`. */
function userName(value: string): string[] {
  let user = value.trim().toLowerCase();
  const slash = user.lastIndexOf('\\');
  if (slash >= 0) user = user.slice(slash + 1);
  const at = user.indexOf('@');
  if (at > 0) user = user.slice(0, at);
  return user.length > 0 ? [user] : [];
}

const REMOTE_HOST_PATTERNS: RegExp[] = [
  /\\\\([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\\|\s|"|$)/g,
  /[/-]node:\s*"?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi,
  /[/-](?:r|remote):\s*"?(?:https?:\/\/)?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi,
  /[/-]v:\s*"?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi,
  /-ComputerName\s+"?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi,
];

/** Names of the host itself, which a command line can address without leaving it. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set([
  'localhost',
  '127.0.0.1',
  '::1',
  '[::1]',
  '.',
]);

/**
 * Host names a command line addresses remotely: UNC paths (`\\FS01\C$`, `psexec \\FS01`,
 * `sc \\FS01`), `wmic /node:`, `winrs -r:`, `mstsc /v:` and PowerShell `-ComputerName`.
 */
function remoteHosts(value: string): string[] {
  const hosts = new Set<string>();
  for (const pattern of REMOTE_HOST_PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of value.matchAll(pattern)) {
      for (const host of hostName(match[1] as string)) {
        if (!LOOPBACK_HOSTS.has(host)) hosts.add(host);
      }
    }
  }
  return [...hosts];
}

/**
 * Reads the string, number and boolean values of JSON text, as Entra audit records write
 * modified properties (`["4f1c…"]`, `"True"`, `[true]`). Text that is not JSON stays as it is.
 */
function jsonValues(value: string): string[] {
  const text = value.trim();
  const first = text.charAt(0);
  if (first !== '[' && first !== '{' && first !== '"') return [value];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [value];
  }
  const found: string[] = [];
  const collect = (item: unknown): void => {
    if (item === null || item === undefined) return;
    if (Array.isArray(item)) item.forEach(collect);
    else if (typeof item === 'object') Object.values(item).forEach(collect);
    else found.push(String(item));
  };
  collect(parsed);
  return found;
}

/** Splits a `;`- or `,`-separated list, as Entra writes service principal names, into items. */
function listItems(value: string): string[] {
  return value
    .split(/[;,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export const TEMPLATE_FILTERS: ReadonlyMap<string, TemplateFilter> = new Map<
  string,
  TemplateFilter
>([
  ['lower', (value) => [value.toLowerCase()]],
  ['host', hostName],
  ['hex', hexId],
  ['logon_id', logonId],
  ['user', userName],
  ['remote_host', remoteHosts],
  ['json', jsonValues],
  ['list', listItems],
]);

type Part = { literal: string } | { field: string; filters: TemplateFilter[]; optional: boolean };

export interface KeyTemplate {
  text: string;
  fields: string[];
  render(event: Event): string[];
}

/** Compiles a template; returns an error message when it is malformed or names an unknown filter. */
export function compileTemplate(text: string): KeyTemplate | string {
  const parts: Part[] = [];
  const fields: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    const close = rest.indexOf('}', open);
    if (close < 0) return `unclosed "{" in template "${text}"`;
    const [written = '', ...filterNames] = rest
      .slice(open + 1, close)
      .split('|')
      .map((item) => item.trim());
    const optional = written.endsWith('?');
    const field = optional ? written.slice(0, -1).trim() : written;
    if (field === '') return `empty field name in template "${text}"`;
    const filters: TemplateFilter[] = [];
    for (const name of filterNames) {
      const filter = TEMPLATE_FILTERS.get(name);
      if (!filter)
        return `unknown template filter "${name}" (known: ${[...TEMPLATE_FILTERS.keys()].join(', ')})`;
      filters.push(filter);
    }
    parts.push({ field, filters, optional });
    fields.push(field);
    rest = rest.slice(close + 1);
  }

  const accessors = new Map(fields.map((field) => [field, fieldAccessor(field)]));
  return {
    text,
    fields,
    render(event) {
      let keys = [''];
      for (const part of parts) {
        if ('literal' in part) {
          keys = keys.map((key) => key + part.literal);
          continue;
        }
        const values = fieldValues(accessors.get(part.field)?.get(event));
        let rendered = values;
        for (const filter of part.filters) rendered = rendered.flatMap(filter);
        rendered = rendered.filter((value) => !EMPTY.has(value.trim().toLowerCase()));
        if (rendered.length === 0) {
          if (!part.optional) return [];
          rendered = [''];
        }
        keys = keys.flatMap((key) => rendered.map((value) => key + value));
      }
      return keys;
    },
  };
}

function fieldValues(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(fieldValues);
  if (typeof value === 'object') return [];
  return [String(value)];
}
