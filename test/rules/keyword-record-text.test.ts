import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Detector } from '../../src/engine/detector.js';
import { expandPaths } from '../../src/input/expand.js';
import type { Event } from '../../src/model/event.js';
import { MemoryLogger } from '../../src/model/logger.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';
import { prepareInput, readPrepared } from '../../src/sources/read.js';
import { createFormatRegistry } from '../../src/sources/registry.js';
import { loadRules } from '../helpers/engine.js';
import { TEST_SETTINGS } from '../helpers/read-input.js';

/**
 * Keyword searches test the JSON text of a flat Windows record before they walk its values.
 * The text test may only skip the walk, never change a result. So each record below is detected
 * with its text and without it, and both must give the expected matches.
 */

const RULES = {
  'keywords.yml': `
title: Tool keywords
logsource: { product: windows }
detection:
  keywords: ['sekurlsa::', 'mimikatz', 'kiwi_passwords', 'lsadump::']
  condition: keywords
---
title: Count keyword
logsource: { product: windows }
detection:
  keywords: ['1000']
  condition: keywords
---
title: Path keyword
logsource: { product: windows }
detection:
  keywords: ['\\temp\\evil.exe', '/tmp/evil']
  condition: keywords
`,
};

/** Builds a flat NXLog record: the fields that make the shape, and the data of a case. */
function record(data: string): string {
  const base =
    '"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"ws1",' +
    '"EventTime":"2024-03-01 10:00:00","EventReceivedTime":"2024-03-01 10:00:01",' +
    '"@timestamp":"2024-03-01T10:00:01.000Z"';
  return `{${base},${data}}`;
}

const CASES: { data: string; matches: string[] }[] = [
  { data: '"CommandLine":"m.exe sekurlsa::logonpasswords"', matches: ['Tool keywords'] },
  { data: '"CommandLine":"MIMIKATZ.EXE"', matches: ['Tool keywords'] },
  // A keyword spelled with an escape is in the value, not in the text.
  { data: '"CommandLine":"mim\\u0069katz.exe"', matches: ['Tool keywords'] },
  { data: '"CommandLine":"MIM\\u0049KATZ.EXE"', matches: ['Tool keywords'] },
  // A backslash before `u` in a path is no escape, and the value is still read when it matches.
  { data: '"Image":"c:\\\\users\\\\mimikatz.exe"', matches: ['Tool keywords'] },
  { data: '"Image":"c:\\\\users\\\\notepad.exe"', matches: [] },
  { data: '"CommandLine":"notepad.exe","SourceIp":"fe80::1"', matches: [] },
  { data: '"CommandLine":"notepad.exe"', matches: [] },
  // The number reads 1000 though its text is 1e3.
  { data: '"Count":1e3', matches: ['Count keyword'] },
  { data: '"Image":"C:\\\\Temp\\\\evil.exe"', matches: ['Path keyword'] },
  { data: '"Image":"\\/tmp\\/evil"', matches: ['Path keyword'] },
];

describe('keyword searches over the record text', () => {
  const folder = mkdtempSync(join(tmpdir(), 'trustwatch-keywords-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('matches alike with and without text', async () => {
    const path = join(folder, 'flat.json');
    writeFileSync(path, `${CASES.map((item) => record(item.data)).join('\n')}\n`);
    const logger = new MemoryLogger();
    const options = { settings: TEST_SETTINGS, logger };
    const [file] = await expandPaths([path]);
    assert.ok(file);
    const prepared = await prepareInput(file, createFormatRegistry(), options);
    assert.equal(prepared.format?.name, 'windows-flat');

    const events: Event[] = [];
    const texts: (string | undefined)[] = [];
    for await (const output of readPrepared(prepared, options)) {
      assert.deepEqual(output.rejections, []);
      output.events.forEach((event, index) => {
        events.push(event);
        texts.push(output.texts?.[index]);
      });
    }
    assert.equal(events.length, CASES.length);
    assert.ok(texts.every((text) => typeof text === 'string'));

    const set = loadRules(RULES);
    assert.deepEqual(set.problems, []);
    const rules = set.rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
    const detector = new Detector(rules, buildMappingTable(), {
      placeholders: placeholderLookup({}),
      maxFieldLength: 1 << 20,
    });
    const titles = (out: number[]) => out.map((index) => rules[index]?.meta.title);
    const out: number[] = [];
    CASES.forEach((item, index) => {
      const event = events[index] as Event;
      detector.detect(event, out, texts[index]);
      assert.deepEqual(titles(out), item.matches, `with text: ${item.data}`);
      detector.detect(event, out);
      assert.deepEqual(titles(out), item.matches, `without text: ${item.data}`);
    });
  });
});
