import { parseChain } from './chain-rule.js';
import { parseCountCondition } from './count-condition.js';
import type { CorrelationRule, CorrelationType, RuleMeta } from './rule.js';
import { readRuleDuration } from './rule-durations.js';
import { didYouMean, NameIndex } from './spelling.js';

/**
 * Parses the `correlation` section of a Sigma correlation rule (specification v2), and the
 * `chain` type, trustwatch's extension for ordered steps with their own windows and link keys
 * (docs/correlation.md describes it).
 */

const TYPES: ReadonlySet<string> = new Set([
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'chain',
]);
const CORRELATION_KEYS = new Set([
  'type',
  'rules',
  'group-by',
  'timespan',
  'condition',
  'aliases',
  'generate',
  'steps',
  'observe',
  'remember',
  'actor_from',
  'observe_within',
]);
const CORRELATION_NAMES = new NameIndex(CORRELATION_KEYS);
const CHAIN_ONLY_KEYS = ['steps', 'observe', 'remember', 'actor_from', 'observe_within'];
type Raw = Record<string, unknown>;
type Report = (path: (string | number)[], code: string, message: string, onKey?: boolean) => void;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value as string[];
  return undefined;
}

export function parseCorrelation(
  raw: Raw,
  meta: RuleMeta,
  error: Report,
): CorrelationRule | undefined {
  const section = raw.correlation;
  const base = ['correlation'];
  if (!isMap(section)) {
    error(base, 'correlation.invalid', 'correlation must be a map');
    return undefined;
  }
  let failed = false;
  const fail: Report = (path, code, message, onKey) => {
    failed = true;
    error(path, code, message, onKey);
  };

  for (const key of Object.keys(section)) {
    if (!CORRELATION_KEYS.has(key))
      fail(
        [...base, key],
        'correlation.unknown_key',
        `unknown key "${key}" in correlation${didYouMean(key, CORRELATION_NAMES)}`,
        true,
      );
  }

  const type = section.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    fail(
      [...base, 'type'],
      'correlation.invalid_type',
      `correlation type must be one of ${[...TYPES].join(', ')}`,
    );
    return undefined;
  }

  const groupBy = section['group-by'] === undefined ? [] : strings(section['group-by']);
  if (!groupBy)
    fail(
      [...base, 'group-by'],
      'correlation.invalid_group_by',
      'group-by must be a list of field names',
    );

  const aliases = parseAliases(section.aliases, fail);
  const generate = section.generate ?? raw.generate;
  if (generate !== undefined && typeof generate !== 'boolean') {
    fail([...base, 'generate'], 'correlation.invalid_generate', 'generate must be true or false');
  }

  const rule: CorrelationRule = {
    kind: 'correlation',
    meta,
    type: type as CorrelationType,
    rules: [],
    groupBy: groupBy ?? [],
    timespanMs: 0,
    condition: {},
    valueField: undefined,
    aliases,
    generate: generate === true,
    emits: true,
    steps: [],
    chain: { observe: [], remember: {}, actorFrom: undefined },
  };

  if (type === 'chain') {
    const chain = parseChain(section, fail);
    rule.steps = chain.steps;
    rule.chain = chain.options;
    const members = [...chain.steps.flatMap((step) => step.members), ...chain.options.observe];
    rule.rules = [...new Set(members.flatMap((member) => member.rules))];
    if (section.timespan !== undefined) {
      fail(
        [...base, 'timespan'],
        'correlation.chain_timespan',
        'chain rules give a window per step ("within"), not a timespan',
        true,
      );
    }
    return failed ? undefined : rule;
  }

  const rules = strings(section.rules);
  if (!rules || rules.length === 0)
    fail(
      [...base, 'rules'],
      'correlation.missing_rules',
      'correlation needs rules: a list of rule ids or names',
    );
  else rule.rules = rules;

  for (const key of CHAIN_ONLY_KEYS) {
    if (section[key] !== undefined) {
      fail([...base, key], 'correlation.chain_only', `${key} belongs to chain rules only`, true);
    }
  }

  const timespan = readRuleDuration(section.timespan, 'timespan', '10m, 1h or 1d', true);
  if ('message' in timespan) {
    const missing = section.timespan === undefined;
    fail(
      missing ? base : [...base, 'timespan'],
      'correlation.invalid_timespan',
      timespan.message,
      missing,
    );
  } else {
    rule.timespanMs = timespan.ms;
  }

  const condition = parseCountCondition(section.condition, type, rules?.length ?? 0, fail);
  if (condition) {
    rule.condition = condition.condition;
    rule.valueField = condition.field;
  }
  return failed ? undefined : rule;
}

function parseAliases(value: unknown, fail: Report): Record<string, Record<string, string>> {
  const aliases: Record<string, Record<string, string>> = {};
  if (value === undefined) return aliases;
  if (!isMap(value)) {
    fail(
      ['correlation', 'aliases'],
      'correlation.invalid_aliases',
      'aliases must map an alias to {rule: field}',
    );
    return aliases;
  }
  for (const [alias, mapping] of Object.entries(value)) {
    if (!isMap(mapping) || !Object.values(mapping).every((field) => typeof field === 'string')) {
      fail(
        ['correlation', 'aliases', alias],
        'correlation.invalid_aliases',
        `alias "${alias}" must map rule names to field names`,
      );
      continue;
    }
    aliases[alias] = mapping as Record<string, string>;
  }
  return aliases;
}
