import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { DEFAULT_RULES_PATH } from '../../src/cli/common.js';
import { parseContext } from '../../src/context/load.js';
import type { Alert } from '../../src/model/alert.js';
import { fixedClock } from '../../src/model/logger.js';
import { runScan, type ScanSummary } from '../../src/pipeline/scan.js';
import { loadRulePaths } from '../../src/rules/load.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import { createFormatRegistry } from '../../src/sources/registry.js';
import { collectingLogger } from '../helpers/parse.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * runScan with an abort signal: reading stops, inputs not finished are marked, and correlation
 * state left open is counted as dropped instead of being flushed.
 */

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';

async function scan(
  paths: readonly string[],
  signal: AbortSignal,
  options: { stdin?: PassThrough; onAlert?: (alert: Alert) => void } = {},
): Promise<{ summary: ScanSummary; alerts: Alert[] }> {
  const contextYaml = readFileSync(join(REPO_ROOT, 'examples/trustwatch.yaml'), 'utf8');
  const context = parseContext('trustwatch.yaml', `${contextYaml}settings:\n  reorder_buffer: 1\n`);
  const ruleSet = await loadRulePaths([DEFAULT_RULES_PATH], {
    placeholders: placeholderLookup(context.settings.placeholders),
  });
  const alerts: Alert[] = [];
  const stdin = options.stdin;
  const summary = await runScan(
    {
      paths,
      context,
      rules: ruleSet.rules,
      registry: createFormatRegistry(),
      mappings: buildMappingTable(),
      logger: collectingLogger([]),
      clock: fixedClock(0),
      signal,
      ...(stdin ? { stdin: () => stdin } : {}),
    },
    {
      alert: (alert) => {
        alerts.push(alert);
        options.onAlert?.(alert);
      },
    },
  );
  return { summary, alerts };
}

describe('runScan with an abort signal', () => {
  it('opens no input when aborted before it starts', async () => {
    const stop = new AbortController();
    stop.abort();
    const paths = ['examples/logs', 'examples/scenario-an1344-rdp-msp-chain/logs'];
    const { summary, alerts } = await scan(
      paths.map((path) => join(REPO_ROOT, path)),
      stop.signal,
    );

    assert.equal(alerts.length, 0);
    assert.equal(summary.files.length, 4);
    for (const file of summary.files) {
      assert.equal(file.interrupted, true, file.path);
      assert.equal(file.read, 0, file.path);
    }
    assert.deepEqual(summary.dropped, { chains: 0, completeChains: 0, groups: 0 });
  });

  it('stops waiting for standard input that sends nothing', async () => {
    const stop = new AbortController();
    const stdin = new PassThrough();
    const scanned = scan(['-'], stop.signal, { stdin });
    setTimeout(() => stop.abort(), 50);
    const { summary, alerts } = await scanned;

    assert.equal(alerts.length, 0);
    assert.equal(summary.files.length, 1);
    assert.equal(summary.files[0]?.interrupted, true);
    assert.equal(summary.files[0]?.read, 0);
  });

  it('drops the chain that is open at the stop', async () => {
    const stop = new AbortController();
    const stdin = new PassThrough();
    const xml = readFileSync(join(REPO_ROOT, CASE_LOG), 'utf8');
    const events = xml.match(/<Event [\s\S]*?<\/Event>/g) ?? [];
    // The case up to the chain's last step at 22:52:34, then its 22:41:07 logon again at 22:53:00
    // and 22:53:30. The first copy's alert shows that the chain is complete but still open.
    const logon = events[72] as string;
    const copy = (time: string, recordId: number) =>
      logon
        .replace(/SystemTime='[^']*'/, `SystemTime='${time}'`)
        .replace(/<EventRecordID>\d+</, `<EventRecordID>${recordId}<`);
    const copies = [
      copy('2024-03-12T22:53:00.0000000Z', 9000001),
      copy('2024-03-12T22:53:30.0000000Z', 9000002),
    ];
    stdin.write(['<Events>', ...events.slice(0, 89), ...copies, ''].join('\n'));
    const { summary, alerts } = await scan(['-'], stop.signal, {
      stdin,
      onAlert: (alert) => {
        if (alert.first_time === '2024-03-12T22:53:00.000Z') stop.abort();
      },
    });

    assert.equal(summary.files[0]?.interrupted, true);
    assert.deepEqual(
      alerts.map((alert) => `${alert.rule.type} ${alert.first_time}`),
      [
        'detection 2024-03-12T22:41:07.482Z',
        'detection 2024-03-12T22:46:06.482Z',
        'detection 2024-03-12T22:53:00.000Z',
        'detection 2024-03-12T22:53:30.000Z',
      ],
    );
    assert.deepEqual(summary.dropped, { chains: 1, completeChains: 1, groups: 0 });
  });
});
