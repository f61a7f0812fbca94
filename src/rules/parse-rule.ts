import { createHash } from 'node:crypto';
import type { YamlDocumentView } from '../context/yaml-view.js';
import type { LogSource } from '../model/event.js';
import type { Problem } from '../model/problem.js';
import {
  type ConditionNode,
  ConditionSyntaxError,
  expandPattern,
  parseCondition,
  referencedNames,
} from './condition.js';
import { parseCorrelation } from './correlation.js';
import { warnBacktracking } from './regex-warning.js';
import type { DetectionRule, FilterRule, Rule, RuleMeta, SearchDefinition } from './rule.js';
import { ruleSourceOf } from './rule-source.js';
import { didYouMean, NameIndex, quotedChoices } from './spelling.js';

/**
 * Turns one YAML document into a rule, collecting every problem with its location. Unknown
 * top-level keys are kept (public rules carry some); unknown keys inside `logsource` and
 * `correlation` are errors, and inside `detection` every key but `condition` is a search
 * identifier that must be well formed and used.
 */

const KNOWN_TOP_LEVEL = new Set([
  'title',
  'id',
  'name',
  'related',
  'status',
  'description',
  'license',
  'author',
  'references',
  'date',
  'modified',
  'logsource',
  'detection',
  'fields',
  'falsepositives',
  'level',
  'tags',
  'scope',
  'correlation',
  'generate',
  'taxonomy',
  'filter',
]);

const LEVELS = new Set(['informational', 'low', 'medium', 'high', 'critical']);
const STATUSES = new Set(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);
const LOGSOURCE_KEYS = new Set(['product', 'service', 'category', 'definition']);
const LOGSOURCE_NAMES = new NameIndex(LOGSOURCE_KEYS);
const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface ParsedDocument {
  rule?: Rule;
  filter?: FilterRule;
  problems: Problem[];
  /** Searches of a detection rule that did not load, for checking their values too. */
  searches?: SearchDefinition[];
  /** The log source of a detection rule that did not load, when it has a valid one. */
  logsource?: LogSource;
}

type Raw = Record<string, unknown>;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses one rule document. `warnings` false skips the costly backtracking check. */
export function parseRuleDocument(document: YamlDocumentView, warnings = true): ParsedDocument {
  const problems: Problem[] = [];
  const error = (path: (string | number)[], code: string, message: string, onKey = false): void => {
    problems.push({ code, severity: 'error', message, ...document.locate(path, onKey) });
  };
  const warn = (path: (string | number)[], code: string, message: string, onKey = false): void => {
    problems.push({ code, severity: 'warning', message, ...document.locate(path, onKey) });
  };

  const raw = document.value;
  if (raw === null || raw === undefined) return { problems };
  if (!isMap(raw)) {
    error([], 'rule.not_a_map', 'a rule document must be a map of keys');
    return { problems };
  }

  const meta = parseMeta(raw, document, error, warn);
  const hasDetection = raw.detection !== undefined;
  const hasCorrelation = raw.correlation !== undefined;

  if (hasDetection && hasCorrelation) {
    error(
      ['correlation'],
      'rule.detection_and_correlation',
      'a rule has either detection or correlation, not both',
      true,
    );
    return { problems };
  }
  if (!hasDetection && !hasCorrelation) {
    if (raw.filter !== undefined) {
      const filter = parseFilter(raw, meta, error, warn);
      return filter && !problems.some((problem) => problem.severity === 'error')
        ? { filter, problems }
        : { problems };
    }
    if (raw.action === 'global' || raw.action === 'repeat') {
      error(
        ['action'],
        'rule.unsupported_collection',
        'Sigma 1.x rule collections (action: global/repeat) are not supported',
        true,
      );
    } else {
      error([], 'rule.missing_detection', 'rule has neither detection nor correlation');
    }
    return { problems };
  }

  if (hasCorrelation) {
    const correlation = parseCorrelation(raw, meta, error);
    const failed = problems.some((problem) => problem.severity === 'error');
    return correlation && !failed ? { rule: correlation, problems } : { problems };
  }

  const logsource = parseLogsource(raw.logsource, error, warn);
  const detection = parseDetection(raw.detection, error, warn, { backtracking: warnings });
  if (!logsource || !detection || problems.some((problem) => problem.severity === 'error')) {
    if (!detection) return { problems };
    return { problems, searches: detection.searches, ...(logsource && { logsource }) };
  }
  const rule: DetectionRule = {
    kind: 'detection',
    meta,
    logsource,
    searches: detection.searches,
    conditions: detection.conditions,
    filters: [],
    emits: true,
  };
  return { rule, problems };
}

/**
 * Parses a Sigma filter (filters specification v2): `filter.rules` names the rules it applies
 * to by id or name (`any` or an empty list: every rule of its log source), and the rest of
 * `filter` is search identifiers and one condition, which every match of those rules must also
 * meet. Filters are therefore written as `not selection`.
 */
function parseFilter(
  raw: Raw,
  meta: RuleMeta,
  error: Report,
  warn: Report,
): FilterRule | undefined {
  const logsource = parseLogsource(raw.logsource, error, warn);
  const body = raw.filter;
  if (!isMap(body)) {
    error(['filter'], 'filter.invalid', 'filter must be a map of rules, searches and a condition');
    return undefined;
  }

  let targets: string[] | 'any' | undefined;
  const rules = body.rules;
  if (rules === undefined || rules === null) {
    error(
      ['filter'],
      'filter.missing_rules',
      'filter has no rules; list rule ids or names, or write rules: any',
      true,
    );
  } else if (typeof rules === 'string') {
    targets = ['any', 'all'].includes(rules.toLowerCase()) ? 'any' : [rules];
  } else if (Array.isArray(rules) && rules.every((item) => typeof item === 'string')) {
    targets = rules.length === 0 ? 'any' : (rules as string[]);
  } else {
    error(
      ['filter', 'rules'],
      'filter.invalid_rules',
      'filter.rules must be a rule id or name, a list of them, or any',
    );
  }

  if (Array.isArray(body.condition)) {
    error(
      ['filter', 'condition'],
      'filter.invalid_condition',
      'a filter has exactly one condition',
    );
    return undefined;
  }
  const detection = parseDetection(body, error, warn, { backtracking: true }, 'filter', ['rules']);
  if (!logsource || !detection || !targets || detection.conditions.length !== 1) return undefined;
  return {
    kind: 'filter',
    meta,
    logsource,
    targets,
    searches: detection.searches,
    condition: detection.conditions[0] as ConditionNode,
  };
}

type Report = (path: (string | number)[], code: string, message: string, onKey?: boolean) => void;

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value))
    return value.filter((item) => item !== null && item !== undefined).map(String);
  return [String(value)];
}

function parseMeta(raw: Raw, document: YamlDocumentView, error: Report, warn: Report): RuleMeta {
  if (typeof raw.title !== 'string' || raw.title.trim() === '') {
    error(['title'], 'rule.missing_title', 'rule has no title');
  }
  const id =
    typeof raw.id === 'string' && raw.id.trim() !== ''
      ? raw.id.trim()
      : `generated-${createHash('sha256').update(`${document.file}#${document.index}`).digest('hex').slice(0, 16)}`;

  // An invalid level leaves the rule out, because --level and severity would misjudge it.
  let level = 'informational';
  if (raw.level !== undefined) {
    if (typeof raw.level === 'string' && LEVELS.has(raw.level.toLowerCase()))
      level = raw.level.toLowerCase();
    else
      error(
        ['level'],
        'rule.invalid_level',
        `level ${JSON.stringify(raw.level)} is not one of ${[...LEVELS].join(', ')}`,
      );
  }
  if (raw.status !== undefined && !(typeof raw.status === 'string' && STATUSES.has(raw.status))) {
    warn(
      ['status'],
      'rule.unknown_status',
      `status "${String(raw.status)}" is not one of ${[...STATUSES].join(', ')}`,
    );
  }

  const tags = stringList(raw.tags);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (KNOWN_TOP_LEVEL.has(key)) continue;
    extra[key] = value;
    warnMisspelledKey(key, warn);
  }

  return {
    id,
    title: typeof raw.title === 'string' ? raw.title : '(untitled)',
    name: typeof raw.name === 'string' ? raw.name : undefined,
    status: typeof raw.status === 'string' ? raw.status : undefined,
    level,
    author: stringList(raw.author).join(', '),
    description: typeof raw.description === 'string' ? raw.description : undefined,
    tags,
    references: stringList(raw.references),
    analytic: analyticFromTags(tags),
    attack: attackFromTags(tags),
    file: document.file,
    source: ruleSourceOf(document.file),
    location: document.start(),
    extra,
  };
}

const TOP_LEVEL_NAMES = new NameIndex(KNOWN_TOP_LEVEL);

/**
 * Warns about an unknown top-level key that is probably a misspelled Sigma rule attribute
 * (`detecton`, `Level`). Other unknown keys are custom attributes, which Sigma allows.
 */
function warnMisspelledKey(key: string, warn: Report): void {
  const near = TOP_LEVEL_NAMES.near(key).map((entry) => entry.name);
  if (near.length === 0) return;
  warn(
    [key],
    'rule.misspelled_key',
    `top-level key "${key}" is not a Sigma rule attribute; did you mean ${quotedChoices(near)}? It is kept as a custom attribute and not evaluated`,
    true,
  );
}

/** `det0488.an1344` → `AN1344`. */
export function analyticFromTags(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    const match = /^det\d{4}\.(an\d{4})$/i.exec(tag);
    if (match) return (match[1] as string).toUpperCase();
  }
  return undefined;
}

/** `attack.t1199`, `attack.t1021.002` → `T1199`, `T1021.002`. */
export function attackFromTags(tags: readonly string[]): string[] {
  const ids: string[] = [];
  for (const tag of tags) {
    const match = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
    if (match) ids.push((match[1] as string).toUpperCase());
  }
  return ids;
}

function parseLogsource(value: unknown, error: Report, warn: Report): LogSource | undefined {
  if (!isMap(value)) {
    error(
      ['logsource'],
      'rule.missing_logsource',
      'detection rule has no logsource map',
      value !== undefined,
    );
    return undefined;
  }
  const logsource: LogSource = {};
  for (const [key, item] of Object.entries(value)) {
    if (!LOGSOURCE_KEYS.has(key)) {
      warn(
        ['logsource', key],
        'rule.unknown_logsource_key',
        `logsource key "${key}" is not product, service, category or definition${didYouMean(key, LOGSOURCE_NAMES)}`,
      );
      continue;
    }
    if (key === 'definition') continue;
    if (typeof item !== 'string') {
      error(['logsource', key], 'rule.invalid_logsource', `logsource ${key} must be a string`);
      continue;
    }
    logsource[key as 'product' | 'service' | 'category'] = item;
  }
  if (!logsource.product && !logsource.service && !logsource.category) {
    error(
      ['logsource'],
      'rule.empty_logsource',
      'logsource names no product, service or category',
      true,
    );
  }
  return logsource;
}

/**
 * Parses a map of search identifiers and a condition: a rule's `detection`, or a filter's
 * `filter` (`section`), whose `reserved` keys are not search identifiers.
 */
function parseDetection(
  value: unknown,
  error: Report,
  warn: Report,
  checks: { backtracking: boolean },
  section = 'detection',
  reserved: readonly string[] = [],
): { searches: SearchDefinition[]; conditions: ConditionNode[] } | undefined {
  if (!isMap(value)) {
    error(
      [section],
      'rule.invalid_detection',
      `${section} must be a map of search identifiers and a condition`,
    );
    return undefined;
  }

  const searches: SearchDefinition[] = [];
  for (const [name, item] of Object.entries(value)) {
    if (name === 'condition' || reserved.includes(name)) continue;
    if (name === 'timeframe') {
      error(
        [section, name],
        'rule.unsupported_timeframe',
        'detection.timeframe belongs to Sigma 1.x aggregations; use a correlation rule with timespan',
        true,
      );
      continue;
    }
    if (!IDENTIFIER.test(name)) {
      // Public rules have a few such names; a condition can still reach them through a pattern.
      warn(
        [section, name],
        'rule.unusual_identifier',
        `"${name}" has characters other than letters, digits, _ . - and can be used only through a pattern such as 1 of select*`,
      );
    }
    searches.push({ name, value: item, path: [section, name] });
  }

  const rawCondition = value.condition;
  if (rawCondition === undefined) {
    error([section], 'rule.missing_condition', `${section} has no condition`, true);
    return undefined;
  }
  const texts = Array.isArray(rawCondition) ? rawCondition : [rawCondition];
  const names = searches.map((search) => search.name);
  const conditions: ConditionNode[] = [];

  texts.forEach((text, index) => {
    const path = Array.isArray(rawCondition)
      ? [section, 'condition', index]
      : [section, 'condition'];
    if (typeof text !== 'string') {
      error(path, 'rule.invalid_condition', 'condition must be a string');
      return;
    }
    try {
      const node = parseCondition(text);
      checkReferences(node, names, text, path, error, warn);
      conditions.push(node);
    } catch (caught) {
      if (!(caught instanceof ConditionSyntaxError)) throw caught;
      error(path, caught.code, `${caught.message} (column ${caught.column} of "${text}")`);
    }
  });

  if (checks.backtracking) for (const search of searches) warnBacktracking(search, warn);

  const used = new Set<string>();
  for (const node of conditions) for (const name of referencedNames(node, names)) used.add(name);
  // A condition that failed to parse says nothing about which searches are used.
  if (conditions.length < texts.length) return { searches, conditions };
  for (const search of searches) {
    if (!used.has(search.name)) {
      warn(
        search.path,
        'rule.unused_search',
        `search identifier "${search.name}" is not used in the condition`,
      );
    }
  }
  return { searches, conditions };
}

function checkReferences(
  node: ConditionNode,
  names: readonly string[],
  text: string,
  path: (string | number)[],
  error: Report,
  warn: Report,
): void {
  const visit = (current: ConditionNode): void => {
    if (current.kind === 'ref' && !names.includes(current.name)) {
      error(
        path,
        'rule.undefined_search',
        `condition "${text}" refers to "${current.name}", which is not defined`,
      );
    } else if (current.kind === 'of' && expandPattern(current.pattern, names).length === 0) {
      error(
        path,
        'rule.empty_pattern',
        `"${current.pattern}" in condition "${text}" matches no search identifier`,
      );
    } else if (current.kind === 'not') {
      visit(current.item);
    } else if (current.kind === 'and' || current.kind === 'or') {
      if (current.kind === 'and' && contradicts(current.items)) {
        warn(
          path,
          'rule.never_matches',
          `condition "${text}" requires a search and its negation together`,
        );
      }
      for (const item of current.items) visit(item);
    }
  };
  visit(node);
}

/** `a and not a` at one level of an AND can never match. */
function contradicts(items: readonly ConditionNode[]): boolean {
  const positive = new Set(
    items.filter((item) => item.kind === 'ref').map((item) => (item as { name: string }).name),
  );
  return items.some(
    (item) => item.kind === 'not' && item.item.kind === 'ref' && positive.has(item.item.name),
  );
}
