import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyContext } from '../src/context/load.js';
import { Detector } from '../src/engine/detector.js';
import { expandPaths } from '../src/input/expand.js';
import type { Event } from '../src/model/event.js';
import { silentLogger } from '../src/model/logger.js';
import { sourceSettings } from '../src/pipeline/scan.js';
import { compileDetection } from '../src/rules/detection.js';
import { EvalContext } from '../src/rules/fields.js';
import { cheapest, patternKey, type Requirement } from '../src/rules/index-keys.js';
import { loadRulePaths } from '../src/rules/load.js';
import { LogSourceRouter, mappingsForRule } from '../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import type { DetectionRule } from '../src/rules/rule.js';
import { parseSigmaString } from '../src/rules/values.js';
import { prepareInput, readPrepared } from '../src/sources/read.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { sharedPath } from './helpers/shared.js';

describe('patternKey', () => {
  const key = (value: string, mode: 'equals' | 'contains' | 'startswith' | 'endswith') => {
    const found = patternKey(parseSigmaString(value), mode);
    return found && `${found.kind}${found.value}`;
  };

  it('takes whole words first', () => {
    assert.equal(key('\\psexec.exe', 'endswith'), '~psexec');
    assert.equal(key(' stop ', 'contains'), '~stop');
    assert.equal(key('bun_environment.js', 'contains'), '~environment');
    assert.equal(key('Invoke-Mimikatz -Command', 'contains'), '~mimikatz');
  });

  it('stops at wildcards', () => {
    assert.equal(key('C:\\Tools\\*mimi*.exe', 'equals'), '~tools');
    assert.equal(key('*\\rar.exe', 'equals'), '~rar');
  });

  it('uses a common word only as a last resort', () => {
    assert.equal(key('\\Windows\\System32\\', 'contains'), '~system32');
  });

  it('prefers the longest literal to short and common words', () => {
    assert.equal(key('\\sc.exe', 'endswith'), '*\\sc.exe');
    assert.equal(key('\\x.exe', 'endswith'), '*\\x.exe');
    const run = '\\software\\microsoft\\windows\\currentversion\\run';
    assert.equal(key(run, 'contains'), `*${run}`);
    assert.equal(key('x.exe', 'endswith'), '*x.exe');
  });

  it('takes a start or end otherwise', () => {
    assert.equal(key('Get-ADPrincipalGroupMembership', 'contains'), '^adpr');
    assert.equal(key('gwmi ', 'contains'), '$gwmi');
    assert.equal(key('powershell', 'startswith'), '^powe');
    assert.equal(key('Invoke-Sharp*', 'equals'), '~invoke');
    assert.equal(key('*Potato', 'equals'), '$tato');
  });

  it('falls back to a substring for open words', () => {
    assert.equal(key('stop', 'contains'), '*stop');
    assert.equal(key('-nop', 'contains'), '*-nop');
    assert.equal(key('iex ', 'contains'), '*iex ');
    assert.equal(key('Juicy Potato', 'contains'), '^pota');
    assert.equal(key('JuicyPotato', 'contains'), '*juicypotato');
    assert.equal(key('*st2stager*', 'equals'), '*st2stager');
    assert.equal(key('*-w*hidden*', 'equals'), '*hidden');
  });

  it('gives no key to short or non-ASCII text', () => {
    assert.equal(key('iex', 'contains'), undefined);
    assert.equal(key('\\\\', 'contains'), undefined);
    assert.equal(key('–enc', 'contains'), undefined);
  });

  it('weighs common-word affixes as common', () => {
    assert.equal(key('\\WindowsApps\\', 'contains'), '~windowsapps');
    assert.equal(key('Windows', 'startswith'), '^wind');
    assert.equal(key('Windows x.dll', 'startswith'), '*windows x.dll');
  });
});

describe('cheapest', () => {
  const requirement = (key: string, ...values: string[]): Requirement =>
    new Map([[key, new Set(values)]]);

  it('prefers words to numeric equality', () => {
    const mask = requirement('=GrantedAccess', '0x1400');
    const words = requirement('~TargetImage', 'sysmon', 'sysmon64', 'sysmon64a');
    assert.equal(cheapest([mask, words]), words);
    assert.equal(cheapest([requirement('=LogonType', '10'), words]), words);
  });

  it('prefers text equality to words', () => {
    const image = requirement('=Image', 'c:\\tools\\x.exe');
    const words = requirement('~CommandLine', 'mimikatz', 'kiwi');
    assert.equal(cheapest([words, image]), image);
  });

  it('prefers event ids to channels', () => {
    const channel = requirement('=Channel', 'security');
    const eventId = requirement('=EventID', '4697');
    assert.equal(cheapest([channel, eventId]), eventId);
  });

  it('prefers numeric equality to short words', () => {
    const eventId = requirement('=EventID', '4688');
    const short = requirement('~CommandLine', 'sc', 'at');
    assert.equal(cheapest([short, eventId]), eventId);
  });

  it('prefers words to few-value fields', () => {
    const kind = requirement('=EventType', 'createkey');
    const words = requirement('~TargetObject', 'volumecaches');
    assert.equal(cheapest([kind, words]), words);
    assert.equal(cheapest([requirement('=Company', 'microsoft corporation'), words]), words);
  });

  it('weighs registry numbers as numbers', () => {
    const dword = requirement('=Details', 'dword (0x00000001)');
    const image = requirement('=Image', 'c:\\tools\\x.exe');
    const short = requirement('~TargetObject', 'ie');
    assert.equal(cheapest([dword, image]), image);
    assert.equal(cheapest([short, dword]), dword);
  });

  it('prefers rare numbers to host process names', () => {
    const mask = requirement('=GrantedAccess', '0x143a');
    const process = requirement('~TargetImage', 'svchost');
    assert.equal(cheapest([process, mask]), mask);
  });
});

/** Reads the events of inputs with the built-in formats. */
async function readEvents(path: string): Promise<Event[]> {
  const registry = createFormatRegistry();
  const options = { settings: sourceSettings(emptyContext()), logger: silentLogger };
  const events: Event[] = [];
  for (const file of await expandPaths([path])) {
    const prepared = await prepareInput(file, registry, options);
    if (!prepared.format) continue;
    for await (const output of readPrepared(prepared, options)) events.push(...output.events);
  }
  return events;
}

describe('detector index', () => {
  it('matches what every rule run on every event matches', async (t) => {
    const rulesPath = sharedPath(t, 'peer', 'sigmahq-rules');
    const eventsPath = sharedPath(t, 'peer', 'sigmahq-regression');
    if (!rulesPath || !eventsPath) return;
    const placeholders = placeholderLookup({}, 'wildcard');
    const set = await loadRulePaths([rulesPath], { placeholders });
    const rules = set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
    const table = buildMappingTable();
    const events = await readEvents(eventsPath);
    assert.ok(events.length >= 182);

    const detector = new Detector(rules, table, { placeholders, maxFieldLength: 1 << 20 });
    const router = new LogSourceRouter(table);
    const context = new EvalContext(1 << 20);
    const variants = rules.map((rule) =>
      mappingsForRule(rule.logsource, table).map((mapping) => ({
        mapping: mapping.index,
        match: compileDetection(
          rule,
          { placeholders, mapField: (name) => mapping.fields?.[name] ?? name },
          [],
        )?.match,
      })),
    );

    const out: number[] = [];
    const routed: number[] = [];
    for (const event of events) {
      router.route(event, routed);
      context.reset(event);
      const expected: number[] = [];
      rules.forEach((_, index) => {
        const hit = variants[index]?.some(
          (variant) => routed.includes(variant.mapping) && variant.match?.(context),
        );
        if (hit) expected.push(index);
      });
      // The third time, the detector takes the verdicts it remembered the second time.
      for (let pass = 1; pass <= 3; pass++) {
        detector.detect(event, out);
        assert.deepEqual(out, expected, `${event.origin.file}, pass ${pass}`);
      }
    }
    // The index must keep most rules away from most events.
    const stats = detector.stats;
    assert.ok(stats.evaluations_total / stats.events_total < rules.length / 10);
    assert.ok(stats.verdicts_reused_total >= events.length / 2, `${stats.verdicts_reused_total}`);
  });
});
