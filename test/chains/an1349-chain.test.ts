import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/model/alert.js';
import { evidenceKeys, scanWithPack } from '../helpers/scan.js';

const PARTY = `
parties:
  - name: Acme Backup
    kind: saas-app
    apps: ["acme-backup"]
`;

const START = Date.parse('2024-05-06T09:00:00Z');
const MINUTE = 60_000;

function entry(minutes: number, action: string, actor: string, more: object = {}) {
  return { '@timestamp': START + minutes * MINUTE, action, actor, org: 'contoso', ...more };
}

function reads(count: number, fromMinute: number, action = 'git.clone') {
  return Array.from({ length: count }, (_, index) =>
    entry(fromMinute + index * 0.25, action, 'acme-backup[bot]', {
      repo: `contoso/repo-${index}`,
      programmatic_access_type: 'GitHub App server-to-server token',
    }),
  );
}

const INSTALL = entry(0, 'integration_installation.create', 'alice', {
  integration: 'acme-backup',
  repository_selection: 'selected',
});
const ALL_REPOSITORIES = entry(5, 'integration_installation.repositories_added', 'alice', {
  integration: 'acme-backup',
  repository_selection: 'all',
});

/** Writes the entries newest first, as the audit log API returns them. */
function auditLog(entries: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-an1349-'));
  const path = join(dir, 'github-audit.json');
  const newestFirst = [...entries].sort(
    (a, b) =>
      (b as { '@timestamp': number })['@timestamp'] - (a as { '@timestamp': number })['@timestamp'],
  );
  writeFileSync(path, JSON.stringify(newestFirst, null, 2));
  return path;
}

function an1349(alerts: Alert[]): Alert[] {
  return alerts.filter((alert) => alert.analytic === 'AN1349');
}

describe('AN1349 chain on GitHub', () => {
  it('alerts on install, all repositories and mass clones', async () => {
    const path = auditLog([INSTALL, ALL_REPOSITORIES, ...reads(20, 20)]);
    const alerts = an1349(await scanWithPack([path], PARTY));
    assert.equal(alerts.length, 1);
    const alert = alerts[0] as Alert;
    assert.equal(alert.party, 'Acme Backup');
    assert.equal(alert.actor, 'acme-backup[bot]');
    const keys = evidenceKeys(alert);
    assert.ok(keys.includes('1:github-audit.json#22'), keys.join(' '));
    assert.ok(keys.includes('2:github-audit.json#21'), keys.join(' '));
    assert.ok(keys.includes('3:github-audit.json#20'), keys.join(' '));
    assert.equal(keys.filter((key) => key.startsWith('3:')).length, 20);
  });

  it('adds up clones and ZIP downloads', async () => {
    const path = auditLog([
      INSTALL,
      ALL_REPOSITORIES,
      ...reads(10, 20),
      ...reads(10, 23, 'repo.download_zip'),
    ]);
    assert.equal(an1349(await scanWithPack([path], PARTY)).length, 1);
  });

  it('needs a high-privilege grant', async () => {
    const selected = { ...ALL_REPOSITORIES, repository_selection: 'selected' };
    const path = auditLog([INSTALL, selected, ...reads(25, 20)]);
    assert.equal(an1349(await scanWithPack([path], PARTY)).length, 0);
  });

  it('counts high-privilege permissions as a grant', async () => {
    const permissions = entry(5, 'integration_installation.version_updated', 'alice', {
      integration: 'acme-backup',
      permissions: { administration: 'write', contents: 'read' },
    });
    const path = auditLog([INSTALL, permissions, ...reads(20, 20)]);
    assert.equal(an1349(await scanWithPack([path], PARTY)).length, 1);
  });

  it('needs the threshold within its window', async () => {
    const below = auditLog([INSTALL, ALL_REPOSITORIES, ...reads(19, 20)]);
    assert.equal(an1349(await scanWithPack([below], PARTY)).length, 0);
    const spread = [...reads(10, 20), ...reads(10, 40)];
    const slow = auditLog([INSTALL, ALL_REPOSITORIES, ...spread]);
    assert.equal(an1349(await scanWithPack([slow], PARTY)).length, 0);
  });

  it('drops clones after the mass window', async () => {
    const path = auditLog([INSTALL, ALL_REPOSITORIES, ...reads(20, 70)]);
    assert.equal(an1349(await scanWithPack([path], PARTY)).length, 0);
  });

  it('ignores an app of no party', async () => {
    const path = auditLog([INSTALL, ALL_REPOSITORIES, ...reads(20, 20)]);
    const other = PARTY.replace('acme-backup', 'other-app');
    assert.equal(an1349(await scanWithPack([path], other)).length, 0);
  });

  it('takes the mass threshold from the settings', async () => {
    const path = auditLog([INSTALL, ALL_REPOSITORIES, ...reads(5, 20)]);
    const settings = `${PARTY}settings:\n  chains:\n    AN1349: {mass: {count: 5, window: 5m}}\n`;
    assert.equal(an1349(await scanWithPack([path], settings)).length, 1);
  });
});

const GOOGLE_PARTY = `
parties:
  - name: Acme Backup
    kind: saas-app
    apps: ["555566667777-acme.apps.googleusercontent.com"]
`;
const CLIENT = '555566667777-acme.apps.googleusercontent.com';

function activity(minutes: number, application: string, event: object, actor: object) {
  return {
    kind: 'admin#reports#activity',
    id: { time: new Date(START + minutes * MINUTE).toISOString(), applicationName: application },
    actor,
    events: [event],
  };
}

function downloads(count: number, fromMinute: number, byApp: boolean) {
  const actor = byApp
    ? { email: 'alice@contoso.example', applicationInfo: { oauthClientId: CLIENT } }
    : { email: 'alice@contoso.example' };
  return Array.from({ length: count }, (_, index) =>
    activity(
      fromMinute + index * 0.2,
      'drive',
      {
        type: 'access',
        name: 'download',
        parameters: [{ name: 'doc_id', value: `doc-${index}` }],
      },
      actor,
    ),
  );
}

const AUTHORIZE = activity(
  0,
  'token',
  {
    type: 'auth',
    name: 'authorize',
    parameters: [
      { name: 'client_id', value: CLIENT },
      { name: 'scope', multiValue: ['openid'] },
    ],
  },
  { email: 'alice@contoso.example' },
);

const DELEGATION = activity(
  10,
  'admin',
  {
    type: 'SECURITY_SETTINGS',
    name: 'AUTHORIZE_API_CLIENT_ACCESS',
    parameters: [
      { name: 'API_CLIENT_NAME', value: CLIENT },
      { name: 'API_SCOPES', multiValue: ['https://www.googleapis.com/auth/admin.directory.user'] },
    ],
  },
  { email: 'it-admin@contoso.example' },
);

function reportsFile(items: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-an1349-'));
  const path = join(dir, 'activities.json');
  writeFileSync(path, JSON.stringify({ kind: 'admin#reports#activities', items: items.reverse() }));
  return path;
}

describe('AN1349 chain on Google Workspace', () => {
  it('accepts domain-wide delegation as the grant', async () => {
    const path = reportsFile([AUTHORIZE, DELEGATION, ...downloads(20, 20, true)]);
    const alerts = an1349(await scanWithPack([path], GOOGLE_PARTY));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.actor, CLIENT);
  });

  it('counts only downloads made by the app', async () => {
    const path = reportsFile([AUTHORIZE, DELEGATION, ...downloads(25, 20, false)]);
    assert.equal(an1349(await scanWithPack([path], GOOGLE_PARTY)).length, 0);
  });
});
