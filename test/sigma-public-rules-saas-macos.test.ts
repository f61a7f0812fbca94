import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

/**
 * Checks that the public SigmaHQ rules for Google Cloud and Workspace, GitHub, the Azure
 * Activity Log and macOS load unmodified and that each maps to a log source the new formats
 * provide. They must also raise the alerts counted below on the shared corpus and on a
 * scenario's unified log.
 */

const RULE_FOLDERS = [
  ['rules', 'cloud', 'gcp'],
  ['rules', 'application', 'github'],
  ['rules', 'cloud', 'azure', 'activity_logs'],
  ['rules', 'macos'],
  ['rules-threat-hunting', 'macos'],
];

const INPUTS = [
  ['corpus', 'google-workspace', 'panther-analysis', 'panther-gsuite-activityevent.ndjson'],
  ['corpus', 'github', 'panther-analysis', 'panther-github-audit.ndjson'],
  ['corpus', 'gcp', 'panther-analysis', 'panther-gcp-auditlog.ndjson'],
  ['corpus', 'azure-activity', 'panther-analysis', 'panther-azure-monitoractivity.ndjson'],
  ['scenarios', 'an1346-mac-ssh-admin-smb-chain', 'logs'],
];

/** Alerts per rule title on the inputs, one product or more per rule folder. */
const EXPECTED_ALERTS: Record<string, number> = {
  'Google Cloud Firewall Modified or Deleted': 3,
  'Google Cloud DNS Zone Modified or Deleted': 2,
  'Google Cloud Storage Buckets Modified or Deleted': 1,
  'Google Workspace Role Modified or Deleted': 2,
  'Suspicious Login Activity Classified By Google': 1,
  'Google Workspace Out Of Domain Email Forwarding': 1,
  'Google Workspace Government Attack Warning': 1,
  'New Github Organization Member Added': 4,
  'Github High Risk Configuration Disabled': 4,
  'Github Secret Scanning Feature Disabled': 2,
  'Azure Keyvault Key Modified or Deleted': 5,
  'Azure Network Security Configuration Modified or Deleted': 7,
  'Azure Subscription Permission Elevation Via ActivityLogs': 1,
  'User Added To Admin Group Via DseditGroup': 1,
};

function folders(t: Parameters<typeof sharedPath>[0]): string[] | undefined {
  const root = sharedPath(t, 'peer', 'sigmahq-rules');
  if (!root) return undefined;
  return RULE_FOLDERS.map((parts) => join(root, ...parts));
}

describe('public Sigma rules for SaaS, cloud and macOS', () => {
  it('load with no errors and all map', (t) => {
    const paths = folders(t);
    if (!paths) return;
    const result = runCli(['rules', 'check', '--no-default-rules', '--no-warnings', ...paths]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Loaded (\d+) of \1 rule documents/);
    assert.doesNotMatch(result.stdout, /have a log source no input format provides/);
  });

  it('fire on the corpus as expected', (t) => {
    const paths = folders(t);
    const inputs = INPUTS.map((parts) => sharedPath(t, ...parts));
    if (!paths || inputs.some((input) => input === undefined)) return;
    const rules = paths.flatMap((path) => ['--rules', path]);
    // Panther's partial test records carry no time; they are parsed with the input time here.
    const context = join(
      mkdtempSync(join(tmpdir(), 'trustwatch-public-rules-')),
      'trustwatch.yaml',
    );
    writeFileSync(context, 'settings:\n  missing_time: input_time\n');
    const result = runCli([
      'scan',
      '--context',
      context,
      '--no-default-rules',
      ...rules,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      ...(inputs as string[]),
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, / 0 rejected /);
    const counts = new Map<string, number>();
    for (const alert of parseAlerts(result.stdout)) {
      const title = (alert.rule as { title: string }).title;
      counts.set(title, (counts.get(title) ?? 0) + 1);
    }
    for (const [title, count] of Object.entries(EXPECTED_ALERTS)) {
      assert.equal(counts.get(title) ?? 0, count, title);
    }
  });
});
