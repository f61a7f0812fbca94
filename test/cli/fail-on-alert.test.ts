import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs/app01-security.xml');

/** Writes the bundled case's context with the given allow entries added. */
function contextWith(allow: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-fail-on-alert-'));
  const file = join(dir, 'trustwatch.yaml');
  const parties = readFileSync(join(CASE, 'trustwatch.yaml'), 'utf8');
  writeFileSync(file, `${parties.trimEnd()}\nallow:\n${allow.join('\n')}\n`);
  return file;
}

function scan(context: string) {
  return runCli([
    'scan',
    '--context',
    context,
    '--output',
    'ndjson',
    '--db',
    ':memory:',
    '--fail-on-alert',
    CASE_LOG,
  ]);
}

describe('scan --fail-on-alert', () => {
  it('exits 0 when every alert is suppressed', () => {
    const result = scan(
      contextWith(['  - reason: change ticket 4711', '    party: Acme IT Services']),
    );
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout) as { suppressed: boolean }[];
    assert.equal(alerts.length, 3);
    assert.ok(alerts.every((alert) => alert.suppressed));
    assert.match(result.stderr, /Alerts: 3; 3 suppressed by the allow-list/);
  });

  it('exits 1 when one alert is not suppressed', () => {
    const result = scan(
      contextWith([
        '  - reason: scope alerts are known',
        '    rule: Trusted party logon outside its expected scope on Windows',
        '  - reason: group change approved',
        '    rule: Trusted party adds a member to a privileged group on Windows',
      ]),
    );
    assert.equal(result.status, 1, result.stderr);
    const alerts = parseAlerts(result.stdout) as { suppressed: boolean; analytic: string }[];
    const open = alerts.filter((alert) => !alert.suppressed);
    assert.deepEqual(
      open.map((alert) => alert.analytic),
      ['AN1344'],
    );
    assert.match(result.stderr, /Alerts: 3; 2 suppressed by the allow-list/);
  });
});
