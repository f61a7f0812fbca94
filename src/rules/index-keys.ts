import type { MatchMode, Token } from './values.js';
import { AFFIX_LENGTH } from './word-scan.js';

/**
 * Index keys: necessary conditions that the detector's rule index looks up per event. A rule's
 * requirement is a set of (key, value) pairs, and at least one pair is true for every event the
 * rule matches. So an event that meets none of them is never shown the rule. Four kinds of keys:
 *
 * - `=Field`: the lower-cased field equals the value (Sigma equality, `EventID: 4688`);
 * - `~Field`: the lower-cased field contains the value as a whole word, a run of `[a-z0-9]`
 *   bounded by other characters or the ends of the field. A pattern such as
 *   `Image|endswith: '\sc.exe'` requires the word `sc`, since whatever precedes `\` and follows
 *   `.exe` cannot extend it;
 * - `^Field` and `$Field`: a word of the lower-cased field starts, or ends, with the value, which
 *   has `AFFIX_LENGTH` characters. `contains: 'Get-ADPrincipalGroupMembership'` has no whole
 *   word, but a word of the field ends with `get` and one starts with `adpr`.
 * - `*Field`: the lower-cased field contains the value, for a pattern that gives none of the
 *   word keys, such as `Description|contains: 'Certify'` or `contains: '-nop'`.
 *
 * word-scan.ts finds the words, starts and ends of an event's values, and substring-scan.ts the
 * substrings.
 */

/** key → values; at least one pair holds for every match. */
export type Requirement = Map<string, ReadonlySet<string>>;

const WORD = /[a-z0-9]+/g;

/**
 * Words too frequent in Windows paths, command lines, registry keys and PowerShell to narrow
 * anything down, so a pattern uses one only when it has no other. Some are labels that Windows
 * writes into every event of a kind. Each PowerShell module event (4103) has `Command Name =`
 * in its `ContextInfo` and `CommandInvocation(` or `ParameterBinding(` in its `Payload`, and
 * service keys sit under `\System\CurrentControlSet\Services`. Others name the processes that
 * run on every Windows host, and the commonest PowerShell verb: 121,103 of the OTRF
 * events have `svchost` in `TargetImage`.
 */
const COMMON_WORDS = new Set([
  'exe',
  'dll',
  'c',
  'windows',
  'system32',
  'syswow64',
  'program',
  'files',
  'x86',
  'users',
  'appdata',
  'local',
  'roaming',
  'temp',
  'microsoft',
  'programdata',
  'hklm',
  'hkcu',
  'hku',
  'software',
  'currentversion',
  'powershell',
  'object',
  'new',
  'system',
  'currentcontrolset',
  'control',
  'services',
  'command',
  'commandinvocation',
  'parameterbinding',
  'name',
  'type',
  'value',
  'host',
  'get',
  'svchost',
  'explorer',
  'conhost',
  'wmiprvse',
  'werfault',
  'wbem',
]);

/** Returns the words of a lower-cased field value. */
export function wordsOf(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** A word start or end is less rare than a whole word of its length. */
const AFFIX_WEIGHT = 4;

/**
 * Pattern of a decimal or hexadecimal number in an index key, also as Sysmon writes registry
 * numbers (`DWORD (0x00000001)`). Such values are codes, such as an access mask, a logon type
 * or a status, with few values each, so each value is common. For example, 129,000 of the
 * 223,000 Sysmon process access events of the OTRF set have `GrantedAccess: 0x1400`.
 */
const NUMBER_KEY = /^(?:0x[0-9a-f]+|-?\d+|[dq]word \(0x[0-9a-f]+\))$/;

/** Weight of an equality with a number, the same as a word start or end. */
const NUMBER_WEIGHT = 4;

/**
 * Shortest substring that a `*` key names. Shorter ones, such as `.js` or `\\`, occur in too
 * many values to narrow anything down.
 */
export const MIN_SUBSTRING_LENGTH = 4;

/** Substrings up to this length weigh as much as a word start or end, and longer ones less. */
const SHORT_SUBSTRING_LENGTH = 5;

/**
 * Fields that name where an event was logged, with a few values that each cover a large share of
 * events: `Channel: Security` is in 104,952 of the 647,017 OTRF Windows events. A rule's
 * `EventID` is the better key.
 */
const SOURCE_FIELDS = new Set(['=Channel', '=Provider_Name', '=SourceName']);

/**
 * Fields whose values are a short list of kinds, states or vendors, so that each value is
 * common. Of the 647,017 OTRF Windows events, 87,504 have `EventType: CreateKey` and 57,134
 * `Company: Microsoft Corporation`. A word of another field of the rule is the better key.
 */
const FEW_VALUE_FIELDS = new Set(
  [
    'EventType',
    'ObjectServer',
    'ObjectType',
    'Initiated',
    'Signed',
    'SignatureStatus',
    'Protocol',
    'IntegrityLevel',
    'AuthenticationPackageName',
    'LogonProcessName',
    'Company',
    'Product',
  ].map((field) => `=${field}`),
);

/** Weight of an equality on one of `FEW_VALUE_FIELDS`, the same as a word of two characters. */
const FEW_VALUE_WEIGHT = 8;

/**
 * Tells whether an index key on field `to` weighs as one on field `from` for every value and
 * kind. Only the source fields and the fields of few values weigh otherwise.
 */
export function weighsAlike(from: string, to: string): boolean {
  return fieldClass(`=${from}`) === fieldClass(`=${to}`);
}

function fieldClass(key: string): 'source' | 'few' | 'other' {
  if (SOURCE_FIELDS.has(key)) return 'source';
  return FEW_VALUE_FIELDS.has(key) ? 'few' : 'other';
}

function weight(key: string, value: string): number {
  const kind = key[0];
  if (kind === '=') {
    if (SOURCE_FIELDS.has(key)) return 20;
    if (NUMBER_KEY.test(value)) return NUMBER_WEIGHT;
    return FEW_VALUE_FIELDS.has(key) ? FEW_VALUE_WEIGHT : 1;
  }
  if (kind === '*') return substringWeight(value);
  if (kind === '^' || kind === '$') {
    return COMMON_AFFIXES.has(`${kind}${value}`) ? 20 : AFFIX_WEIGHT;
  }
  if (COMMON_WORDS.has(value)) return 20;
  if (value.length <= 2) return 8;
  return value.length === 3 ? 3 : 1;
}

/** Weight of a substring: as a common word when all its words are common ones. */
function substringWeight(value: string): number {
  const words = wordsOf(value);
  if (words.length > 0 && words.every((word) => COMMON_WORDS.has(word))) return 20;
  return value.length <= SHORT_SUBSTRING_LENGTH ? AFFIX_WEIGHT : 3;
}

/** Starts (`^…`) and ends (`$…`) of the common words, as index keys name them. */
const COMMON_AFFIXES = new Set(
  [...COMMON_WORDS]
    .filter((word) => word.length >= AFFIX_LENGTH)
    .flatMap((word) => [`^${word.slice(0, AFFIX_LENGTH)}`, `$${word.slice(-AFFIX_LENGTH)}`]),
);

/** Estimated cost of a requirement: how often its pairs may hold. */
export function requirementCost(requirement: Requirement): number {
  let cost = 0;
  for (const [key, values] of requirement) for (const value of values) cost += weight(key, value);
  return cost;
}

/** Picks the cheapest of requirements that are all true (an AND); undefined when none is known. */
export function cheapest(
  requirements: readonly (Requirement | undefined)[],
): Requirement | undefined {
  let best: Requirement | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const requirement of requirements) {
    if (!requirement || requirement.size === 0) continue;
    const cost = requirementCost(requirement);
    if (cost < bestCost) {
      best = requirement;
      bestCost = cost;
    }
  }
  return best;
}

/** Unites requirements of which one is true (an OR); undefined unless each is known. */
export function union(requirements: readonly (Requirement | undefined)[]): Requirement | undefined {
  const result = new Map<string, Set<string>>();
  for (const requirement of requirements) {
    if (!requirement || requirement.size === 0) return undefined;
    for (const [key, values] of requirement) {
      const set = result.get(key) ?? new Set<string>();
      for (const value of values) set.add(value);
      result.set(key, set);
    }
  }
  return result.size > 0 ? result : undefined;
}

/**
 * Equality facts: `=Field` keys, each with the values one of which the field has in every match.
 * Unlike a requirement, whose pairs are alternatives, all entries hold at once. The detector may
 * split a mapping's rules by the values of one such field, such as `EventID`, so that an event
 * is shown only the index keys of rules for its own event id (rule-index.ts).
 */
export type Equalities = ReadonlyMap<string, ReadonlySet<string>>;

const NO_EQUALITIES: Equalities = new Map();

/** Returns the equality fact that a field test's requirement gives: one `=` key, if that. */
export function equalitiesOf(requirement: Requirement | undefined): Equalities {
  if (requirement === undefined || requirement.size !== 1) return NO_EQUALITIES;
  const [key, values] = requirement.entries().next().value as [string, ReadonlySet<string>];
  return key[0] === '=' ? new Map([[key, values]]) : NO_EQUALITIES;
}

/**
 * Joins the facts of tests that all pass (an AND). A field in several keeps its smallest set:
 * each is true alone, and values are compared only after the index's normalizing (`0x10`, `16`).
 */
export function allEqualities(all: readonly (Equalities | undefined)[]): Equalities {
  let result: Map<string, ReadonlySet<string>> | undefined;
  for (const equalities of all) {
    if (equalities === undefined || equalities.size === 0) continue;
    result ??= new Map();
    for (const [key, values] of equalities) {
      const known = result.get(key);
      if (known === undefined || values.size < known.size) result.set(key, values);
    }
  }
  return result ?? NO_EQUALITIES;
}

/** Joins the facts of alternatives (an OR): a field that each has, with all their values. */
export function anyEqualities(all: readonly (Equalities | undefined)[]): Equalities {
  const first = all[0];
  if (first === undefined || first.size === 0) return NO_EQUALITIES;
  const result = new Map<string, ReadonlySet<string>>();
  for (const [key, values] of first) {
    const united = new Set(values);
    let everywhere = true;
    for (const other of all.slice(1)) {
      const more = other?.get(key);
      if (more === undefined) {
        everywhere = false;
        break;
      }
      for (const value of more) united.add(value);
    }
    if (everywhere) result.set(key, united);
  }
  return result;
}

/** An index key that a pattern guarantees: its kind (`~`, `^`, `$` or `*`) and value. */
export interface PatternKey {
  kind: '~' | '^' | '$' | '*';
  value: string;
}

/**
 * Returns the best key that a value in `mode` guarantees in the field, or undefined. Text next to
 * a wildcard, a character class or an unanchored end may continue in the field, so a word touching
 * it is not whole. Such a word is the end of a word of the field when the open side comes first,
 * and the start of one when it comes last. A word open on both sides gives no key.
 */
export function patternKey(tokens: readonly Token[], mode: MatchMode): PatternKey | undefined {
  const openStart = mode === 'contains' || mode === 'endswith';
  const openEnd = mode === 'contains' || mode === 'startswith';
  let best: PatternKey | undefined;
  let bestWeight = Number.POSITIVE_INFINITY;
  let bestLength = 0;
  tokens.forEach((token, index) => {
    if (token.kind !== 'text') return;
    const text = token.text.toLowerCase();
    const startOpen = index > 0 || openStart;
    const endOpen = index < tokens.length - 1 || openEnd;
    for (const match of text.matchAll(WORD)) {
      const at = match.index as number;
      const word = match[0];
      const key = wordKey(word, at === 0 && startOpen, at + word.length === text.length && endOpen);
      if (key === undefined) continue;
      const cost = weight(key.kind, key.value);
      if (cost < bestWeight || (cost === bestWeight && word.length > bestLength)) {
        best = key;
        bestWeight = cost;
        bestLength = word.length;
      }
    }
  });
  if (best !== undefined && bestWeight < WEAK_WORD_WEIGHT) return best;
  const text = textKey(tokens);
  if (text === undefined) return best;
  return best === undefined || weight(`*`, text.value) < bestWeight ? text : best;
}

/**
 * Weight from which a pattern's best word key yields to the substring key of its longest literal
 * when that weighs less: a word of one or two characters, or a common word. A run key path such
 * as `\software\microsoft\windows\currentversion\run` has only common words and a short one,
 * so every registry or PowerShell text with `software` in it was shown the rule. Word starts and
 * ends keep their keys: each such pattern's substring would join one alternation per field, and
 * process creation rules have thousands.
 */
const WEAK_WORD_WEIGHT = 8;

/** ASCII text, which lower-casing maps one character to one, whatever surrounds it. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Returns the `*` key of the pattern's longest literal text, which every match contains. Only an
 * ASCII text gets one. Lower-casing maps each of its characters to one character, and the field
 * is lower-cased as the rule's own test lower-cases it, so a field that matches contains the
 * key whether the test folds case or not.
 */
function textKey(tokens: readonly Token[]): PatternKey | undefined {
  let longest = '';
  for (const token of tokens) {
    if (token.kind === 'text' && token.text.length > longest.length) longest = token.text;
  }
  const value = substringKey(longest);
  return value === undefined ? undefined : { kind: '*', value };
}

/** Returns the `*` key value of a literal that every match contains, or undefined. */
export function substringKey(literal: string): string | undefined {
  if (literal.length < MIN_SUBSTRING_LENGTH || !ASCII.test(literal)) return undefined;
  return literal.toLowerCase();
}

/** Returns the key of a pattern's word, given whether the field may extend it on each side. */
function wordKey(word: string, openBefore: boolean, openAfter: boolean): PatternKey | undefined {
  if (!openBefore && !openAfter) return { kind: '~', value: word };
  if (openBefore && openAfter) return undefined;
  if (word.length < AFFIX_LENGTH) return undefined;
  return openBefore
    ? { kind: '$', value: word.slice(-AFFIX_LENGTH) }
    : { kind: '^', value: word.slice(0, AFFIX_LENGTH) };
}
