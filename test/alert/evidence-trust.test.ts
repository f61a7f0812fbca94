import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldsHolding } from '../../src/alert/evidence-trust.js';

/** Record fields that hold the value a context entry matched, found by value. */

describe('fieldsHolding', () => {
  it('names nested fields by their dotted path', () => {
    const record = {
      eventName: 'AssumeRole',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123837392027:user/bert-jan' },
      requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/Support' },
    };
    assert.deepEqual(fieldsHolding(record, 'ARN:aws:iam::123837392027:user/bert-jan', false), [
      'userIdentity.arn',
    ]);
  });

  it('names every field that holds the value, in record order', () => {
    const record = { SubjectUserName: 'admmig', TargetUserName: 'ADMMIG', LogonType: '3' };
    assert.deepEqual(fieldsHolding(record, 'admmig', false), ['SubjectUserName', 'TargetUserName']);
  });

  it('compares addresses as addresses', () => {
    const record = {
      IpAddress: '::ffff:10.23.42.22',
      ClientIP: '10.23.42.22:51544',
      Other: '10.23.42.220',
    };
    assert.deepEqual(fieldsHolding(record, '10.23.42.22', true), ['IpAddress', 'ClientIP']);
    assert.deepEqual(fieldsHolding(record, '10.23.42.22', false), []);
  });

  it('reaches values inside arrays', () => {
    const record = { actor: [{ id: 'app-123' }, { id: 'other' }] };
    assert.deepEqual(fieldsHolding(record, 'APP-123', false), ['actor.id']);
  });

  it('names no field for a value composed of several', () => {
    const record = { TargetDomainName: 'OFFSEC', TargetUserName: 'admmig' };
    assert.deepEqual(fieldsHolding(record, 'OFFSEC\\admmig', false), []);
  });
});
