import type { ChainMember, ChainOptions, ChainStep, ChainThreshold } from './rule.js';
import { readRuleDuration } from './rule-durations.js';
import { didYouMean, NameIndex } from './spelling.js';
import { compileTemplate } from './templates.js';

/**
 * Parses the `chain` correlation type, trustwatch's extension of Sigma correlations: ordered
 * steps, each with its own window, members that say which rules count for a step and how their
 * records link to the chain, and optional thresholds, remembered values and an actor step.
 * docs/correlation.md describes every key.
 */

const STEP_KEYS = new Set([
  'name',
  'within',
  'lead',
  'threshold',
  'rules',
  'links',
  'provides',
  'actor',
  'differ',
  'counted',
  'weight',
  'unseen',
  'outside_networks',
  'inside_networks',
  'members',
]);
const MEMBER_KEYS = new Set([
  'rules',
  'links',
  'provides',
  'actor',
  'differ',
  'counted',
  'weight',
  'unseen',
  'outside_networks',
  'inside_networks',
]);
const STEP_NAMES = new NameIndex(STEP_KEYS);
const MEMBER_NAMES = new NameIndex(MEMBER_KEYS);
const MEMBER_SHORTHAND = ['rules', 'links', 'provides', 'actor', 'differ', 'counted', 'weight'];

type Raw = Record<string, unknown>;
type Path = (string | number)[];
type Report = (path: Path, code: string, message: string, onKey?: boolean) => void;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  return undefined;
}

export function parseChain(
  section: Raw,
  fail: Report,
): { steps: ChainStep[]; options: ChainOptions } {
  const remember = parseTemplateMap(section.remember, ['correlation', 'remember'], fail);
  // Observers add their keys to the instances they link to, so steps may link by those too.
  const observed = observedKeySpaces(section.observe);
  const steps = parseSteps(section.steps, new Set(Object.keys(remember)), observed, fail);
  const provided = new Set([
    ...observed,
    ...steps.flatMap((step) => step.members.flatMap((m) => Object.keys(m.provides))),
  ]);

  const observe: ChainMember[] = [];
  if (section.observe !== undefined) {
    const path = ['correlation', 'observe'];
    if (!Array.isArray(section.observe)) {
      fail(path, 'correlation.invalid_observe', 'observe must be a list of members');
    } else {
      section.observe.forEach((raw, index) => {
        const member = isMap(raw)
          ? parseMember(raw, [...path, index], 1, provided, new Set(Object.keys(remember)), fail)
          : undefined;
        if (!isMap(raw))
          fail([...path, index], 'correlation.invalid_member', 'a member must be a map');
        if (member) observe.push(member);
      });
    }
  }

  let actorFrom: string | undefined;
  if (section.actor_from !== undefined) {
    const names = steps.map((step) => step.name);
    if (typeof section.actor_from !== 'string' || !names.includes(section.actor_from)) {
      fail(
        ['correlation', 'actor_from'],
        'correlation.invalid_actor_from',
        `actor_from must name a step: ${names.join(', ')}`,
      );
    } else {
      actorFrom = section.actor_from;
    }
  }
  const options: ChainOptions = { observe, remember, actorFrom };
  if (section.observe_within !== undefined) {
    const within = readRuleDuration(section.observe_within, 'observe_within', '12h');
    if ('message' in within) {
      fail(['correlation', 'observe_within'], 'correlation.invalid_observe_within', within.message);
    } else if (Object.keys(remember).length === 0) {
      fail(
        ['correlation', 'observe_within'],
        'correlation.observe_within_without_remember',
        'observe_within needs correlation.remember: it only extends what observers remember',
        true,
      );
    } else {
      options.observeWithinMs = within.ms;
    }
  }
  return { steps, options };
}

/** Key spaces that the `observe` members provide, read before the members are checked. */
function observedKeySpaces(value: unknown): Set<string> {
  const spaces = new Set<string>();
  if (!Array.isArray(value)) return spaces;
  for (const member of value) {
    if (isMap(member) && isMap(member.provides)) {
      for (const space of Object.keys(member.provides)) spaces.add(space);
    }
  }
  return spaces;
}

function parseSteps(
  value: unknown,
  remembered: ReadonlySet<string>,
  observed: ReadonlySet<string>,
  fail: Report,
): ChainStep[] {
  const base = ['correlation', 'steps'];
  if (!Array.isArray(value) || value.length < 2) {
    fail(base, 'correlation.invalid_steps', 'a chain needs steps: a list of at least two steps');
    return [];
  }
  const steps: ChainStep[] = [];
  const names = new Set<string>();
  const provided = new Set<string>(observed);

  value.forEach((rawStep, index) => {
    const path = [...base, index];
    if (!isMap(rawStep)) {
      fail(path, 'correlation.invalid_step', 'a step must be a map');
      return;
    }
    for (const key of Object.keys(rawStep)) {
      if (!STEP_KEYS.has(key)) {
        const hint = didYouMean(key, STEP_NAMES);
        fail(
          [...path, key],
          'correlation.unknown_key',
          `unknown key "${key}" in step${hint}`,
          true,
        );
      }
    }
    const name = typeof rawStep.name === 'string' ? rawStep.name : `step${index + 1}`;
    if (names.has(name)) {
      fail([...path, 'name'], 'correlation.duplicate_step', `step name "${name}" is used twice`);
    }
    names.add(name);

    const withinMs = parseWithin(rawStep.within, index, path, fail);
    const leadMs = parseLead(rawStep.lead, index, path, fail);
    const threshold = parseThreshold(rawStep.threshold, index, path, fail);
    const sources = memberSources(rawStep, path, fail);

    // Keys provided by this step's members may link other members of the same step.
    const stepProvides = new Set(provided);
    for (const source of sources) {
      if (isMap(source.raw.provides)) {
        for (const space of Object.keys(source.raw.provides)) stepProvides.add(space);
      }
    }
    const members = sources
      .map((source) =>
        parseMember(
          source.raw,
          source.path,
          index,
          stepProvides,
          remembered,
          fail,
          source.checkKeys,
        ),
      )
      .filter((member): member is ChainMember => member !== undefined);
    for (const member of members)
      for (const space of Object.keys(member.provides)) provided.add(space);

    // A threshold that is written but invalid is reported by parseThreshold already.
    if (members.some((member) => member.counted) && rawStep.threshold === undefined) {
      fail(path, 'correlation.counted_without_threshold', 'counted members need a step threshold');
    }
    if (index > 0 && rawStep.threshold !== undefined && !members.some((m) => m.counted)) {
      fail(
        [...path, 'threshold'],
        'correlation.threshold_without_counted',
        'a threshold needs a counted member',
        true,
      );
    }
    steps.push({ name, withinMs, threshold, members, ...(leadMs > 0 ? { leadMs } : {}) });
  });
  return steps;
}

function parseWithin(value: unknown, index: number, path: Path, fail: Report): number {
  if (index === 0) {
    if (value !== undefined) {
      fail(
        [...path, 'within'],
        'correlation.first_step_within',
        'the first step has no window',
        true,
      );
    }
    return 0;
  }
  if (value === undefined) {
    fail(
      path,
      'correlation.invalid_within',
      'each step after the first needs within: a duration such as 30m',
    );
    return 0;
  }
  const within = readRuleDuration(value, 'within', '30m');
  if ('message' in within) {
    fail([...path, 'within'], 'correlation.invalid_within', within.message);
    return 0;
  }
  return within.ms;
}

function parseLead(value: unknown, index: number, path: Path, fail: Report): number {
  if (value === undefined) return 0;
  if (index === 0) {
    fail([...path, 'lead'], 'correlation.first_step_lead', 'the first step has no lead', true);
    return 0;
  }
  const lead = readRuleDuration(value, 'lead', '2s');
  if ('message' in lead) {
    fail([...path, 'lead'], 'correlation.invalid_lead', lead.message);
    return 0;
  }
  return lead.ms;
}

function parseThreshold(
  value: unknown,
  index: number,
  path: Path,
  fail: Report,
): ChainThreshold | undefined {
  if (value === undefined) return undefined;
  const at = [...path, 'threshold'];
  if (index === 0) {
    fail(
      at,
      'correlation.first_step_threshold',
      'the first step opens the chain and has no threshold',
      true,
    );
    return undefined;
  }
  if (!isMap(value)) {
    fail(at, 'correlation.invalid_threshold', 'threshold must be {count: N, window: duration}');
    return undefined;
  }
  const count = value.count;
  let failed = false;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    const written = count === undefined ? 'missing' : JSON.stringify(count);
    fail(
      count === undefined ? at : [...at, 'count'],
      'correlation.invalid_threshold',
      `threshold count must be a whole number of at least 1, not ${written}`,
    );
    failed = true;
  }
  const window = readRuleDuration(value.window, 'threshold window', '15m');
  if ('message' in window) {
    const missing = value.window === undefined;
    fail(missing ? at : [...at, 'window'], 'correlation.invalid_threshold', window.message);
    failed = true;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'count' && key !== 'window') {
      fail([...at, key], 'correlation.unknown_key', `unknown key "${key}" in threshold`, true);
      failed = true;
    }
  }
  if (failed || 'message' in window) return undefined;
  return { count: count as number, windowMs: window.ms };
}

function memberSources(rawStep: Raw, path: Path, fail: Report) {
  const sources: { raw: Raw; path: Path; checkKeys: boolean }[] = [];
  if (rawStep.members === undefined) {
    sources.push({ raw: rawStep, path, checkKeys: false });
    return sources;
  }
  if (MEMBER_SHORTHAND.some((key) => rawStep[key] !== undefined)) {
    fail(
      path,
      'correlation.members_and_rules',
      'a step has either members or rules/links/provides',
    );
  }
  if (!Array.isArray(rawStep.members) || rawStep.members.length === 0) {
    fail([...path, 'members'], 'correlation.invalid_members', 'members must be a list');
    return sources;
  }
  rawStep.members.forEach((member, index) => {
    if (!isMap(member)) {
      fail([...path, 'members', index], 'correlation.invalid_member', 'a member must be a map');
    } else {
      sources.push({ raw: member, path: [...path, 'members', index], checkKeys: true });
    }
  });
  return sources;
}

function parseMember(
  raw: Raw,
  path: Path,
  stepIndex: number,
  provided: ReadonlySet<string>,
  remembered: ReadonlySet<string>,
  fail: Report,
  checkKeys = true,
): ChainMember | undefined {
  if (checkKeys) {
    for (const key of Object.keys(raw)) {
      if (!MEMBER_KEYS.has(key)) {
        const hint = didYouMean(key, MEMBER_NAMES);
        fail(
          [...path, key],
          'correlation.unknown_key',
          `unknown key "${key}" in member${hint}`,
          true,
        );
      }
    }
  }
  const rules = strings(raw.rules);
  if (!rules || rules.length === 0) {
    fail(
      [...path, 'rules'],
      'correlation.missing_rules',
      'a member needs rules: the rules whose records count',
    );
    return undefined;
  }
  const links = parseKeys(raw.links, [...path, 'links'], fail);
  const provides = parseKeys(raw.provides, [...path, 'provides'], fail);
  checkLinks(links, provides, raw.provides !== undefined, path, stepIndex, provided, fail);

  const actor = optionalTemplate(raw.actor, [...path, 'actor'], fail);
  const weight = optionalTemplate(raw.weight, [...path, 'weight'], fail);
  const outsideNetworks = optionalTemplate(
    raw.outside_networks,
    [...path, 'outside_networks'],
    fail,
  );
  const insideNetworks = optionalTemplate(raw.inside_networks, [...path, 'inside_networks'], fail);
  const unseen = parseTemplateMap(raw.unseen, [...path, 'unseen'], fail);
  for (const name of Object.keys(unseen)) {
    if (!remembered.has(name)) {
      fail(
        [...path, 'unseen', name],
        'correlation.unknown_remembered',
        `"${name}" is not listed in correlation.remember`,
        true,
      );
    }
  }
  if (raw.counted !== undefined && typeof raw.counted !== 'boolean') {
    fail([...path, 'counted'], 'correlation.invalid_counted', 'counted must be true or false');
  }
  const counted = raw.counted === true;
  if (weight !== undefined && !counted) {
    fail(
      [...path, 'weight'],
      'correlation.weight_not_counted',
      'weight applies to counted members only',
      true,
    );
  }
  return {
    rules,
    links,
    provides,
    actor,
    differ: parseDiffer(raw.differ, [...path, 'differ'], fail),
    counted,
    weight,
    unseen,
    outsideNetworks,
    insideNetworks,
  };
}

function checkLinks(
  links: Record<string, string[]>,
  provides: Record<string, string[]>,
  providesWritten: boolean,
  path: Path,
  stepIndex: number,
  provided: ReadonlySet<string>,
  fail: Report,
): void {
  if (stepIndex === 0 && Object.keys(links).length > 0) {
    fail(
      [...path, 'links'],
      'correlation.first_step_links',
      'the first step opens the chain; it provides keys and links none',
      true,
    );
  }
  if (stepIndex === 0 && Object.keys(provides).length === 0 && !providesWritten) {
    fail(path, 'correlation.missing_provides', 'the first step must provide at least one key');
  }
  if (stepIndex > 0 && Object.keys(links).length === 0) {
    fail(
      path,
      'correlation.missing_links',
      'a member after the first step must link to the chain by a key',
    );
  }
  for (const space of Object.keys(links)) {
    if (!provided.has(space)) {
      fail(
        [...path, 'links', space],
        'correlation.unknown_key_space',
        `no earlier step or observer provides the key "${space}"`,
        true,
      );
    }
  }
}

function parseDiffer(value: unknown, path: Path, fail: Report): [string, string][] {
  const differ: [string, string][] = [];
  if (value === undefined) return differ;
  if (!Array.isArray(value)) {
    fail(path, 'correlation.invalid_differ', 'differ takes pairs of templates: [[a, b], …]');
    return differ;
  }
  value.forEach((pair, index) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      !pair.every((item) => typeof item === 'string')
    ) {
      fail(
        [...path, index],
        'correlation.invalid_differ',
        'differ takes pairs of templates: [[a, b], …]',
      );
      return;
    }
    if (pair.every((item) => checkTemplate(item as string, [...path, index], fail))) {
      differ.push([pair[0] as string, pair[1] as string]);
    }
  });
  return differ;
}

function optionalTemplate(value: unknown, path: Path, fail: Report): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    fail(path, 'correlation.invalid_template', 'expected a template string such as {Field}');
    return undefined;
  }
  return checkTemplate(value, path, fail) ? value : undefined;
}

function parseTemplateMap(value: unknown, path: Path, fail: Report): Record<string, string> {
  const result: Record<string, string> = {};
  if (value === undefined) return result;
  if (!isMap(value)) {
    fail(path, 'correlation.invalid_templates', 'expected a map of names to template strings');
    return result;
  }
  for (const [name, template] of Object.entries(value)) {
    const checked = optionalTemplate(template, [...path, name], fail);
    if (checked !== undefined) result[name] = checked;
  }
  return result;
}

function parseKeys(value: unknown, path: Path, fail: Report): Record<string, string[]> {
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

function checkTemplate(template: string, path: Path, fail: Report): boolean {
  const compiled = compileTemplate(template);
  if (typeof compiled === 'string') {
    fail(path, 'correlation.invalid_template', compiled);
    return false;
  }
  return true;
}
