import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContext } from '../src/context/load.js';
import { fixedClock, MemoryLogger } from '../src/model/logger.js';
import { runScan } from '../src/pipeline/scan.js';
import { loadRulePaths } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { sharedPath } from './helpers/shared.js';

/**
 * The public SigmaHQ rules for Azure, Microsoft 365 and Okta load unmodified and run on the
 * corpus of these sources. The rules under `rules-placeholder` get values for their
 * placeholders, as a user would give them in settings.placeholders.
 */

const RULE_FOLDERS = [
  'rules/cloud/azure',
  'rules/cloud/m365',
  'rules/identity/okta',
  'rules-placeholder/cloud/azure',
  'rules-placeholder/identity/okta',
  'rules-threat-hunting/cloud/azure',
  'rules-threat-hunting/cloud/m365',
  'rules-threat-hunting/cloud/okta',
  'rules-emerging-threats/2023/TA/Okta-Support-System-Breach',
];

const CORPUS_FILES = [
  'entra-id/elastic-integrations/test-auditlogs-raw.log',
  'entra-id/elastic-integrations/test-signinlogs-raw.first2.log',
  'entra-id/otrf-goldensaml/AADAuditEvents.json',
  'entra-id/panther-analysis/panther-azure-signin-audit.ndjson',
  'm365/panther-analysis/panther-microsoft365-audit.ndjson',
  'm365/otrf-goldensaml/OfficeActivityEvents.json',
  'okta/panther-analysis/panther-okta-systemlog.ndjson',
];

const CONTEXT = parseContext(
  'trustwatch.yaml',
  `
settings:
  missing_time: input_time # Panther's hand-written Okta stubs lack times
  placeholders:
    ApprovedUserUpn: ['admin@example.com']
    Approved_Inviters: ['admin@example.com']
    Important_AppIds: ['00000003-0000-0000-c000-000000000000']
    Known_Location: ['US']
    KNOWN_LOCATION: ['US']
    UnLegitCountries: ['KP']
    UnApprovedIp: ['203.0.113.1']
    UnApprovedDevice: ['unknown-device']
    HomeTenantID: ['00000000-0000-0000-0000-000000000000']
    legtimate_identifiers: ['@example.com']
`,
);

/** Rules that fire on the corpus, each checked against the record that it is written for. */
const EXPECTED_FIRING: [string, number][] = [
  // Entra ID audit (Panther and OTRF records).
  ["User Added to an Administrator's Azure AD Role", 1],
  ['Azure Service Principal Created', 1],
  ['Azure Domain Federation Settings Modified', 1],
  ['Delegated Permissions Granted For All Users', 1],
  ['App Granted Microsoft Permissions', 1],
  ['Guest Users Invited To Tenant By Non Approved Inviters', 3],
  // Microsoft 365: Set-Mailbox and New-InboxRule forwarding, read through Parameters.
  ['Mail Forwarding/Redirecting Activity In O365', 9],
  ['Inbox Rules Creation Or Update Activity in O365', 2],
  // Okta System Log.
  ['Okta API Token Created', 1],
  ['Okta API Token Revoked', 1],
  ['Okta Admin Role Assigned to an User or Group', 3],
  ['Okta Identity Provider Created', 1],
  ['Okta MFA Reset or Deactivated', 3],
  ['Okta Session Impersonation Granted From Untrusted Domain', 1],
  ['Okta User Session Start Via An Anonymising Proxy Service', 2],
];

describe('public Sigma rules for azure, m365 and okta', () => {
  it('load, run on the corpus and fire', async (t) => {
    const peer = sharedPath(t, 'peer', 'sigmahq-rules');
    const corpus = sharedPath(t, 'corpus');
    if (!peer || !corpus) return;

    const placeholders = placeholderLookup(CONTEXT.settings.placeholders);
    const ruleSet = await loadRulePaths(
      RULE_FOLDERS.map((folder) => join(peer, folder)),
      { placeholders },
    );
    const errors = ruleSet.problems.filter((problem) => problem.severity === 'error');
    assert.deepEqual(errors, []);
    assert.ok(ruleSet.rules.length >= 170, `only ${ruleSet.rules.length} rules loaded`);

    const fired = new Map<string, number>();
    const summary = await runScan(
      {
        paths: CORPUS_FILES.map((file) => join(corpus, file)),
        context: CONTEXT,
        rules: ruleSet.rules,
        registry: createFormatRegistry(),
        mappings: buildMappingTable(),
        logger: new MemoryLogger(),
        clock: fixedClock(0),
      },
      { alert: (alert) => fired.set(alert.rule.title, (fired.get(alert.rule.title) ?? 0) + 1) },
    );

    // Privileged Identity Management alerts have no log source among these formats.
    const unmapped = summary.unmappedRules.map((rule) => rule.logsource.service);
    assert.deepEqual([...new Set(unmapped)], ['pim']);
    // 15 of Panther's Okta stubs have no readable time; they take the file's.
    assert.equal(summary.events, 149);
    for (const [title, count] of EXPECTED_FIRING) {
      assert.equal(fired.get(title), count, title);
    }
  });
});
