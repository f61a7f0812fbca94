import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAlerts, runCli } from './helpers/cli.js';
import { fixturePath } from './helpers/shared.js';

/**
 * The shipped third-party detection rules on real records. The 1149 fixture contains eleven RDP
 * authentications of the account `admmig` from 10.23.123.11, one to each of eleven hosts.
 */

const scratch = mkdtempSync(join(tmpdir(), 'trustwatch-third-party-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const RDP_RULE = 'Trusted party RDP authentication outside its expected scope on Windows';
const RDP_LOG = fixturePath('evtx', 'ID1149-RDP_success_logins_to_multiple_hosts.evtx');

function scanWith(context: string): Record<string, unknown>[] {
  const path = join(scratch, 'trustwatch.yaml');
  writeFileSync(path, context);
  const result = runCli(
    ['scan', '--db', ':memory:', '--output', 'ndjson', '--no-progress'].concat([
      '--context',
      path,
      RDP_LOG,
    ]),
  );
  assert.equal(result.status, 0, result.stderr);
  return parseAlerts(result.stdout).filter((alert) => {
    const rule = alert.rule as { title?: string };
    return rule.title === RDP_RULE;
  });
}

describe('rdp authentication out of scope', () => {
  /** Returns a context whose party owns the account and its source network. */
  function partyContext(expected: string): string {
    return [
      'parties:',
      '  - name: Offsec Managed IT',
      '    kind: msp',
      '    accounts: ["admmig"]',
      '    networks: ["10.23.123.0/24"]',
      expected,
    ].join('\n');
  }

  it('flags hosts outside the expected ones', () => {
    const alerts = scanWith(partyContext('    expected: {hosts: ["rootdc1*"]}'));
    assert.equal(alerts.length, 10);
    for (const alert of alerts) assert.notEqual(alert.host, 'rootdc1.offsec.lan');
    for (const alert of alerts) assert.equal(alert.actor, 'admmig');
  });

  it('stays silent inside the expected scope', () => {
    const alerts = scanWith(partyContext(''));
    assert.equal(alerts.length, 0);
  });
});
