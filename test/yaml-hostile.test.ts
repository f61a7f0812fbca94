import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readYamlDocuments } from '../src/context/yaml-view.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const SCENARIO_LOG = join(
  REPO_ROOT,
  'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml',
);
const GOOD_RULE = join(REPO_ROOT, 'rules/third-party/win_third_party_logon_out_of_scope.yml');

/** Nine levels of aliases, nine to a list: its last key alone expands to 2·9⁸ strings. */
const ALIAS_BOMB = [
  'a: &a ["lol", "lol"]',
  ...'bcdefghi'
    .split('')
    .map(
      (name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[index]}`).join(', ')}]`,
    ),
  '',
].join('\n');

const BOMB_MESSAGE =
  'error yaml.alias_count: alias *d takes the document past 1000 alias expansions, as an alias bomb does, so it is not read';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-yaml-'));
}

describe('hostile YAML values', () => {
  it('reports an alias bomb at its alias', () => {
    const read = readYamlDocuments('bomb.yml', ALIAS_BOMB);
    assert.equal(read.documents.length, 0);
    assert.equal(read.problems.length, 1);
    assert.equal(read.problems[0]?.code, 'yaml.alias_count');
    assert.deepEqual(read.problems[0]?.location, { file: 'bomb.yml', line: 5, column: 12 });
    assert.equal(read.problems[0]?.snippet, 'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]');
  });

  it('reports an alias without anchor', () => {
    const read = readYamlDocuments('alias.yml', 'title: x\nid: *nowhere\n');
    assert.equal(read.documents.length, 0);
    assert.equal(read.problems.length, 1);
    assert.equal(read.problems[0]?.code, 'yaml.unresolved_alias');
    assert.equal(read.problems[0]?.message, 'alias *nowhere has no anchor &nowhere before it');
    assert.deepEqual(read.problems[0]?.location, { file: 'alias.yml', line: 2, column: 5 });
  });

  it('reports a repeated ordered map key once', () => {
    const read = readYamlDocuments('omap.yml', 'a: !!omap [b: 1, b: 2]\n');
    assert.equal(read.documents.length, 0);
    assert.deepEqual(
      read.problems.map((problem) => problem.code),
      ['yaml.tag_resolve_failed'],
    );
  });

  it('keeps aliases under the limit', () => {
    const read = readYamlDocuments('ok.yml', 'a: &a [x, y]\nb: [*a, *a]\n');
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.documents[0]?.value, {
      a: ['x', 'y'],
      b: [
        ['x', 'y'],
        ['x', 'y'],
      ],
    });
  });
});

describe('alias bombs on the command line', () => {
  it('rejects a context file with exit 2', () => {
    const dir = tempDir();
    const context = join(dir, 'trustwatch.yaml');
    writeFileSync(context, `parties: []\n${ALIAS_BOMB}`);
    const result = runCli(['scan', '--context', context, '--db', ':memory:', SCENARIO_LOG]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines[0], 'trustwatch: invalid context file (1 problem)');
    assert.equal(lines[1], `${context}:6:12: ${BOMB_MESSAGE}`);
  });

  it('fails one rule file and loads the others', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bomb.yml'), ALIAS_BOMB);
    copyFileSync(GOOD_RULE, join(dir, 'good.yml'));

    const check = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.match(check.stdout, /^Loaded 1 of 2 rule documents from 2 files: 1 detection rules/m);
    assert.ok(
      check.stdout.includes(`${join(dir, 'bomb.yml')}:5:12: yaml.alias_count: alias *d takes`),
      check.stdout,
    );

    const scan = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      dir,
      '--context',
      join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/trustwatch.yaml'),
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      SCENARIO_LOG,
    ]);
    assert.equal(scan.status, 0, scan.stderr);
    assert.match(scan.stderr, /bomb\.yml:5:12: .*yaml\.alias_count/);
    assert.equal(scan.stdout.trim().split('\n').length, 1);
  });
});
