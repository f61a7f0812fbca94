import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Returns the reason the scan gives for not reading `text` as an input. */
function skipReason(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-unknown-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  const result = runCli(['scan', '--db', ':memory:', '--no-progress', path]);
  // The input is the scan's only one, so nothing is scanned.
  assert.equal(result.status, 2, result.stderr);
  const reason = /input skipped: no format matches file=\S+ reason="(.*)"$/m.exec(result.stderr);
  assert.ok(reason, result.stderr);
  return reason[1] ?? '';
}

describe('unknown format reason', () => {
  it('names a JSON export cut inside its first record', () => {
    const log = readFileSync(
      join(REPO_ROOT, 'examples/logs/windows-otrf/empire-psexec-dcerpc-svcctl.auth-slice.json'),
      'utf8',
    );
    const reason = skipReason('cut.json', `[\n${log.slice(0, 300)}`);

    assert.match(reason, /the input ends inside its first JSON record/);
    assert.match(reason, /it starts with \\"\[/);
  });

  it('names a complete but invalid first record', () => {
    for (const text of ['{"a": 1,}\n', '[{"a": 1,}]\n']) {
      const reason = skipReason('invalid.json', text);

      assert.match(reason, /invalid JSON in its first JSON record/, text);
    }
  });

  it('keeps the plain reason for JSON of an unknown shape', () => {
    const reason = skipReason('shape.json', '{"shopping": ["milk", "eggs"]}\n');

    assert.doesNotMatch(reason, /first JSON record/);
    assert.match(reason, /^no known format matches the content \(it starts with/);
  });
});
