import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { splitCsvRow } from '../../src/sources/github/audit-csv.js';
import { slugify } from '../../src/sources/github/audit-fields.js';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trustwatch-github-')), name);
  writeFileSync(path, text);
  return path;
}

describe('github-audit source', () => {
  it('reads Panther audit entries', async () => {
    const parsed = await parseInput(fixturePath('github', 'panther-audit.ndjson'));
    assert.equal(parsed.format, 'github-audit');
    assert.equal(parsed.events.length, 4);
    assert.equal(parsed.rejections.length, 0);
    const [branch, , install, clone] = parsed.events;
    assert.deepEqual(branch?.logsource, { product: 'github', service: 'audit' });
    assert.equal(branch?.time, 1621305118553);
    assert.equal(branch?.core.actor, 'cat');
    assert.equal(branch?.core.target, 'my-org/my-repo');
    assert.equal(install?.time, Date.parse('2022-12-11T05:28:05.542Z'));
    assert.equal(install?.fields.app_slug, 'microsoft-teams-for-github');
    assert.equal(install?.core.app, 'microsoft-teams-for-github');
    assert.equal(clone?.core.srcIp, '5.6.7.8');
    assert.equal(clone?.fields.app_slug, undefined);
  });

  it('reads the REST API array, newest first', async () => {
    const entries = [
      { '@timestamp': 1714986300000, action: 'git.clone', actor: 'acme-backup[bot]', org: 'c' },
      { '@timestamp': 1714986000000, action: 'org.add_member', actor: 'alice', org: 'c' },
    ];
    const parsed = await parseInput(tempFile('audit.json', JSON.stringify(entries)));
    assert.equal(parsed.format, 'github-audit');
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.record, event.time]),
      [
        [1, 1714986300000],
        [2, 1714986000000],
      ],
    );
    assert.equal(parsed.events[0]?.fields.app_slug, 'acme-backup');
    assert.equal(parsed.events[0]?.core.app, 'acme-backup');
  });

  it('lists granted permissions as name and level', async () => {
    const entry = {
      created_at: 1714986000000,
      action: 'integration_installation.version_updated',
      actor: 'alice',
      integration: 'Acme-Backup',
      permissions: { administration: 'write', contents: 'read', metadata: 'READ' },
    };
    const parsed = await parseInput(tempFile('audit.ndjson', `${JSON.stringify(entry)}\n`));
    const event = parsed.events[0];
    assert.equal(event?.fields.app_slug, 'acme-backup');
    assert.deepEqual(event?.fields.permission_levels, [
      'administration:write',
      'contents:read',
      'metadata:read',
    ]);
  });

  it('reads the CSV export', async () => {
    const parsed = await parseInput(fixturePath('github', 'audit-export.csv'));
    assert.equal(parsed.format, 'github-audit-csv');
    assert.equal(parsed.rejections.length, 0);
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [2, 3, 4, 6],
    );
    const [install, clone, hook] = parsed.events;
    assert.equal(install?.time, 1714986000000);
    assert.equal(install?.fields['actor_location.country_code'], 'DE');
    assert.equal(install?.fields.repo, undefined);
    assert.equal(clone?.fields.app_slug, 'acme-backup');
    assert.deepEqual(hook?.fields['data.events'], ['push', 'pull_request']);
    assert.equal(hook?.fields['data.note'], 'a note, with a comma\nand a line break');
  });

  it('rejects a CSV row of the wrong width', async () => {
    const text = 'action,actor,created_at\ngit.clone,alice,1714986000000\ngit.push,bob\n';
    const parsed = await parseInput(tempFile('audit.csv', text));
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.rejections.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
    assert.equal(parsed.rejections[0]?.origin.record, 3);
  });

  it('rejects a CSV value left open', async () => {
    const parsed = await parseInput(
      tempFile('audit.csv', 'action,actor,created_at\n"git.clone,a,1\n'),
    );
    assert.equal(parsed.events.length, 0);
    assert.equal(parsed.rejections[0]?.code, 'invalid_csv_row');
  });
});

describe('github csv rows', () => {
  it('splits quoted and doubled quotes', () => {
    assert.deepEqual(splitCsvRow('a,"b,c","d ""e"""'), ['a', 'b,c', 'd "e"']);
    assert.deepEqual(splitCsvRow('a,,'), ['a', '', '']);
    assert.equal(splitCsvRow('a,"open'), undefined);
  });
});

describe('github app slugs', () => {
  it('follows the slug rule of app names', () => {
    assert.equal(slugify('Datadog CI'), 'datadog-ci');
    assert.equal(slugify('  Acme: Backup++ Connect '), 'acme-backup-connect');
  });
});
