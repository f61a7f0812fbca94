import type { Location, Problem } from '../model/problem.js';
import { formatLocation } from '../model/problem.js';
import type { RejectedDocument, RuleDocumentKind } from './load.js';
import { referenceCycleProblems } from './reference-cycles.js';
import type { CorrelationRule, FilterRule, Rule } from './rule.js';
import type { ReferenceSite } from './rule-references.js';
import { NameIndex, quotedChoices } from './spelling.js';

/**
 * Checks rule ids and the references of correlations, chains and filters once every document
 * is read. A reference is checked whether or not its own document loaded, so that one run
 * reports it with the document's other errors, at the line that names the rule. A correlation
 * that refers to a rule that is missing or did not load is not loaded either, and so on up the
 * references. Rules used only by loaded correlations stop raising alerts of their own.
 */

/** One rule document, as the loader read it. */
export interface LoadedDocument {
  file: string;
  start: Location;
  title: string | undefined;
  kind: RuleDocumentKind | undefined;
  /** The document's `id` and `name` as written, so that a reference to it can report that it did not load. */
  id: string | undefined;
  name: string | undefined;
  /** The document's problems; problems of its references are added here. */
  problems: Problem[];
  rule?: Rule;
  filter?: FilterRule;
  /** Set when the document did not load. */
  rejected?: RejectedDocument;
  /** The rules the document names: correlation rules, chain step rules, filter rules. */
  references: ReferenceSite[];
  chain: boolean;
}

type Resolve = (reference: string) => Rule | undefined;

/** Adds a problem to a document and, for an error, leaves the document out. */
function report(document: LoadedDocument, problem: Problem, rejected: RejectedDocument[]): void {
  document.problems.push(problem);
  if (problem.severity !== 'error') return;
  if (document.rejected) {
    document.rejected.errors.push(problem);
    return;
  }
  document.rejected = {
    file: document.file,
    location: problem.location,
    title: document.title,
    kind: document.kind,
    id: document.id,
    name: document.name,
    errors: [problem],
  };
  rejected.push(document.rejected);
}

/**
 * Rejects rules whose id an earlier rule has, checks every reference, and returns the rules that
 * load. `documents` are in file order; reference problems go to the referring document.
 */
export function resolveReferences(
  documents: readonly LoadedDocument[],
  rejected: RejectedDocument[],
): Rule[] {
  const byId = new Map<string, Rule>();
  const kept: Rule[] = [];
  const documentOf = new Map<Rule, LoadedDocument>();
  for (const document of documents) {
    const rule = document.rule;
    if (!rule) continue;
    documentOf.set(rule, document);
    const existing = byId.get(rule.meta.id);
    if (existing) {
      const problem: Problem = {
        code: 'rules.duplicate_id',
        severity: 'error',
        message: `rule id ${rule.meta.id} is already used by ${existing.meta.file}; this rule is not loaded`,
        location: rule.meta.location,
      };
      report(document, problem, rejected);
      continue;
    }
    byId.set(rule.meta.id, rule);
    kept.push(rule);
  }

  const byName = new Map<string, Rule>();
  for (const rule of kept) if (rule.meta.name) byName.set(rule.meta.name, rule);
  const resolve: Resolve = (reference) => byId.get(reference) ?? byName.get(reference);
  const notLoaded = notLoadedByReference(documents);
  const known = new NameIndex([...byId.keys(), ...byName.keys(), ...notLoaded.keys()]);

  const failed = new Set<Rule>();
  for (const document of documents) {
    if (document.kind === 'filter' && !document.filter) {
      checkRejectedFilter(document, resolve);
      continue;
    }
    if (document.kind !== 'correlation') continue;
    for (const site of document.references) {
      const problem = referenceProblem(document, site, resolve, notLoaded, known);
      if (!problem) continue;
      report(document, problem, rejected);
      if (document.rule) failed.add(document.rule);
    }
  }

  for (const { rule, next, problem } of referenceCycleProblems(kept, resolve)) {
    const document = documentOf.get(rule) as LoadedDocument;
    const site = document.references.find((candidate) => resolve(candidate.reference) === next);
    report(
      document,
      { ...problem, ...(site && { location: site.location, snippet: site.snippet }) },
      rejected,
    );
    failed.add(rule);
  }

  failDependents(kept, failed, resolve, documentOf, rejected);
  markRulesUsedByCorrelations(kept, failed, resolve);
  return kept.filter((rule) => !failed.has(rule));
}

/** Indexes the documents that did not load by the id and the name they give themselves. */
function notLoadedByReference(documents: readonly LoadedDocument[]): Map<string, LoadedDocument> {
  const found = new Map<string, LoadedDocument>();
  for (const document of documents) {
    if (document.rule || !document.rejected) continue;
    for (const key of [document.id, document.name]) {
      if (key !== undefined && !found.has(key)) found.set(key, document);
    }
  }
  return found;
}

/**
 * Warns about the rules a filter that did not load names but that are not loaded, as for a
 * filter that loads (`applyFilters`).
 */
function checkRejectedFilter(document: LoadedDocument, resolve: Resolve): void {
  for (const site of document.references) {
    if (resolve(site.reference)) continue;
    document.problems.push({
      code: 'filter.unknown_rule',
      severity: 'warning',
      message: `filter "${document.title ?? '(untitled)'}" names rule "${site.reference}", which is not loaded`,
      location: site.location,
      snippet: site.snippet,
    });
  }
}

/** Returns the problem of one reference of a correlation or chain, or undefined. */
function referenceProblem(
  document: LoadedDocument,
  site: ReferenceSite,
  resolve: Resolve,
  notLoaded: ReadonlyMap<string, LoadedDocument>,
  known: NameIndex,
): Problem | undefined {
  // Read only for a problem: locating a reference can build its document's `yaml` tree.
  const at = () => ({ location: site.location, snippet: site.snippet });
  const referrer = `${document.chain ? 'chain' : 'correlation'} "${document.title ?? '(untitled)'}"`;
  const target = resolve(site.reference);
  if (target) {
    if (!document.chain || target.kind === 'detection') return undefined;
    return {
      code: 'correlation.chain_of_correlation',
      severity: 'error',
      message: `${referrer} step rule "${site.reference}" must be a detection rule`,
      ...at(),
    };
  }

  const failedTarget = notLoaded.get(site.reference);
  if (failedTarget) {
    return {
      code: 'correlation.rule_not_loaded',
      severity: 'error',
      message: `${referrer} refers to rule "${site.reference}", which is not loaded because of its own errors (${formatLocation(failedTarget.rejected?.location ?? failedTarget.start)})`,
      ...at(),
    };
  }

  const near = known.near(site.reference).map((entry) => entry.name);
  const hint = near.length > 0 ? `; did you mean ${quotedChoices(near)}?` : '';
  return {
    code: 'correlation.unknown_rule',
    severity: 'error',
    message: `${referrer} refers to rule "${site.reference}", but no loaded rule has that id or name${hint}`,
    ...at(),
  };
}

/**
 * Leaves out every correlation that refers to a rule that is not loaded, until none is left:
 * a correlation over a correlation that failed would otherwise load and never fire.
 */
function failDependents(
  kept: readonly Rule[],
  failed: Set<Rule>,
  resolve: Resolve,
  documentOf: ReadonlyMap<Rule, LoadedDocument>,
  rejected: RejectedDocument[],
): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const rule of kept) {
      if (rule.kind !== 'correlation' || failed.has(rule)) continue;
      const document = documentOf.get(rule) as LoadedDocument;
      for (const site of document.references) {
        const target = resolve(site.reference);
        if (!target || !failed.has(target)) continue;
        const where = documentOf.get(target)?.rejected?.location ?? target.meta.location;
        report(
          document,
          {
            code: 'correlation.rule_not_loaded',
            severity: 'error',
            message: `correlation "${rule.meta.title}" refers to rule "${site.reference}", which is not loaded because of its own errors (${formatLocation(where)})`,
            location: site.location,
            snippet: site.snippet,
          },
          rejected,
        );
        failed.add(rule);
        changed = true;
      }
    }
  }
}

/** Rules that only loaded correlations without `generate: true` use raise no alerts of their own. */
function markRulesUsedByCorrelations(
  kept: readonly Rule[],
  failed: ReadonlySet<Rule>,
  resolve: Resolve,
): void {
  const referenced = new Set<Rule>();
  const generating = new Set<Rule>();
  for (const rule of kept) {
    if (rule.kind !== 'correlation' || failed.has(rule)) continue;
    for (const reference of (rule as CorrelationRule).rules) {
      const target = resolve(reference);
      if (!target) continue;
      referenced.add(target);
      if (rule.generate) generating.add(target);
    }
  }
  for (const rule of referenced) {
    if (!generating.has(rule)) rule.emits = false;
  }
}
