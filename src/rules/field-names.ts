import type { LocatedText } from '../context/yaml-view.js';
import type { LogSource } from '../model/event.js';
import type { Problem } from '../model/problem.js';
import type { KnownFields } from './logsources/field-lists.js';
import type { SearchDefinition } from './rule.js';
import { type NearName, quotedChoices } from './spelling.js';

/**
 * Warns about field names in searches that are probably misspelled: a name that is not a known
 * field of the rule's log source but differs from one only in case, or by one or two edits.
 * Sigma allows any field name, so these are warnings, and names far from every known one pass.
 * trustwatch looks fields up by their exact name (`EventId` does not read `EventID`), so a
 * name that differs only in case matches only events that spell it that way.
 */

type Path = (string | number)[];

/** Enrichment namespaces, whose names are all known: a name under them is checked whole. */
const CLOSED_PREFIXES = ['trust.', 'geo.', 'baseline.'];

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Calls `visit` with each field name of a search and where it is written: a key (`onKey`), or
 * the value of a `|fieldref` key.
 */
function eachField(
  search: SearchDefinition,
  visit: (field: string, path: Path, onKey: boolean) => void,
): void {
  const visitMap = (map: Record<string, unknown>, path: Path): void => {
    for (const [key, value] of Object.entries(map)) {
      const [field, ...modifiers] = key.split('|');
      if (field) visit(field, [...path, key], true);
      // `|fieldref` compares with another field of the event, named by the value.
      if (!modifiers.includes('fieldref')) continue;
      const names = Array.isArray(value) ? value : [value];
      names.forEach((name, index) => {
        if (typeof name !== 'string') return;
        visit(name, Array.isArray(value) ? [...path, key, index] : [...path, key], false);
      });
    }
  };
  if (isMap(search.value)) {
    visitMap(search.value, search.path);
    return;
  }
  if (!Array.isArray(search.value)) return;
  search.value.forEach((item, index) => {
    if (isMap(item)) visitMap(item, [...search.path, index]);
  });
}

/**
 * Returns the known names `field` was probably meant to be. A dotted name whose first part is
 * a known field is a path into it, which is not checked further, except in the enrichment
 * namespaces; one whose first part is misspelled gets that part corrected. From an incomplete
 * list only names that differ in case count.
 */
function intendedNames(field: string, known: KnownFields): NearName[] {
  if (known.names.has(field)) return [];
  const caseOnly = !known.complete;
  const dot = field.indexOf('.');
  if (dot < 0 || CLOSED_PREFIXES.some((prefix) => field.startsWith(prefix))) {
    return known.names.near(field, { caseOnly });
  }
  const first = field.slice(0, dot);
  const rest = field.slice(dot);
  const near = known.topLevel.near(first, { caseOnly });
  return near.map((entry) => ({ ...entry, name: `${entry.name}${rest}` }));
}

/**
 * Returns the event ids that searches test with a plain `EventID` key (any case), or undefined
 * when they test none, so that the Windows field lists can be narrowed to those events.
 */
export function testedEventIds(searches: readonly SearchDefinition[]): string[] | undefined {
  const ids = new Set<string>();
  for (const search of searches) {
    const maps = Array.isArray(search.value) ? search.value : [search.value];
    for (const map of maps) {
      if (!isMap(map)) continue;
      for (const [key, value] of Object.entries(map)) {
        if (key.toLowerCase() !== 'eventid') continue;
        for (const item of Array.isArray(value) ? value : [value]) {
          if (typeof item === 'number' || (typeof item === 'string' && /^\d+$/.test(item))) {
            ids.add(String(item));
          }
        }
      }
    }
  }
  return ids.size > 0 ? [...ids].sort() : undefined;
}

function describe(logsource: LogSource): string {
  return (['product', 'service', 'category'] as const)
    .filter((key) => logsource[key] !== undefined)
    .map((key) => `${key}=${logsource[key]}`)
    .join(' ');
}

/**
 * Returns a warning for each field name of `searches` that is probably a misspelling of a
 * field in `known`, the fields that events of `logsource` are known to have.
 */
export function fieldNameWarnings(
  searches: readonly SearchDefinition[],
  logsource: LogSource,
  known: KnownFields,
  locate: (path: Path, onKey: boolean) => LocatedText,
): Problem[] {
  const warnings: Problem[] = [];
  const source = describe(logsource);
  for (const search of searches) {
    eachField(search, (field, path, onKey) => {
      const near = intendedNames(field, known);
      if (near.length === 0) return;
      const names = near.map((entry) => entry.name);
      const where = locate(path, onKey);
      if (near.every((entry) => entry.caseOnly)) {
        warnings.push({
          code: 'rule.field_case',
          severity: 'warning',
          message: `field "${field}" is not a known field of ${source} events, but ${quotedChoices(names)} is; field names are case-sensitive, so this matches only events that spell it "${field}"`,
          ...where,
        });
        return;
      }
      warnings.push({
        code: 'rule.field_unknown',
        severity: 'warning',
        message: `field "${field}" is not a known field of ${source} events; did you mean ${quotedChoices(names)}?`,
        ...where,
      });
    });
  }
  return warnings;
}
