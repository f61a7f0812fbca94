import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * A `.gz` cut short inside a line of text. The cut line still reads as a line of its format, so
 * it must be rejected: `COMMAND=/bin/cat /var/log/sec` is not the command that ran.
 */

const SUDO_RULE = `title: any sudo command
id: 4d8f8a52-8f3c-4c38-9a8e-2b0d6c1f7e10
logsource: {product: linux, service: auth}
detection:
  sel: {action: sudo_command}
  condition: sel
level: low
`;

/**
 * Returns a gzip stream of `text` cut at character `cut`: its deflate data is flushed there and
 * the member never ends, as when a copy of a `.gz` stops part way.
 */
function cutGzip(text: string, cut: number): Buffer {
  const bytes = gzipSync(text.slice(0, cut), { finishFlush: constants.Z_FULL_FLUSH });
  assert.throws(() => gunzipSync(bytes), /unexpected end of file/);
  return bytes;
}

function scanCut(name: string, text: string, cut: number) {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-cut-lines-'));
  const file = join(dir, name);
  writeFileSync(file, cutGzip(text, cut));
  const rule = join(dir, 'sudo.yml');
  writeFileSync(rule, SUDO_RULE);
  const result = runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-default-rules',
    '--rules',
    rule,
    '--output',
    'ndjson',
    '--no-progress',
    file,
  ]);
  const summary = result.stderr.split('\n').find((line) => line.startsWith(`  ${file}`));
  return { result, file, summary };
}

describe('a .gz cut inside a line of text', () => {
  it('rejects the cut sudo line', () => {
    const text = readFileSync(join(REPO_ROOT, 'test/fixtures/linux/beats-auth-test.log'), 'utf8');
    const line = 'COMMAND=/bin/cat /var/log/secure';
    const cut = text.indexOf(line) + line.length - 3;
    const { result, file, summary } = scanCut('auth.log.gz', text, cut);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      summary,
      `  ${file} [linux-syslog] 7 read, 6 parsed, 1 rejected (record_cut 1); then failed: unexpected end of file`,
    );
    assert.match(
      result.stderr,
      /warn: record rejected file=\S+auth\.log\.gz line=7 record=7 code=record_cut reason="the input ends inside this line, because reading stopped early, so its end may be missing" text="Feb 23 00:08:48 localhost sudo: .*COMMAND=\/bin\/cat \/var\/log\/sec"/,
    );
    const alerts = parseAlerts(result.stdout).map((alert) => JSON.stringify(alert));
    assert.equal(alerts.length, 1);
    assert.ok(alerts.every((alert) => !alert.includes('/var/log/sec')));
  });

  it('rejects the cut auditd line', () => {
    const path = join(REPO_ROOT, 'test/fixtures/linux/otrf-sh-arp-cache.audit.log');
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const cut = lines.slice(0, 6).join('\n').length + 1 + 100;
    const { result, summary } = scanCut('audit.log.gz', text, cut);

    assert.equal(result.status, 0, result.stderr);
    assert.match(
      summary ?? '',
      /\[linux-auditd\] 7 read, 6 parsed, joined into \d+ events, 1 rejected \(record_cut 1\); then failed: unexpected end of file$/,
    );
    assert.match(result.stderr, /line=7 record=7 code=record_cut /);
  });

  it('reads a .gz cut inside its first line as cut', () => {
    const text = readFileSync(join(REPO_ROOT, 'test/fixtures/linux/beats-auth-test.log'), 'utf8');
    const { result, file, summary } = scanCut('first.log.gz', text, 40);

    assert.equal(result.status, 2);
    assert.equal(
      summary,
      `  ${file} [linux-syslog] 1 read, 0 parsed, 1 rejected (record_cut 1); then failed: unexpected end of file`,
    );
    assert.match(
      result.stderr,
      /line=1 record=1 code=record_cut .* text="Feb 21 21:54:44 localhost sshd\[3402\]: Ac"/,
    );
  });

  it('keeps a whole last line of a whole input', () => {
    const text = readFileSync(join(REPO_ROOT, 'test/fixtures/linux/beats-auth-test.log'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-cut-lines-'));
    const file = join(dir, 'auth.log.gz');
    writeFileSync(file, gzipSync(text.trimEnd()));
    const result = runCli(['scan', '--db', ':memory:', '--output', 'ndjson', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /\[linux-syslog\] 10 read, 10 parsed, 0 rejected/);
  });
});
