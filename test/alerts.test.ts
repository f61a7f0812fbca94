import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContext } from '../src/context/load.js';
import type { Alert } from '../src/model/alert.js';
import { silentLogger, systemClock } from '../src/model/logger.js';
import { runScan } from '../src/pipeline/scan.js';
import { loadRulePaths } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import { toOcsf } from '../src/sinks/ocsf.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { parseAlerts, runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const CASE = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs/app01-security.xml');
const PACK = join(REPO_ROOT, 'rules');

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-alerts-'));
}

async function scan(paths: string[], contextText: string): Promise<Alert[]> {
  const context = parseContext('trustwatch.yaml', contextText);
  const set = await loadRulePaths([PACK], {
    placeholders: placeholderLookup(context.settings.placeholders),
  });
  const alerts: Alert[] = [];
  await runScan(
    {
      paths,
      context,
      rules: set.rules,
      registry: createFormatRegistry(),
      mappings: buildMappingTable(),
      logger: silentLogger,
      clock: systemClock,
    },
    { alert: (alert) => alerts.push(alert) },
  );
  return alerts;
}

const ACME = readFileSync(join(CASE, 'trustwatch.yaml'), 'utf8');

describe('allow-list', () => {
  it('marks covered alerts as suppressed and keeps them', async () => {
    const alerts = await scan(
      [CASE_LOG],
      `${ACME}allow:\n  - {party: Acme IT Services, rule: AN1344, until: 2024-03-31, reason: "change CHG-1234 approved the PsExec work"}\n`,
    );
    const chain = alerts.find((alert) => alert.analytic === 'AN1344');
    assert.equal(chain?.suppressed, true);
    assert.deepEqual(chain?.suppression, {
      reason: 'change CHG-1234 approved the PsExec work',
      entry: 'party Acme IT Services, rule AN1344, until 2024-03-31',
    });
    assert.ok(
      alerts.filter((alert) => alert.analytic !== 'AN1344').every((alert) => !alert.suppressed),
    );
  });

  it('does not cover alerts after the entry ends', async () => {
    const alerts = await scan(
      [CASE_LOG],
      `${ACME}allow:\n  - {actor: "CONTOSO\\\\acme-*", until: 2024-03-01, reason: old change}\n`,
    );
    assert.ok(alerts.length > 0);
    assert.ok(alerts.every((alert) => !alert.suppressed));
  });

  it('rejects an entry that names nothing', () => {
    assert.throws(
      () => parseContext('t.yaml', 'allow:\n  - {reason: everything}\n'),
      /at least one of party, actor, rule, host/,
    );
  });
});

describe('chain grouping', () => {
  /** Writes the case night and a copy an hour later on a new logon id and host; returns the folder. */
  function twoSessions(): string {
    const dir = temp();
    const xml = readFileSync(CASE_LOG, 'utf8');
    const shifted = xml
      .replaceAll('0x5a3c1f2', '0x6b4d203')
      .replace(/SystemTime='2024-03-12T22:/g, "SystemTime='2024-03-12T23:")
      .replaceAll('APP01.corp.contoso.com', 'APP02.corp.contoso.com');
    writeFileSync(join(dir, 'app01.xml'), xml);
    writeFileSync(join(dir, 'app02.xml'), shifted);
    return dir;
  }

  it('raises one alert per session by default', async () => {
    const chains = (await scan([twoSessions()], ACME)).filter(
      (alert) => alert.analytic === 'AN1344',
    );
    assert.equal(chains.length, 2);
    assert.deepEqual(chains.map((alert) => alert.host).sort(), [
      'APP01.corp.contoso.com',
      'APP02.corp.contoso.com',
    ]);
    for (const chain of chains) assert.equal(chain.grouped.length, 0);
  });

  it('merges overlapping sessions when asked', async () => {
    const context = `${ACME}settings:\n  group_chain_sessions: true\n`;
    const chains = (await scan([twoSessions()], context)).filter(
      (alert) => alert.analytic === 'AN1344',
    );
    assert.equal(chains.length, 1);
    const [chain] = chains;
    assert.equal(chain?.grouped.length, 1);
    assert.deepEqual(
      [...new Set(chain?.evidence.map((item) => item.file.split('/').pop()))].sort(),
      ['app01.xml', 'app02.xml'],
    );
    assert.equal(chain?.host, 'APP01.corp.contoso.com');
  });
});

describe('OCSF output', () => {
  it('maps an alert to a Detection Finding', async () => {
    const chain = (await scan([CASE_LOG], ACME)).find((alert) => alert.analytic === 'AN1344');
    assert.ok(chain);
    const finding = toOcsf(chain, '0.1.0');
    assert.equal(finding.class_uid, 2004);
    assert.equal(finding.type_uid, 200401);
    assert.equal(finding.category_uid, 2);
    assert.equal(finding.severity_id, 5);
    assert.equal(finding.status_id, 1);
    assert.equal((finding.finding_info.analytic as { uid: string }).uid, chain.rule.id);
    assert.deepEqual(finding.finding_info.types, ['AN1344']);
    assert.deepEqual(finding.actor, { user: { name: 'CONTOSO\\acme-jlee' } });
    assert.equal((finding.finding_info.related_events as unknown[]).length, chain.evidence.length);
    assert.equal(finding.unmapped.party, 'Acme IT Services');
  });

  it('is what scan --output ocsf writes', () => {
    const result = runCli([
      'scan',
      '--context',
      join(CASE, 'trustwatch.yaml'),
      '--output',
      'ocsf',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const lines = parseAlerts(result.stdout) as {
      class_uid: number;
      metadata: { version: string };
    }[];
    assert.ok(lines.length > 0);
    assert.ok(lines.every((line) => line.class_uid === 2004 && line.metadata.version === '1.3.0'));
  });
});

describe('trustwatch explain', () => {
  it('prints the timeline with the values that counted and the severity factors', () => {
    const db = join(temp(), 'alerts.db');
    const scanResult = runCli([
      'scan',
      '--context',
      join(CASE, 'trustwatch.yaml'),
      '--output',
      'ndjson',
      '--db',
      db,
      CASE_LOG,
    ]);
    const chain = parseAlerts(scanResult.stdout).find((alert) => alert.analytic === 'AN1344') as
      | { id: string }
      | undefined;
    assert.ok(chain);
    const result = runCli(['explain', '--db', db, chain.id.slice(0, 10)]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^CRITICAL \(score 90\) {2}AN1344 /);
    assert.match(
      result.stdout,
      /step 1 logon {2}.*app01-security\.xml record 73\n.*4624 logon type 10 CONTOSO\\acme-jlee/,
    );
    assert.match(result.stdout, /TargetLogonId=0x5a3c1f2/);
    assert.match(
      result.stdout,
      /\+10 {2}out_of_scope: Tue 23:41 Europe\/Berlin is outside the expected hours/,
    );
    assert.equal(runCli(['explain', '--db', db, 'ffffffffff']).status, 2);
    assert.equal(runCli(['explain', '--db', db, '']).status, 2);
  });
});
