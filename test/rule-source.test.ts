import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ruleSourceOf } from '../src/rules/rule-source.js';
import { parseAlerts, runCli } from './helpers/cli.js';

const temp = mkdtempSync(join(tmpdir(), 'trustwatch-rule-source-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function tree(name: string, folders: string[]): string {
  const root = join(temp, name);
  for (const folder of folders) mkdirSync(join(root, folder, 'windows'), { recursive: true });
  return root;
}

const RULE = `title: Whoami
id: 0b3bd2b8-0b2f-4a8b-9e43-3a3f1bd1c0aa
author: Jane Doe, John Roe
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
level: low
`;

describe('rule source', () => {
  it('links a SigmaHQ tree at master', () => {
    const root = tree('plain', ['rules', 'rules-emerging-threats']);
    const file = join(root, 'rules', 'windows', 'a.yml');
    assert.equal(
      ruleSourceOf(file),
      'https://github.com/SigmaHQ/sigma/blob/master/rules/windows/a.yml',
    );
  });

  it('links a git checkout at its commit', () => {
    const root = tree('checkout', ['rules', 'rules-threat-hunting']);
    const commit = '8eaafff1f2845a696050e05e72ba1140ee190698';
    mkdirSync(join(root, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/master\n');
    writeFileSync(join(root, '.git', 'refs', 'heads', 'master'), `${commit}\n`);
    const file = join(root, 'rules-threat-hunting', 'windows', 'b.yml');
    assert.equal(
      ruleSourceOf(file),
      `https://github.com/SigmaHQ/sigma/blob/${commit}/rules-threat-hunting/windows/b.yml`,
    );
  });

  it('keeps the path of other files', () => {
    const root = tree('own', ['rules']);
    const file = join(root, 'rules', 'windows', 'c.yml');
    assert.equal(ruleSourceOf(file), file);
  });

  it('alerts carry author and source', () => {
    const root = tree('scan', ['rules', 'rules-placeholder']);
    const ruleFile = join(root, 'rules', 'windows', 'whoami.yml');
    writeFileSync(ruleFile, RULE);
    const events = join(temp, 'events.json');
    writeFileSync(
      events,
      JSON.stringify({
        Event: {
          System: {
            EventID: 1,
            Channel: 'Microsoft-Windows-Sysmon/Operational',
            TimeCreated: { '#attributes': { SystemTime: '2025-01-01T00:00:00Z' } },
          },
          EventData: { Image: 'C:\\Windows\\System32\\whoami.exe' },
        },
      }),
    );
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      root,
      events,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
    ]);
    assert.equal(result.status, 0, result.stderr);
    const [alert] = parseAlerts(result.stdout) as {
      rule: { author: string; source: string; file: string };
    }[];
    assert.equal(alert?.rule.author, 'Jane Doe, John Roe');
    assert.equal(
      alert?.rule.source,
      'https://github.com/SigmaHQ/sigma/blob/master/rules/windows/whoami.yml',
    );
    assert.equal(alert?.rule.file, ruleFile);
  });
});
