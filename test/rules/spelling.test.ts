import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { didYouMean, editDistance, NameIndex, quotedChoices } from '../../src/rules/spelling.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('acton', 'action', 2), 1);
    assert.equal(editDistance('usr', 'user', 2), 1);
    assert.equal(editDistance('logontyp', 'logontype', 2), 1);
    assert.equal(editDistance('kitten', 'sitting', 3), 3);
  });

  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('logontpye', 'logontype', 2), 1);
    assert.equal(editDistance('ab', 'ba', 1), 1);
  });

  it('stops past the maximum', () => {
    assert.equal(editDistance('process', 'processid', 1), 2);
    assert.equal(editDistance('a', 'abcdef', 2), 3);
    assert.equal(editDistance('detection', 'condition', 2), 3);
  });
});

describe('NameIndex', () => {
  const index = new NameIndex(['EventID', 'LogonType', 'TargetUserName', 'param1', 'uid', 'gid']);

  it('prefers names that differ only in case', () => {
    assert.deepEqual(index.near('EventId'), [{ name: 'EventID', caseOnly: true }]);
    assert.deepEqual(index.near('eventid', { caseOnly: true }), [
      { name: 'EventID', caseOnly: true },
    ]);
  });

  it('finds names a few edits away', () => {
    assert.deepEqual(index.near('LogonTyp'), [{ name: 'LogonType', caseOnly: false }]);
    assert.deepEqual(index.near('TargetUsername'), [{ name: 'TargetUserName', caseOnly: true }]);
    assert.deepEqual(index.near('TargtUserNme'), [{ name: 'TargetUserName', caseOnly: false }]);
  });

  it('finds only case differences when asked', () => {
    assert.deepEqual(index.near('LogonTyp', { caseOnly: true }), []);
  });

  it('returns nothing for a known or distant name', () => {
    assert.deepEqual(index.near('LogonType'), []);
    assert.deepEqual(index.near('CommandLine'), []);
  });

  it('allows one edit for short names and none for two letters', () => {
    assert.deepEqual(index.near('pid'), [
      { name: 'gid', caseOnly: false },
      { name: 'uid', caseOnly: false },
    ]);
    assert.deepEqual(index.near('id'), []);
    assert.deepEqual(index.near('ui'), []);
  });

  it('keeps members of a numbered family apart', () => {
    assert.deepEqual(index.near('param2'), []);
    assert.deepEqual(index.near('parm1'), [{ name: 'param1', caseOnly: false }]);
  });
});

describe('quotedChoices', () => {
  it('joins names with commas and or', () => {
    assert.equal(quotedChoices(['a']), '"a"');
    assert.equal(quotedChoices(['a', 'b']), '"a" or "b"');
    assert.equal(quotedChoices(['a', 'b', 'c']), '"a", "b" or "c"');
  });

  it('builds a hint only for close names', () => {
    const keys = new NameIndex(['timespan', 'group-by', 'rules']);
    assert.equal(didYouMean('timspan', keys), '; did you mean "timespan"?');
    assert.equal(didYouMean('colour', keys), '');
  });
});
