import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Detector } from '../../src/engine/detector.js';
import { crossesLines, type KeyScan, LineFinds } from '../../src/engine/line-finds.js';
import type { MemoBudget } from '../../src/engine/verdict-memo.js';
import {
  type SubstringTable,
  substringTable,
  visitSubstrings,
} from '../../src/rules/substring-scan.js';
import { productDetector, productEvent } from '../helpers/engine.js';

/** The memo of index keys found in the lines of long values (engine/line-finds.ts). */

function substringScan(keys: readonly string[]): KeyScan<string[]> {
  const table: SubstringTable<string> = substringTable(new Map(keys.map((key) => [key, [key]])));
  return (text, visit) => visitSubstrings(text, table, visit);
}

/** Collects the keys that a scan finds, each once, sorted. */
function found(scan: (visit: (entry: string[]) => void) => void): string[] {
  const keys = new Set<string>();
  scan((entry) => {
    for (const key of entry) keys.add(key);
  });
  return [...keys].sort();
}

/** A deterministic generator, so that a failure names its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

const KEYS = ['mimikatz', 'bypass', 'enc', 'host application', 'kat', 'z'];

describe('line memo of index keys', () => {
  it('finds what a scan of the whole text finds', () => {
    const scan = substringScan(KEYS);
    const counts = { lines_reused_total: 0 };
    const memo = new LineFinds(scan, { units: 0 }, counts);
    const words = ['host', 'application', 'mimikatz', 'bypass', '-enc', 'kat', 'z', 'q', '= '];
    const lines: string[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const length = 20 + Math.floor(next() * 120);
      lines.push(Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' '));
    }
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed * 7);
      const picked = Array.from({ length: 1 + Math.floor(next() * 6) }, () => {
        const line = lines[Math.floor(next() * lines.length)] as string;
        return next() < 0.3 ? `sequence = ${seed}` : line;
      });
      const text = picked.join(next() < 0.5 ? '\n' : '\r\n');
      const whole = found((visit) => scan(text, visit));
      assert.deepEqual(
        found((visit) => memo.visit(text, visit)),
        whole,
        `seed ${seed}`,
      );
    }
    assert.ok(counts.lines_reused_total > 100, `${counts.lines_reused_total} lines reused`);
  });

  it('remembers a line on its second sighting', () => {
    const counts = { lines_reused_total: 0 };
    const memo = new LineFinds(substringScan(['bypass']), { units: 0 }, counts);
    const long = `host application = powershell -exec bypass -enc ${'a'.repeat(300)}`;
    const texts = [1, 2, 3, 4].map((sequence) => `severity = low\n${long}\nsequence = ${sequence}`);
    const results = texts.map((text) => found((visit) => memo.visit(text, visit)));
    assert.deepEqual(results, [['bypass'], ['bypass'], ['bypass'], ['bypass']]);
    assert.equal(counts.lines_reused_total, 2);
  });

  it('keeps within the budget it shares', () => {
    const budget: MemoBudget = { units: 8 * 1024 * 1024 - 100 };
    const counts = { lines_reused_total: 0 };
    const memo = new LineFinds(substringScan(['bypass']), budget, counts);
    const text = `${'b'.repeat(300)} bypass`;
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(
        found((visit) => memo.visit(text, visit)),
        ['bypass'],
      );
    }
    assert.equal(counts.lines_reused_total, 0);
    assert.equal(budget.units, 8 * 1024 * 1024 - 100);
  });

  it('tells keys that hold a line feed', () => {
    assert.equal(crossesLines(['bypass', 'enc']), false);
    assert.equal(crossesLines(['bypass', 'line one\nline two']), true);
  });
});

const PRODUCT = 'lineproduct';

function rule(title: string, selection: string): string {
  return `
title: ${title}
logsource:
  product: ${PRODUCT}
detection:
  selection:
${selection}
  condition: selection
`;
}

const RULES: [string, string, readonly string[]][] = [
  [
    'Encoded host',
    "    ContextInfo|contains|all:\n      - ' -enc '\n      - 'Host Application'",
    [' -enc ', 'host application'],
  ],
  ['Bypass word', "    ContextInfo|contains: ' bypass '", [' bypass ']],
  ['Rare sequence', "    ContextInfo|contains: 'Sequence Number = 77'", ['sequence number = 77']],
  [
    'Command name',
    "    ContextInfo|contains: 'Command Name = Invoke-Expression'",
    ['command name = invoke-expression'],
  ],
  [
    'Two lines',
    '    ContextInfo|contains: "Host ID = 1\\n        Host Application"',
    ['host id = 1\n        host application'],
  ],
];

/** Builds a PowerShell module event's context, whose long host line repeats between events. */
function contextInfo(sequence: number, command: string, host: string): string {
  const lines = [
    '        Severity = Informational',
    '        Host ID = 1',
    `        Host Application = ${host}`,
    `        Command Name = ${command}`,
    `        Sequence Number = ${sequence}`,
    '',
  ];
  return lines.join(sequence % 2 === 0 ? '\r\n' : '\n');
}

describe('detector with long repeated lines', () => {
  it('matches what the values contain', () => {
    const subject: Detector = productDetector(
      PRODUCT,
      RULES.map(([title, selection]) => rule(title, selection)),
    );
    const hosts = [
      `powershell.exe -noP -enc ${'SQBGACgA'.repeat(80)}`,
      `powershell.exe -exec bypass -w hidden ${'JABzAD0A'.repeat(60)}`,
      'powershell.exe',
    ];
    const commands = ['Add-Member', 'Invoke-Expression', 'Get-Item'];
    const matchedTitles = new Set<string>();
    for (let sequence = 1; sequence <= 120; sequence++) {
      const host = hosts[sequence % hosts.length] as string;
      const command = commands[(sequence >> 2) % commands.length] as string;
      const text = contextInfo(sequence, command, host);
      const out: number[] = [];
      subject.detect(productEvent(PRODUCT, { ContextInfo: text }), out);
      const titles = out.map((index) => subject.rules[index]?.meta.title).sort();
      const lower = text.toLowerCase();
      const expected = RULES.filter(([, , all]) => all.every((part) => lower.includes(part)))
        .map(([title]) => title)
        .sort();
      assert.deepEqual(titles, expected, `sequence ${sequence}`);
      for (const title of expected) matchedTitles.add(title);
    }
    assert.deepEqual([...matchedTitles].sort(), RULES.map(([title]) => title).sort());
    assert.ok(subject.stats.lines_reused_total > 50, `${subject.stats.lines_reused_total}`);
  });
});
