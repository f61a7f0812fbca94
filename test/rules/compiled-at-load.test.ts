import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compiledAtLoad, compileForMapping } from '../../src/rules/compiled-at-load.js';
import { type CompiledSearch, compileDetection } from '../../src/rules/detection.js';
import { EvalContext } from '../../src/rules/fields.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';
import { windowsEvent } from '../../src/sources/windows/fields.js';
import { loadRules, matchTitles, sysmonEvent, TEST_PARSE_CONTEXT } from '../helpers/engine.js';

/**
 * The detector compiles a rule again for a mapping that renames fields it reads, and takes from
 * loading the searches that read none of them. A rule must match the same either way.
 */

const RULE = `title: Whoami by cmd
id: 0b3bd2b8-0b2f-4a8b-9e43-3a3f1bd1c0ab
logsource:
  product: windows
  category: process_creation
detection:
  command:
    CommandLine|contains: 'whoami'
  parent:
    ParentImage|endswith: '\\cmd.exe'
  condition: command and parent
level: low
`;

/** The 4688 mapping's renaming of the fields that `RULE` reads. */
const SECURITY_FIELDS: Record<string, string> = { ParentImage: 'ParentProcessName' };

function loadedRule(): DetectionRule {
  const set = loadRules({ 'rule.yml': RULE });
  const rule = set.rules[0];
  assert.equal(rule?.kind, 'detection');
  return rule as DetectionRule;
}

function securityEvent(data: Record<string, unknown>) {
  return windowsEvent(
    'windows-json',
    { ...data, EventID: 4688, Channel: 'Security' },
    ['2025-01-01T00:00:00Z'],
    { file: 'test.json', record: 1, line: 0 },
    TEST_PARSE_CONTEXT,
  );
}

describe('search sharing', () => {
  it('keeps each search with its fields', () => {
    const rule = loadedRule();
    const keptSearches: [string, readonly string[]][] = [];
    const env = { placeholders: placeholderLookup({}), mapField: (name: string) => name };
    const compiled = compileDetection(rule, env, [], {
      keep: (search, _compiled, fields) => keptSearches.push([search.name, fields]),
    });
    assert.ok(compiled);
    assert.deepEqual(keptSearches, [
      ['command', ['CommandLine']],
      ['parent', ['ParentImage']],
    ]);
  });

  it('takes the search that reuse offers', () => {
    const rule = loadedRule();
    const offered: CompiledSearch = { match: () => true, requires: new Map() };
    const env = { placeholders: placeholderLookup({}), mapField: (name: string) => name };
    const compiled = compileDetection(rule, env, [], {
      reuse: (search) => (search.name === 'parent' ? offered : undefined),
    });
    assert.ok(compiled);
    const context = new EvalContext(1 << 20);
    context.reset(sysmonEvent(1, { CommandLine: 'whoami /all', ParentImage: 'C:\\x\\sh.exe' }));
    assert.equal(compiled.match(context), true, 'the offered search stands for parent');
  });
});

describe('compileForMapping', () => {
  it('compiles again for renamed fields', () => {
    const rule = loadedRule();
    const placeholders = placeholderLookup({});
    const mapField = (name: string) => SECURITY_FIELDS[name] ?? name;
    assert.equal(compiledAtLoad(rule, placeholders, mapField), undefined);

    const compiled = compileForMapping(rule, { placeholders, mapField }, []);
    assert.ok(compiled);
    const context = new EvalContext(1 << 20);
    context.reset(securityEvent({ CommandLine: 'whoami', ParentProcessName: 'C:\\w\\cmd.exe' }));
    assert.equal(compiled.match(context), true, 'renamed parent field');
    context.reset(securityEvent({ CommandLine: 'whoami', ParentImage: 'C:\\w\\cmd.exe' }));
    assert.equal(compiled.match(context), false, 'Sysmon name on a Security event');
  });

  it('matches Sysmon and Security events alike', () => {
    const set = loadRules({ 'rule.yml': RULE });
    const events = [
      sysmonEvent(1, { CommandLine: 'whoami /all', ParentImage: 'C:\\w\\cmd.exe' }),
      securityEvent({ CommandLine: 'whoami /all', ParentProcessName: 'C:\\w\\cmd.exe' }),
      securityEvent({ CommandLine: 'hostname', ParentProcessName: 'C:\\w\\cmd.exe' }),
      securityEvent({ CommandLine: 'whoami /all', ParentProcessName: 'C:\\w\\sh.exe' }),
    ];
    assert.deepEqual(matchTitles(set, events), [['Whoami by cmd'], ['Whoami by cmd'], [], []]);
  });
});
