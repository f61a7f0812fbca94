import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readYamlDocuments } from '../../src/context/yaml-view.js';
import { readRuleDocuments } from '../../src/rules/rule-documents.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * A rule file of several documents, read one document at a time with the plain parser, must
 * give the values, indexes, starts and problem locations that reading the whole file gives.
 */

const STEP = `title: Step rule
id: 6f1d2c3e-0000-4000-8000-000000000001
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID:
      - 4624
      - 4625
    LogonType: 10
  condition: selection
level: high
`;

const CHAIN = `# The chain and its step.
title: Chain
correlation:
  type: chain
  steps:
    - name: logon
      rules: [step_rule]
`;

/** Lists the path of every key and list item of a value, the value's own path first. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      found.push(...pathsOf(item, [...at, index]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) found.push(...pathsOf(item, [...at, key]));
  }
  return found;
}

function compare(text: string, file = 'rules.yml'): void {
  const split = readRuleDocuments(file, text);
  const whole = readYamlDocuments(file, text, false);
  assert.deepEqual(split.problems, whole.problems, file);
  assert.deepEqual(split.empty, whole.empty, file);
  assert.equal(split.broken, whole.broken, file);
  assert.equal(split.documents.length, whole.documents.length, file);
  split.documents.forEach((document, index) => {
    const other = whole.documents[index];
    assert.ok(other);
    assert.equal(document.index, other.index, file);
    assert.deepEqual(document.value, other.value, file);
    assert.deepEqual(document.start(), other.start(), file);
    for (const path of [...pathsOf(document.value), ['missing', 'key']]) {
      const name = `${file} ${path.join('.')}`;
      assert.deepEqual(document.locate(path), other.locate(path), name);
      assert.deepEqual(document.locate(path, true), other.locate(path, true), name);
    }
  });
}

describe('readRuleDocuments', () => {
  it('reads each document of a stream plainly', () => {
    const text = `${STEP}---\n${CHAIN}--- # last\n${STEP}`;
    const { documents } = readRuleDocuments('rules.yml', text);
    assert.equal(documents.length, 3);
    for (const document of documents) assert.equal(document.parse, 'plain');
    assert.deepEqual(documents[1]?.start(), { file: 'rules.yml', line: 16, column: 1 });
    assert.deepEqual(documents[2]?.locate(['detection', 'selection', 'LogonType']).location, {
      file: 'rules.yml',
      line: 33,
      column: 16,
    });
    compare(text);
  });

  it('matches the whole file with markers and line ends', () => {
    const texts = [
      `---\n${STEP}---\n${CHAIN}`,
      `# comment before the first marker\n\n---\n${STEP}---   \n${CHAIN}`,
      `${STEP}---\r\n${CHAIN.replaceAll('\n', '\r\n')}`,
      `${STEP}---\n  - a\n  - b\n---\nplain text\n`,
      `${STEP}---\ndescription: |\n  block\n---\n${CHAIN}`,
    ];
    for (const text of texts) compare(text);
  });

  it('reads unsafe streams as one file', () => {
    const texts = [
      `${STEP}---\n`,
      `---\n---\n${STEP}`,
      `${STEP}---\n# only a comment\n---\n${CHAIN}`,
      `${STEP}--- title: inline\n`,
      `${STEP}...\n---\n${CHAIN}`,
      `%YAML 1.2\n---\n${STEP}---\n${CHAIN}`,
      `\ufeff${STEP}---\n${CHAIN}`,
      `${STEP}---\n${CHAIN}title: again\n`,
      `${STEP}---\ntitle: &shared anchored\n`,
      `${STEP}---\ntitle: [unclosed\n`,
    ];
    for (const text of texts) {
      const { documents } = readRuleDocuments('rules.yml', text);
      for (const document of documents) assert.equal(document.parse, 'tree', text);
      compare(text);
    }
  });

  it('matches the whole file on the bundled rule pack', () => {
    const folder = join(fixturePath('..', '..'), 'rules');
    const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) =>
      /\.ya?ml$/.test(name),
    );
    let split = 0;
    for (const name of files) {
      const text = readFileSync(join(folder, name), 'utf8');
      compare(text, name);
      const { documents } = readRuleDocuments(name, text);
      if (documents.length > 1 && documents.every((item) => item.parse === 'plain')) split++;
    }
    assert.ok(split >= 7, `${split} files read one document at a time`);
  });
});
