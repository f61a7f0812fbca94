import { parseDuration } from '../model/duration.js';
import type {
  ChainMember,
  ChainStep,
  CorrelationRule,
  CorrelationType,
  CountCondition,
  RuleMeta,
} from './rule.js';
import { compileTemplate } from './templates.js';

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
]);
const CONDITION_KEYS = new Set(['gt', 'gte', 'lt', 'lte', 'eq', 'field']);
const STEP_KEYS = new Set([
  'name',
  'within',
  'rules',
  'links',
  'provides',
  'actor',
  'differ',
  'members',
]);
const MEMBER_KEYS = new Set(['rules', 'links', 'provides', 'actor', 'differ']);

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
      fail([...base, key], 'correlation.unknown_key', `unknown key "${key}" in correlation`, true);
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
  };

  if (type === 'chain') {
    rule.steps = parseSteps(section.steps, fail);
    rule.rules = [
      ...new Set(rule.steps.flatMap((step) => step.members.flatMap((member) => member.rules))),
    ];
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

  if (section.steps !== undefined)
    fail(
      [...base, 'steps'],
      'correlation.steps_not_chain',
      'steps belong to chain rules only',
      true,
    );

  const timespan =
    typeof section.timespan === 'string' || typeof section.timespan === 'number'
      ? parseDuration(section.timespan)
      : undefined;
  if (timespan === undefined || timespan <= 0) {
    fail(
      [...base, 'timespan'],
      'correlation.invalid_timespan',
      'timespan must be a duration such as 10m, 1h or 1d',
    );
  } else {
    rule.timespanMs = timespan;
  }

  const condition = parseCountCondition(section.condition, type, fail);
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

function parseCountCondition(
  value: unknown,
  type: string,
  fail: Report,
): { condition: CountCondition; field: string | undefined } | undefined {
  const path = ['correlation', 'condition'];
  if (value === undefined) {
    if (type === 'temporal' || type === 'temporal_ordered')
      return { condition: {}, field: undefined };
    fail(path, 'correlation.missing_condition', `${type} needs a condition such as {gte: 10}`);
    return undefined;
  }
  if (!isMap(value)) {
    fail(path, 'correlation.invalid_condition', 'condition must be a map such as {gte: 10}');
    return undefined;
  }
  const condition: CountCondition = {};
  let field: string | undefined;
  for (const [key, item] of Object.entries(value)) {
    if (!CONDITION_KEYS.has(key)) {
      fail(
        [...path, key],
        'correlation.unknown_condition',
        `unknown condition "${key}" (use gt, gte, lt, lte, eq)`,
        true,
      );
      continue;
    }
    if (key === 'field') {
      if (typeof item !== 'string')
        fail([...path, key], 'correlation.invalid_field', 'field must be a field name');
      else field = item;
      continue;
    }
    if (typeof item !== 'number' || !Number.isFinite(item)) {
      fail([...path, key], 'correlation.invalid_condition', `${key} must be a number`);
      continue;
    }
    condition[key as keyof CountCondition] = item;
  }
  if (Object.keys(condition).length === 0 && type !== 'temporal' && type !== 'temporal_ordered') {
    fail(path, 'correlation.missing_condition', 'condition needs gt, gte, lt, lte or eq');
  }
  if (type === 'value_count' && field === undefined) {
    fail(
      path,
      'correlation.missing_field',
      'value_count needs condition.field: the field whose values are counted',
    );
  }
  if (type !== 'value_count' && field !== undefined) {
    fail(
      [...path, 'field'],
      'correlation.unexpected_field',
      'condition.field belongs to value_count only',
      true,
    );
  }
  return { condition, field };
}

function parseSteps(value: unknown, fail: Report): ChainStep[] {
  const base = ['correlation', 'steps'];
  if (!Array.isArray(value) || value.length < 2) {
    fail(base, 'correlation.invalid_steps', 'a chain needs steps: a list of at least two steps');
    return [];
  }
  const steps: ChainStep[] = [];
  const names = new Set<string>();
  const provided = new Set<string>();

  value.forEach((rawStep, index) => {
    const path = [...base, index];
    if (!isMap(rawStep)) {
      fail(path, 'correlation.invalid_step', 'a step must be a map');
      return;
    }
    for (const key of Object.keys(rawStep)) {
      if (!STEP_KEYS.has(key))
        fail([...path, key], 'correlation.unknown_key', `unknown key "${key}" in step`, true);
    }
    const name = typeof rawStep.name === 'string' ? rawStep.name : `step${index + 1}`;
    if (names.has(name))
      fail([...path, 'name'], 'correlation.duplicate_step', `step name "${name}" is used twice`);
    names.add(name);

    let withinMs = 0;
    if (index === 0) {
      if (rawStep.within !== undefined)
        fail(
          [...path, 'within'],
          'correlation.first_step_within',
          'the first step has no window',
          true,
        );
    } else {
      const within = typeof rawStep.within === 'string' ? parseDuration(rawStep.within) : undefined;
      if (within === undefined || within <= 0) {
        fail(
          [...path, 'within'],
          'correlation.invalid_within',
          'each step after the first needs within: a duration such as 30m',
        );
      } else {
        withinMs = within;
      }
    }

    const memberSources: { raw: Raw; path: (string | number)[] }[] = [];
    if (rawStep.members !== undefined) {
      if (
        rawStep.rules !== undefined ||
        rawStep.links !== undefined ||
        rawStep.provides !== undefined
      ) {
        fail(
          path,
          'correlation.members_and_rules',
          'a step has either members or rules/links/provides',
        );
      }
      if (!Array.isArray(rawStep.members) || rawStep.members.length === 0) {
        fail([...path, 'members'], 'correlation.invalid_members', 'members must be a list');
      } else {
        rawStep.members.forEach((member, memberIndex) => {
          if (!isMap(member))
            fail(
              [...path, 'members', memberIndex],
              'correlation.invalid_member',
              'a member must be a map',
            );
          else memberSources.push({ raw: member, path: [...path, 'members', memberIndex] });
        });
      }
    } else {
      memberSources.push({ raw: rawStep, path });
    }

    // Keys provided by this step's members may link other members of the same step.
    const stepProvides = new Set(provided);
    for (const source of memberSources) {
      if (isMap(source.raw.provides))
        for (const space of Object.keys(source.raw.provides)) stepProvides.add(space);
    }
    const members = memberSources
      .map((source) =>
        parseMember(source.raw, source.path, index, stepProvides, fail, source.raw !== rawStep),
      )
      .filter((member): member is ChainMember => member !== undefined);
    for (const member of members)
      for (const space of Object.keys(member.provides)) provided.add(space);
    steps.push({ name, withinMs, members });
  });
  return steps;
}

function parseMember(
  raw: Raw,
  path: (string | number)[],
  stepIndex: number,
  provided: ReadonlySet<string>,
  fail: Report,
  checkKeys: boolean,
): ChainMember | undefined {
  if (checkKeys) {
    for (const key of Object.keys(raw)) {
      if (!MEMBER_KEYS.has(key))
        fail([...path, key], 'correlation.unknown_key', `unknown key "${key}" in member`, true);
    }
  }
  const rules = strings(raw.rules);
  if (!rules || rules.length === 0) {
    fail(
      [...path, 'rules'],
      'correlation.missing_rules',
      'a step needs rules: the rules whose records count for it',
    );
    return undefined;
  }
  const links = parseKeys(raw.links, [...path, 'links'], fail);
  const provides = parseKeys(raw.provides, [...path, 'provides'], fail);
  if (stepIndex === 0 && Object.keys(links).length > 0) {
    fail(
      [...path, 'links'],
      'correlation.first_step_links',
      'the first step opens the chain; it provides keys and links none',
      true,
    );
  }
  if (stepIndex === 0 && Object.keys(provides).length === 0) {
    fail(path, 'correlation.missing_provides', 'the first step must provide at least one key');
  }
  if (stepIndex > 0 && Object.keys(links).length === 0) {
    fail(
      path,
      'correlation.missing_links',
      'a step after the first must link to the chain by a key',
    );
  }
  for (const space of Object.keys(links)) {
    if (!provided.has(space)) {
      fail(
        [...path, 'links', space],
        'correlation.unknown_key_space',
        `no earlier step provides the key "${space}"`,
        true,
      );
    }
  }

  let actor: string | undefined;
  if (raw.actor !== undefined) {
    if (typeof raw.actor !== 'string')
      fail([...path, 'actor'], 'correlation.invalid_actor', 'actor must be a template string');
    else if (checkTemplate(raw.actor, [...path, 'actor'], fail)) actor = raw.actor;
  }

  const differ: [string, string][] = [];
  if (raw.differ !== undefined) {
    const pairs = Array.isArray(raw.differ) ? raw.differ : [];
    pairs.forEach((pair, index) => {
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        !pair.every((item) => typeof item === 'string')
      ) {
        fail(
          [...path, 'differ', index],
          'correlation.invalid_differ',
          'differ takes pairs of templates: [[a, b], …]',
        );
        return;
      }
      if (pair.every((item) => checkTemplate(item as string, [...path, 'differ', index], fail))) {
        differ.push([pair[0] as string, pair[1] as string]);
      }
    });
    if (!Array.isArray(raw.differ))
      fail([...path, 'differ'], 'correlation.invalid_differ', 'differ takes pairs of templates');
  }
  return { rules, links, provides, actor, differ };
}

function parseKeys(
  value: unknown,
  path: (string | number)[],
  fail: Report,
): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  if (value === undefined) return keys;
  if (!isMap(value)) {
    fail(path, 'correlation.invalid_keys', 'keys must map a key space to a list of templates');
    return keys;
  }
  for (const [space, templates] of Object.entries(value)) {
    const list = strings(templates);
    if (!list || list.length === 0) {
      fail(
        [...path, space],
        'correlation.invalid_keys',
        `key "${space}" needs one or more templates`,
      );
      continue;
    }
    if (list.every((template) => checkTemplate(template, [...path, space], fail)))
      keys[space] = list;
  }
  return keys;
}

function checkTemplate(template: string, path: (string | number)[], fail: Report): boolean {
  const compiled = compileTemplate(template);
  if (typeof compiled === 'string') {
    fail(path, 'correlation.invalid_template', compiled);
    return false;
  }
  return true;
}
