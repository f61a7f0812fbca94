import { Detector, type DetectorOptions } from '../../src/engine/detector.js';
import type { Event } from '../../src/model/event.js';
import { silentLogger } from '../../src/model/logger.js';
import { loadRuleTexts, type RuleSet } from '../../src/rules/load.js';
import type { LogSourceMapping } from '../../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { type Placeholders, placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';
import type { ParseContext } from '../../src/sources/format.js';
import { windowsEvent } from '../../src/sources/windows/fields.js';
import { TEST_SETTINGS } from './read.js';

/** Helpers that load rules from inline YAML and run them on hand-made Windows events. */

export function loadRules(
  texts: Record<string, string>,
  placeholders: Placeholders = placeholderLookup({}),
): RuleSet {
  return loadRuleTexts(
    Object.entries(texts).map(([file, text]) => ({ file, text })),
    { placeholders },
  );
}

/** The parse context of events made by hand in tests. */
export const TEST_PARSE_CONTEXT: ParseContext = {
  file: 'test.json',
  mtimeMs: undefined,
  settings: TEST_SETTINGS,
  logger: silentLogger,
};

/** A Sysmon event with the given id and data fields, as the Windows sources build it. */
export function sysmonEvent(eventId: number, data: Record<string, unknown>, record = 1) {
  return windowsEvent(
    'windows-json',
    { ...data, EventID: eventId, Channel: 'Microsoft-Windows-Sysmon/Operational' },
    ['2025-01-01T00:00:00Z'],
    { file: 'test.json', record, line: 0 },
    TEST_PARSE_CONTEXT,
  );
}

/** Titles of the detection rules of `set` that match each event, in event order. */
export function matchTitles(
  set: RuleSet,
  events: ReturnType<typeof windowsEvent>[],
  options: { placeholders?: Placeholders; mappings?: LogSourceMapping[] } = {},
): string[][] {
  const rules = set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
  const detector = new Detector(rules, buildMappingTable(options.mappings), {
    placeholders: options.placeholders ?? placeholderLookup({}),
    maxFieldLength: 1 << 20,
  });
  const out: number[] = [];
  return events.map((event) => {
    detector.detect(event, out);
    return out.map((index) => rules[index]?.meta.title ?? '?');
  });
}

/**
 * Returns a detector of rules from inline YAML for one product, whose catch-all mapping routes
 * every event of it. Rules with errors fail the test; warnings do not stop a rule.
 */
export function productDetector(
  product: string,
  texts: readonly string[],
  options: Partial<DetectorOptions> = {},
): Detector {
  const set = loadRuleTexts(
    texts.map((text, at) => ({ file: `rule-${at}.yml`, text })),
    { placeholders: placeholderLookup({}) },
  );
  const errors = set.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) throw new Error(`rules failed to load: ${JSON.stringify(errors)}`);
  const mappings = buildMappingTable([{ logsource: { product } }]);
  return new Detector(set.rules as DetectionRule[], mappings, {
    placeholders: placeholderLookup({}),
    maxFieldLength: 1 << 20,
    ...options,
  });
}

/** Returns a hand-made event of the product with the given fields. */
export function productEvent(product: string, fields: Record<string, unknown>): Event {
  return {
    time: 0,
    timeText: '0',
    format: 'test',
    logsource: { product },
    fields,
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}
