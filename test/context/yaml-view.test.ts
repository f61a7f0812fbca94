import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readYamlDocuments } from '../../src/context/yaml-view.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

/**
 * The plain parse of rule files must give the same values, start positions and problem
 * locations as the position-keeping tree, and leave to the tree what it cannot read the same.
 */

const RULE = `title: Remote logon by a contractor
id: 6f1d2c3e-0000-4000-8000-000000000001
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    LogonType: 10
  condition: selection
level: high
`;

function compare(text: string, file = 'rule.yml'): void {
  const plain = readYamlDocuments(file, text);
  const tree = readYamlDocuments(file, text, false);
  assert.equal(plain.documents.length, tree.documents.length, file);
  plain.documents.forEach((document, index) => {
    const other = tree.documents[index];
    assert.ok(other);
    assert.deepEqual(document.value, other.value, file);
    assert.deepEqual(document.start(), other.start(), file);
    assert.equal(document.index, other.index, file);
  });
}

describe('YAML document views', () => {
  it('reads a plain rule without the tree', () => {
    const { documents } = readYamlDocuments('rule.yml', RULE);
    assert.equal(documents.length, 1);
    assert.equal(documents[0]?.parse, 'plain');
    compare(RULE);
  });

  it('places the start past comments and markers', () => {
    const headers = [
      '# leading comment\n\n',
      '---\n',
      '--- # marker comment\n',
      '\n\n   \n',
      '# one\r\n# two\r\n',
      '--- ',
    ];
    for (const header of headers) compare(`${header}${RULE}`);
    compare(RULE.replaceAll('\n', '\r\n'));
    compare(`  ${RULE.replaceAll('\n', '\n  ')}`);
  });

  it('locates problems as the tree does', () => {
    const plain = readYamlDocuments('rule.yml', RULE).documents[0];
    const tree = readYamlDocuments('rule.yml', RULE, false).documents[0];
    assert.ok(plain);
    assert.ok(tree);
    const paths: (string | number)[][] = [
      ['detection', 'selection', 'LogonType'],
      ['logsource', 'service'],
      ['level'],
      ['missing', 'key'],
    ];
    for (const path of paths) {
      assert.deepEqual(plain.locate(path), tree.locate(path), path.join('.'));
      assert.deepEqual(plain.locate(path, true), tree.locate(path, true), path.join('.'));
    }
    assert.deepEqual(plain.locate(['level']).location, { file: 'rule.yml', line: 11, column: 8 });
  });

  it('leaves anchors, tags, directives and streams to the tree', () => {
    const texts = [
      `${RULE}extra: &shared [a, b]\nmore: *shared\n`,
      `${RULE}date: !!timestamp 2024-01-01\n`,
      `%YAML 1.1\n---\n${RULE}`,
      `${RULE}---\ntitle: second\n`,
      `${RULE}...\n`,
      `\ufeff${RULE}`,
      `${RULE}level: low\n`,
      'title: [unclosed\n',
    ];
    for (const text of texts) {
      const { documents } = readYamlDocuments('rule.yml', text);
      for (const document of documents) assert.equal(document.parse, 'tree', text);
    }
  });

  it('reports duplicate keys with their line', () => {
    const { problems } = readYamlDocuments('rule.yml', `${RULE}level: low\n`);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.location?.line, 12);
  });

  it('matches the tree on the bundled rule pack', () => {
    const folder = join(fixturePath('..', '..'), 'rules');
    const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) =>
      /\.ya?ml$/.test(name),
    );
    assert.ok(files.length >= 10);
    for (const name of files) compare(readFileSync(join(folder, name), 'utf8'), name);
  });

  it('matches the tree on the SigmaHQ rules', (t) => {
    const folder = sharedPath(t, 'peer', 'sigmahq-rules');
    if (!folder) return;
    const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) =>
      /\.ya?ml$/.test(name),
    );
    let plain = 0;
    for (const name of files) {
      const text = readFileSync(join(folder, name), 'utf8');
      compare(text, name);
      if (readYamlDocuments(name, text).documents[0]?.parse === 'plain') plain++;
    }
    assert.ok(plain > files.length * 0.9, `${plain} of ${files.length} read plain`);
  });
});
