import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/**
 * Empty and comment-only rule files are listed as skipped, and `rules check` and `scan` both end
 * with status 2 when no rule loads. The files are in test/fixtures/rules-check/empty.
 */

const FOLDER = 'test/fixtures/rules-check/empty';

describe('rules check without rules', () => {
  it('lists empty and comment-only files as skipped', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.match(result.stdout, /^Loaded 0 of 0 rule documents from 4 files/m);
    assert.match(result.stdout, /^Skipped 5 entries, not read as rules:$/m);
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}no YAML document \\(an empty file, or only comments\\): 2 \\(${FOLDER}/comment\\.yml, ${FOLDER}/empty\\.yml\\)$`,
        'm',
      ),
    );
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}empty YAML document: 3 \\(${FOLDER}/null\\.yml:1, ${FOLDER}/separators\\.yml:1, ${FOLDER}/separators\\.yml:2\\)$`,
        'm',
      ),
    );
  });

  it('ends rules check with status 2', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      'trustwatch: no rules to check: the pack was left out and the given paths contain no rule that loads\n',
    );
  });

  it('ends scan with status 2 as well', () => {
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      FOLDER,
      '--db',
      ':memory:',
      'test/fixtures/linux/beats-auth-test.log',
    ]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^trustwatch: no rules to run: /m);
  });
});
