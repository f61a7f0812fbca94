import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContext } from '../src/context/load.js';
import { ConfigError } from '../src/model/errors.js';
import { windowsEvent } from '../src/sources/windows/fields.js';
import { loadRules, matchTitles, TEST_PARSE_CONTEXT } from './helpers/engine.js';

const CONTEXT = `settings:
  logsources:
    - logsource: {product: windows, category: process_creation}
      where:
        Channel: [Custom-EDR/Operational]
        EventID: [77]
      fields:
        Image: ProcessPath
      description: a custom EDR's process events
`;

const RULE = `
title: Tool started
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\tool.exe'
  condition: selection
`;

function edrEvent(eventId: number, path: string) {
  return windowsEvent(
    'windows-json',
    { EventID: eventId, Channel: 'Custom-EDR/Operational', ProcessPath: path },
    ['2025-01-01T00:00:00Z'],
    { file: 'edr.json', record: 1, line: 0 },
    TEST_PARSE_CONTEXT,
  );
}

function configErrors(text: string) {
  try {
    parseContext('trustwatch.yaml', text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('settings.logsources', () => {
  it('maps a new channel and its fields', () => {
    const context = parseContext('trustwatch.yaml', CONTEXT);
    const set = loadRules({ 'rule.yml': RULE });
    const results = matchTitles(
      set,
      [edrEvent(77, 'C:\\tool.exe'), edrEvent(78, 'C:\\tool.exe'), edrEvent(77, 'C:\\other.exe')],
      { mappings: context.settings.logsources },
    );
    assert.deepEqual(results, [['Tool started'], [], []]);
  });

  it('leaves built-in mappings in place', () => {
    const context = parseContext('trustwatch.yaml', CONTEXT);
    const sysmon = windowsEvent(
      'windows-json',
      { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\tool.exe' },
      ['2025-01-01T00:00:00Z'],
      { file: 'sysmon.json', record: 1, line: 0 },
      TEST_PARSE_CONTEXT,
    );
    const set = loadRules({ 'rule.yml': RULE });
    assert.deepEqual(matchTitles(set, [sysmon], { mappings: context.settings.logsources }), [
      ['Tool started'],
    ]);
  });

  it('rejects an empty value list with its line', () => {
    const problems = configErrors(CONTEXT.replace('EventID: [77]', 'EventID: []'));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.location?.file, 'trustwatch.yaml');
    assert.equal(problems[0]?.location?.line, 6);
    assert.match(problems[0]?.message ?? '', /settings\.logsources\.0\.where\.EventID/);
    assert.equal(problems[0]?.snippet, 'EventID: []');
  });

  it('rejects an unknown key', () => {
    const problems = configErrors(CONTEXT.replace('      fields:', '      feilds:'));
    assert.equal(problems[0]?.code, 'config.unrecognized_keys');
    assert.match(problems[0]?.message ?? '', /"feilds"/);
    assert.equal(problems[0]?.location?.line, 7);
  });

  it('rejects a malformed category', () => {
    const problems = configErrors(CONTEXT.replace('process_creation}', 'process creation}'));
    assert.match(problems[0]?.message ?? '', /log source name/);
    assert.equal(problems[0]?.location?.line, 3);
    assert.match(problems[0]?.snippet ?? '', /process creation/);
  });
});
