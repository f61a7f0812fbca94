import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocatedText, YamlDocumentView } from '../../src/context/yaml-view.js';
import { referenceSites } from '../../src/rules/rule-references.js';

/** Returns a document view that records the paths it is asked to locate. */
function countingView(value: unknown): { view: YamlDocumentView; paths: string[] } {
  const paths: string[] = [];
  const view: YamlDocumentView = {
    file: 'chain.yml',
    index: 0,
    value,
    parse: 'plain',
    start: () => ({ file: 'chain.yml', line: 1, column: 1 }),
    locate: (path): LocatedText => {
      paths.push(path.join('.'));
      return { location: { file: 'chain.yml', line: paths.length, column: 3 }, snippet: 'rule' };
    },
  };
  return { view, paths };
}

describe('referenceSites', () => {
  it('locates a reference when read', () => {
    const { view, paths } = countingView({
      correlation: { type: 'event_count', rules: ['first', 'second'] },
    });
    const sites = referenceSites(view);
    assert.deepEqual(
      sites.map((site) => site.reference),
      ['first', 'second'],
    );
    assert.deepEqual(paths, []);

    const second = sites[1];
    assert.ok(second);
    assert.deepEqual(second.location, { file: 'chain.yml', line: 1, column: 3 });
    assert.equal(second.snippet, 'rule');
    assert.deepEqual(
      { ...second },
      {
        reference: 'second',
        location: { file: 'chain.yml', line: 1, column: 3 },
        snippet: 'rule',
      },
    );
    assert.deepEqual(paths, ['correlation.rules.1']);
  });
});
