import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCliAsync } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

/**
 * `rules check` over the pinned SigmaHQ rule set: every rule loads except those whose `|expand`
 * placeholders have no value, which the Sigma specification requires a tool to reject, and all of
 * them load once the user chooses what such a placeholder becomes.
 */

const TOTAL = 3780;
const PLACEHOLDER_RULES = 25;

describe('rules check on SigmaHQ', { concurrency: 2 }, () => {
  it('rejects only unresolved placeholders', async (t) => {
    const rules = sharedPath(t, 'peer', 'sigmahq-rules');
    if (!rules) return;
    const result = await runCliAsync([
      'rules',
      'check',
      '--no-default-rules',
      '--no-warnings',
      rules,
    ]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `Loaded ${TOTAL - PLACEHOLDER_RULES} of ${TOTAL} rule documents from ${TOTAL} files`,
      ),
    );
    assert.match(result.stdout, new RegExp(`${PLACEHOLDER_RULES} rule documents not loaded`));
    assert.match(
      result.stdout,
      new RegExp(`  rule.placeholder_undefined: ${PLACEHOLDER_RULES}\\n`),
    );
    const notLoaded =
      result.stdout
        .split('Not loaded:\n')[1]
        ?.split('\n')
        .filter((line) => line.startsWith('  /')) ?? [];
    assert.equal(notLoaded.length, PLACEHOLDER_RULES);
    for (const line of notLoaded) assert.match(line, /rule\.placeholder_undefined: .*%[^%]+%/);
  });

  it('loads every rule with wildcard placeholders', async (t) => {
    const rules = sharedPath(t, 'peer', 'sigmahq-rules');
    if (!rules) return;
    const result = await runCliAsync([
      'rules',
      'check',
      '--no-default-rules',
      '--unresolved-placeholders',
      'wildcard',
      rules,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Loaded ${TOTAL} of ${TOTAL} rule documents`));
    assert.doesNotMatch(result.stdout, /not loaded/);
    assert.match(result.stdout, /log source that no input format provides yet/);

    // Of the public expressions, only the Invoke-Obfuscation VAR+ ones repeat a group that can
    // match one text in two ways: `(?:.*\)){1,}`, where `.*` can take a `)` too.
    const backtracking = [
      ...result.stdout.matchAll(/([^/\s]+\.yml):\d+:\d+: warning rule\.regex_backtracking: (.*)/g),
    ];
    assert.deepEqual(backtracking.map((match) => match[1]).sort(), [
      'posh_pm_invoke_obfuscation_var.yml',
      'posh_ps_invoke_obfuscation_var.yml',
      'proc_creation_win_hktl_invoke_obfuscation_var.yml',
    ]);
    for (const match of backtracking) {
      assert.match(match[2] ?? '', /the repetition "\(\?:\.\*\\\\\)\)\{1,\}"/);
    }

    // Two public rules test a field that trustwatch's events never have under that spelling:
    // the System value is ProcessID, and sudo's USER= is read as target_user.
    const fields = new Map(
      [...result.stdout.matchAll(/([^/\s]+\.yml):\d+:\d+: warning (rule\.field_\w+: .*)/g)].map(
        (match) => [match[1], match[2]],
      ),
    );
    assert.deepEqual([...fields.keys()].sort(), [
      'lnx_sudo_exploit_cve_2019_14287.yml',
      'win_system_service_install_sups_unusal_client.yml',
    ]);
    assert.match(
      fields.get('lnx_sudo_exploit_cve_2019_14287.yml') ?? '',
      /^rule\.field_case: field "USER" is not a known field of product=linux service=sudo events, but "user" is/,
    );
    assert.match(
      fields.get('win_system_service_install_sups_unusal_client.yml') ?? '',
      /^rule\.field_case: field "ProcessId" is not a known field of product=windows service=system events, but "ProcessID" is/,
    );
    assert.doesNotMatch(result.stdout, /rule\.misspelled_key/);
  });

  it('rejects an unknown placeholder mode', async () => {
    const result = await runCliAsync(['rules', 'check', '--unresolved-placeholders', 'guess']);
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /--unresolved-placeholders must be reject, wildcard, empty, not "guess"/,
    );
  });
});
