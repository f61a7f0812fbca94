import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContext } from '../src/context/load.js';
import { Correlator } from '../src/engine/correlator.js';
import { Detector } from '../src/engine/detector.js';
import type { Finding } from '../src/engine/finding.js';
import { TrustEnricher } from '../src/enrich/trust.js';
import type { Alert } from '../src/model/alert.js';
import type { Event } from '../src/model/event.js';
import { silentLogger, systemClock } from '../src/model/logger.js';
import { partyNetworks, runScan, stepOverride } from '../src/pipeline/scan.js';
import { loadRuleTexts } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import type { DetectionRule } from '../src/rules/rule.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { readOne } from './helpers/read.js';

/** Replays the worked example of docs/correlation.md event by event. */

const RULES = `
title: Example logon
name: example_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  party: {trust.party|exists: true}
  condition: sel and party
---
title: Example elevation
name: example_elevation
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4672}
  condition: sel
---
title: Example lateral
name: example_lateral
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4648}
  condition: sel
---
title: Example chain
name: example_chain
correlation:
  type: chain
  steps:
    - name: logon
      rules: [example_logon]
      provides: {logon: ['{Computer|host}/{TargetLogonId|logon_id}']}
    - name: elevation
      within: 30m
      rules: [example_elevation]
      links: {logon: ['{Computer|host}/{SubjectLogonId|logon_id}']}
    - name: lateral
      within: 60m
      rules: [example_lateral]
      links: {logon: ['{Computer|host}/{SubjectLogonId|logon_id}']}
`;

const CONTEXT = `
parties:
  - name: Acme
    kind: msp
    accounts: ["CONTOSO\\\\acme-*"]
`;

/** The events of the example's table, in the order the file lists them (4 before 3). */
function exampleLines(): string[] {
  const base = { Channel: 'Security', Hostname: 'APP01.corp.example' };
  const logon = (time: string, id: string) => ({
    ...base,
    EventID: 4624,
    '@timestamp': time,
    TargetUserName: 'acme-jlee',
    TargetDomainName: 'CONTOSO',
    TargetLogonId: id,
    LogonType: 10,
  });
  const subject = { SubjectUserName: 'acme-jlee', SubjectDomainName: 'CONTOSO' };
  const privileges = (time: string, id: string) => ({
    ...base,
    ...subject,
    EventID: 4672,
    '@timestamp': time,
    SubjectLogonId: id,
  });
  const explicit = (time: string, id: string) => ({
    ...base,
    ...subject,
    EventID: 4648,
    '@timestamp': time,
    SubjectLogonId: id,
    TargetServerName: 'FS01',
  });
  return [
    logon('2024-01-01T10:00:00Z', '0x10'),
    logon('2024-01-01T10:05:00Z', '0x20'),
    privileges('2024-01-01T10:36:00Z', '0x20'),
    privileges('2024-01-01T10:30:00Z', '0x10'),
    explicit('2024-01-01T10:40:00Z', '0x30'),
    explicit('2024-01-01T11:30:00Z', '0x10'),
    logon('2024-01-01T11:36:00Z', '0x40'),
  ].map((record) => JSON.stringify(record));
}

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-example-'));
  const file = join(dir, 'example.ndjson');
  writeFileSync(file, `${exampleLines().join('\n')}\n`);
  const context = parseContext('trustwatch.yaml', CONTEXT);
  const set = loadRuleTexts([{ file: 'example.yml', text: RULES }], {
    placeholders: { values: () => undefined, unresolved: 'reject' },
  });
  assert.deepEqual(set.problems, []);
  return { file, context, rules: set.rules };
}

describe('chain worked example', () => {
  it('replays event by event as the table says', async () => {
    const { file, context, rules } = setUp();
    const detections = rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
    const detector = new Detector(detections, buildMappingTable(), {
      placeholders: { values: () => undefined, unresolved: 'reject' },
      maxFieldLength: 1 << 20,
    });
    const correlator = new Correlator(rules, {
      stepOverride: stepOverride(context),
      inPartyNetworks: partyNetworks(context),
    });
    const enricher = new TrustEnricher(context);
    const events = [...(await readOne(file)).events].sort((a, b) => a.time - b.time);
    const byRecord = (event: Event) => event.origin.record;

    const steps: { record: number; findings: number; instances: number }[] = [];
    const findings: Finding[] = [];
    const matched: number[] = [];
    for (const event of events) {
      enricher.enrich(event);
      detector.detect(event, matched);
      const before = findings.length;
      correlator.push(
        event,
        matched.map((index) => detections[index] as DetectionRule),
        findings,
      );
      steps.push({
        record: byRecord(event),
        findings: findings.length - before,
        instances: correlator.stateSize(),
      });
    }
    correlator.flush(findings);

    // Records are numbered by line: event 3 of the table is line 4, event 4 is line 3.
    assert.deepEqual(steps, [
      { record: 1, findings: 0, instances: 1 },
      { record: 2, findings: 0, instances: 2 },
      { record: 4, findings: 0, instances: 2 },
      { record: 3, findings: 0, instances: 1 },
      { record: 5, findings: 0, instances: 1 },
      { record: 6, findings: 0, instances: 1 },
      { record: 7, findings: 1, instances: 1 },
    ]);
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding?.party, 'Acme');
    assert.equal(finding?.actor, 'CONTOSO\\acme-jlee');
    assert.deepEqual(
      finding?.steps.map((step) => step.events.map(byRecord)),
      [[1], [4], [6]],
    );
    assert.equal(correlator.stateSize(), 0);
  });

  it('gives the same alert through the scan, which reorders the file', async () => {
    const { file, context, rules } = setUp();
    const alerts: Alert[] = [];
    const summary = await runScan(
      {
        paths: [file],
        context,
        rules,
        registry: createFormatRegistry(),
        mappings: buildMappingTable(),
        logger: silentLogger,
        clock: systemClock,
      },
      { alert: (alert) => alerts.push(alert) },
    );
    assert.equal(summary.late, 0);
    assert.equal(alerts.length, 1);
    assert.deepEqual(
      alerts[0]?.evidence.map((item) => [item.step, item.label, item.record]),
      [
        [1, 'logon', 1],
        [2, 'elevation', 4],
        [3, 'lateral', 6],
      ],
    );
  });
});
