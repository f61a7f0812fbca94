import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { parsePaths, parseText } from '../helpers/read-inputs.js';
import { fixturePath } from '../helpers/shared.js';

const INVICTUS = fixturePath(
  'aws',
  '218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
);

const ASSUME_ROLE = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AWSAccount',
    principalId: 'AIDANQTGRBVTAKMCXNSA1',
    accountId: '444455556666',
  },
  eventTime: '2024-03-20T02:12:40Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRole',
  awsRegion: 'eu-central-1',
  sourceIPAddress: '203.0.113.200',
  requestParameters: {
    roleArn: 'arn:aws:iam::111122223333:role/InitechSupportRole',
    roleSessionName: 'initech-ops-7731',
  },
  responseElements: {
    credentials: { accessKeyId: 'ASIAT4EG65TSFABGUCLO' },
    assumedRoleUser: {
      arn: 'arn:aws:sts::111122223333:assumed-role/InitechSupportRole/initech-ops-7731',
    },
  },
  recipientAccountId: '111122223333',
};

const SESSION_CALL = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/InitechSupportRole/initech-ops-7731',
    accountId: '111122223333',
    accessKeyId: 'ASIAT4EG65TSFABGUCLO',
    sessionContext: {
      sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/InitechSupportRole' },
    },
  },
  eventTime: '2024-03-20T02:21:45Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutBucketPolicy',
  sourceIPAddress: '203.0.113.200',
  requestParameters: {
    bucketName: 'contoso-finance-exports',
    bucketPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::contoso-finance-exports/*',
        },
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::111122223333:role/Reader'] },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::contoso-finance-exports/*',
        },
      ],
    },
  },
  recipientAccountId: '111122223333',
};

const temp = mkdtempSync(join(tmpdir(), 'trustwatch-cloudtrail-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('CloudTrail delivered files', () => {
  it('reads every record of a delivered file', async () => {
    const [parsed] = await parsePaths([INVICTUS]);
    assert.equal(parsed?.format, 'aws-cloudtrail');
    assert.deepEqual(parsed?.rejections, []);
    assert.deepEqual(
      parsed?.events.map((event) => [event.origin.record, event.fields.eventName]),
      [
        [1, 'AssumeRole'],
        [2, 'DescribeSubnets'],
        [3, 'DescribeRouteTables'],
        [4, 'DescribeRouteTables'],
        [5, 'UpdateInstanceAssociationStatus'],
        [6, 'GetUser'],
      ],
    );
    const assume = parsed?.events[0];
    assert.equal(assume?.logsource.product, 'aws');
    assert.equal(assume?.logsource.service, 'cloudtrail');
    assert.equal(assume?.core.cloudAccount, '123837392027');
    assert.equal(assume?.core.srcIp, '192.168.10.20');
    assert.equal(new Date(assume?.time ?? 0).toISOString(), '2023-07-10T12:01:59.000Z');
  });

  it('reads gzip-compressed files', async () => {
    const text = JSON.stringify({ Records: [ASSUME_ROLE, SESSION_CALL] });
    const parsed = await parseText('111122223333_CloudTrail_eu-central-1_x.json.gz', text, {
      gzip: true,
    });
    assert.equal(parsed.format, 'aws-cloudtrail');
    assert.equal(parsed.events.length, 2);
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [1, 2],
    );
  });

  it('reads an empty delivered file', async () => {
    const parsed = await parseText('111122223333_CloudTrail_eu-central-1_y.json', '{"Records":[]}');
    assert.equal(parsed.format, 'aws-cloudtrail');
    assert.equal(parsed.events.length, 0);
    assert.deepEqual(parsed.rejections, []);
  });
});

describe('CloudTrail S3 folder layout', () => {
  const root = join(temp, 'AWSLogs', '111122223333');
  const logs = join(root, 'CloudTrail', 'eu-central-1', '2024', '03', '20');
  const digests = join(root, 'CloudTrail-Digest', 'eu-central-1', '2024', '03', '20');
  mkdirSync(logs, { recursive: true });
  mkdirSync(digests, { recursive: true });
  writeFileSync(
    join(logs, '111122223333_CloudTrail_eu-central-1_20240320T0215Z_a.json.gz'),
    gzipSync(JSON.stringify({ Records: [ASSUME_ROLE, SESSION_CALL] })),
  );
  const digest = {
    awsAccountId: '111122223333',
    digestStartTime: '2024-03-20T01:15:00Z',
    digestEndTime: '2024-03-20T02:15:00Z',
    digestS3Bucket: 'contoso-trail',
    digestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/eu-central-1/2024/03/20/d.json.gz',
    digestPublicKeyFingerprint: '5d3c2a1b0f9e8d7c6b5a49382716f5e4',
    digestSignatureAlgorithm: 'SHA256withRSA',
    logFiles: [
      {
        s3Bucket: 'contoso-trail',
        s3Object: 'AWSLogs/111122223333/CloudTrail/eu-central-1/2024/03/20/a.json.gz',
        hashValue: '9f1e2d3c4b5a69788796a5b4c3d2e1f0',
        hashAlgorithm: 'SHA-256',
      },
    ],
  };
  writeFileSync(
    join(
      digests,
      '111122223333_CloudTrail-Digest_eu-central-1_trail_eu-central-1_20240320T021500Z.json.gz',
    ),
    gzipSync(JSON.stringify(digest)),
  );

  it('skips digest files with a note', async () => {
    const parsed = await parsePaths([join(temp, 'AWSLogs')]);
    const [logFile, digestFile] = parsed;
    assert.equal(parsed.length, 2);
    assert.equal(logFile?.format, 'aws-cloudtrail');
    assert.equal(logFile?.events.length, 2);
    assert.equal(digestFile?.format, 'aws-cloudtrail-digest');
    assert.match(digestFile?.skipped ?? '', /digest file/);
    assert.equal(digestFile?.events.length, 0);
    assert.equal(digestFile?.records, 0);
  });

  it('reports digest files as skipped', () => {
    const result = runCli([
      'scan',
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      join(temp, 'AWSLogs'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /2 records read, 2 parsed, 0 rejected/);
    assert.match(
      result.stderr,
      /CloudTrail-Digest_eu-central-1_trail_eu-central-1_20240320T021500Z\.json\.gz \[aws-cloudtrail-digest\] skipped: CloudTrail digest file/,
    );
  });
});

describe('CloudTrail event lines and exports', () => {
  it('reads Logstash records whose eventTime became @timestamp', async () => {
    const { eventTime: _dropped, ...rest } = SESSION_CALL;
    const line = JSON.stringify({
      ...rest,
      '@timestamp': '2024-03-20T02:21:45.000Z',
      '@version': '1',
    });
    const parsed = await parseText(
      'cloudtrail.ndjson',
      `${line}\n${JSON.stringify(ASSUME_ROLE)}\n`,
    );
    assert.equal(parsed.format, 'aws-cloudtrail');
    assert.equal(parsed.events.length, 2);
    assert.equal(new Date(parsed.events[0]?.time ?? 0).toISOString(), '2024-03-20T02:21:45.000Z');
    assert.equal(parsed.events[1]?.origin.record, 2);
  });

  it('reads lookup-events output and its inner events', async () => {
    const text = JSON.stringify(
      {
        Events: [
          {
            EventId: 'b4df4d82',
            EventName: 'AssumeRole',
            ReadOnly: 'true',
            EventTime: '2024-03-20T03:12:40+01:00',
            EventSource: 'sts.amazonaws.com',
            Resources: [],
            CloudTrailEvent: JSON.stringify(ASSUME_ROLE),
          },
          { EventId: 'x', EventName: 'GetUser', CloudTrailEvent: '{"eventName": ' },
        ],
        NextToken: 'eyJ',
      },
      null,
      2,
    );
    const parsed = await parseText('lookup.json', text);
    assert.equal(parsed.format, 'aws-cloudtrail');
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.events[0]?.fields.eventName, 'AssumeRole');
    assert.equal(parsed.events[0]?.fields.CloudTrailEvent, undefined);
    assert.equal(parsed.events[0]?.origin.record, 1);
    assert.equal(parsed.rejections.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'invalid_json');
    assert.equal(parsed.rejections[0]?.origin.record, 2);
  });

  it('reads EventBridge deliveries and lower-case keys', async () => {
    const bridge = {
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.sts',
      detail: ASSUME_ROLE,
    };
    const lower = {
      eventname: 'GetUser',
      eventsource: 'iam.amazonaws.com',
      eventtime: '2024-03-20T02:30:00Z',
    };
    const parsed = await parseText(
      'mixed.ndjson',
      `${JSON.stringify(bridge)}\n${JSON.stringify(lower)}\n`,
    );
    assert.deepEqual(
      parsed.events.map((event) => event.fields.eventName),
      ['AssumeRole', 'GetUser'],
    );
    assert.equal(parsed.events[1]?.fields.eventSource, 'iam.amazonaws.com');
  });

  it('rejects records without name or time', async () => {
    const { eventTime: _dropped, ...timeless } = ASSUME_ROLE;
    const text = [ASSUME_ROLE, timeless, { eventSource: 'sts.amazonaws.com' }]
      .map((record) => JSON.stringify(record))
      .join('\n');
    const parsed = await parseText('cloudtrail.ndjson', text);
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(
      parsed.rejections.map((rejection) => [rejection.origin.line, rejection.code]),
      [
        [2, 'invalid_time'],
        [3, 'unexpected_shape'],
      ],
    );
  });
});

describe('CloudTrail core', () => {
  it('names the caller account of a cross-account AssumeRole', async () => {
    const parsed = await parseText('c.ndjson', JSON.stringify(ASSUME_ROLE));
    assert.deepEqual(parsed.events[0]?.core, {
      actor: '444455556666',
      cloudAccount: '444455556666',
      srcIp: '203.0.113.200',
      target: 'arn:aws:iam::111122223333:role/InitechSupportRole',
      action: 'AssumeRole',
      outcome: 'success',
    });
  });

  it('names the assumed-role session and key', async () => {
    const parsed = await parseText('c.ndjson', JSON.stringify(SESSION_CALL));
    const core = parsed.events[0]?.core;
    assert.equal(core?.actor, SESSION_CALL.userIdentity.arn);
    assert.equal(core?.session, 'ASIAT4EG65TSFABGUCLO');
    assert.deepEqual(core?.identities, ['arn:aws:iam::111122223333:role/InitechSupportRole']);
    assert.equal(core?.cloudAccount, '111122223333');
  });
});

describe('CloudTrail sharing fields', () => {
  it('derives the outside principals of a bucket policy', async () => {
    const parsed = await parseText('c.ndjson', JSON.stringify(SESSION_CALL));
    assert.deepEqual(parsed.events[0]?.fields.derived, {
      outsidePrincipals: ['999988887777'],
      grantsOutsideAccess: true,
    });
  });

  it('judges the Panther sharing records', async () => {
    const text = readFileSync(fixturePath('aws', 'panther-sharing-records.ndjson'), 'utf8');
    const parsed = await parseText('panther.ndjson', text);
    assert.deepEqual(parsed.rejections, []);
    const judged = parsed.events.map((event) => [
      event.fields.eventName,
      (event.fields.derived as { outsidePrincipals?: string[] } | undefined)?.outsidePrincipals ??
        [],
    ]);
    assert.deepEqual(judged, [
      ['ModifyImageAttribute', ['*']],
      ['ModifyImageAttribute', []],
      ['ModifyImageAttribute', []],
      ['ModifyImageAttribute', ['012345678901']],
      ['AssumeRole', []],
      ['ModifyDBSnapshotAttribute', ['193672423079']],
      ['ModifyDBSnapshotAttribute', []],
      ['PutBucketPolicy', ['*']],
      ['PutBucketPolicy', []],
      ['PutBucketPolicy', []],
      ['PutBucketPolicy', ['*']],
      ['ModifySnapshotAttribute', ['*']],
      ['ModifySnapshotAttribute', []],
      ['ModifySnapshotAttribute', ['111122223333']],
    ]);
  });
});
