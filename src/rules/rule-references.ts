import type { LocatedText, YamlDocumentView } from '../context/yaml-view.js';

/**
 * Finds where a document names other rules by id or name: `correlation.rules`, the `rules` of
 * each chain step, step member and observer, and `filter.rules`. They are read from the
 * document as written, so that a document that did not load still has its references checked.
 */

export interface ReferenceSite extends LocatedText {
  /** The rule id or name as written. */
  reference: string;
}

type Path = (string | number)[];

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Adds the string items of a `rules` value (one string or a list) with their paths. */
function addRules(value: unknown, path: Path, found: { reference: string; path: Path }[]): void {
  if (typeof value === 'string') {
    found.push({ reference: value, path });
    return;
  }
  if (!Array.isArray(value)) return;
  value.forEach((item, index) => {
    if (typeof item === 'string') found.push({ reference: item, path: [...path, index] });
  });
}

function chainPaths(section: Record<string, unknown>): { reference: string; path: Path }[] {
  const found: { reference: string; path: Path }[] = [];
  const steps = Array.isArray(section.steps) ? section.steps : [];
  steps.forEach((step, index) => {
    if (!isMap(step)) return;
    const at = ['correlation', 'steps', index];
    addRules(step.rules, [...at, 'rules'], found);
    if (!Array.isArray(step.members)) return;
    step.members.forEach((member, memberIndex) => {
      if (isMap(member)) addRules(member.rules, [...at, 'members', memberIndex, 'rules'], found);
    });
  });
  const observe = Array.isArray(section.observe) ? section.observe : [];
  observe.forEach((member, index) => {
    if (isMap(member)) addRules(member.rules, ['correlation', 'observe', index, 'rules'], found);
  });
  return found;
}

/** Returns the rule references of a correlation or filter document, each with its location. */
export function referenceSites(document: YamlDocumentView): ReferenceSite[] {
  const value = document.value;
  if (!isMap(value)) return [];
  const found: { reference: string; path: Path }[] = [];

  const correlation = value.correlation;
  if (isMap(correlation)) {
    if (correlation.type === 'chain') found.push(...chainPaths(correlation));
    else addRules(correlation.rules, ['correlation', 'rules'], found);
  }

  // `rules: any` (or `all`) names every rule of the filter's log source, not a rule.
  const filter = value.filter;
  if (value.detection === undefined && value.correlation === undefined && isMap(filter)) {
    const rules = filter.rules;
    const everyRule = typeof rules === 'string' && ['any', 'all'].includes(rules.toLowerCase());
    if (!everyRule) addRules(rules, ['filter', 'rules'], found);
  }

  return found.map(({ reference, path }) => locatedLater(document, reference, path));
}

/**
 * Returns a reference site that locates itself when its location or snippet is first read.
 * Most references resolve and are never reported, and locating one in a document of the plain
 * parse builds the document's `yaml` tree.
 */
function locatedLater(document: YamlDocumentView, reference: string, path: Path): ReferenceSite {
  let found: LocatedText | undefined;
  const locate = (): LocatedText => {
    found ??= document.locate(path);
    return found;
  };
  return {
    reference,
    get location() {
      return locate().location;
    },
    get snippet() {
      return locate().snippet;
    },
  };
}
