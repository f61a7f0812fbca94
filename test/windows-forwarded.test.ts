import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAlerts, runCli } from './helpers/cli.js';
import { REPO_ROOT, sharedPath } from './helpers/shared.js';

/**
 * Windows Event Forwarding collects the events of many computers into the collector's
 * ForwardedEvents log. Each record keeps its own System section (the source computer and the
 * channel it was written to), and with the RenderedText format it also carries a RenderingInfo
 * section that repeats the channel in words. These tests write the events of real case files as
 * a collector's export of ForwardedEvents and check that each event keeps its own computer and
 * channel, so that chains still link across hosts.
 */

const scratch = mkdtempSync(join(tmpdir(), 'trustwatch-forwarded-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface SourceEvent {
  file: string;
  record: number;
  time: string;
  xml: string;
}

/** Splits an `<Events>` export into its `<Event>` elements, numbered from 1. */
function readEvents(path: string, file: string): SourceEvent[] {
  const text = readFileSync(path, 'utf8');
  const events = text.match(/<Event[\s>][\s\S]*?<\/Event>/g) ?? [];
  return events.map((xml, index) => {
    const time = /SystemTime='([^']+)'/.exec(xml)?.[1] ?? '';
    return { file, record: index + 1, time, xml };
  });
}

/** Adds the RenderingInfo section that a collector subscribed with RenderedText writes. */
function renderForwarded(event: SourceEvent): string {
  const channel = /<Channel>([^<]*)<\/Channel>/.exec(event.xml)?.[1] ?? '';
  const rendering =
    "<RenderingInfo Culture='en-US'><Message>Forwarded event</Message><Level>Information</Level>" +
    `<Task></Task><Opcode>Info</Opcode><Channel>${channel}</Channel>` +
    '<Provider>Microsoft Windows security auditing.</Provider>' +
    '<Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo>';
  return event.xml.replace(/<\/Event>$/, `${rendering}</Event>`);
}

/** Writes the events in time order as one ForwardedEvents export and returns their new numbers. */
function writeForwarded(events: SourceEvent[], path: string): Map<string, number> {
  const ordered = [...events].sort((a, b) => a.time.localeCompare(b.time));
  const body = ordered.map(renderForwarded).join('\n');
  writeFileSync(path, `<Events>\n${body}\n</Events>\n`);
  return new Map(ordered.map((event, index) => [`${event.file}#${event.record}`, index + 1]));
}

interface Evidence {
  step: number;
  file: string;
  record: number;
}

function scan(context: string, input: string): Record<string, unknown>[] {
  const result = runCli(
    ['scan', '--db', ':memory:', '--output', 'ndjson', '--no-progress'].concat([
      '--context',
      context,
      input,
    ]),
  );
  assert.equal(result.status, 0, result.stderr);
  return parseAlerts(result.stdout).filter((alert) => alert.analytic === 'AN1344');
}

describe('windows forwarded events', () => {
  it('keeps each event its own computer', () => {
    const caseDir = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain');
    const events = readEvents(join(caseDir, 'logs', 'app01-security.xml'), 'app01');
    const renamed = events.map((event, index) =>
      index % 2 === 0
        ? event
        : {
            ...event,
            xml: event.xml.replace(/<Computer>[^<]*</, '<Computer>FS09.corp.contoso.com<'),
          },
    );
    const path = join(scratch, 'two-hosts.xml');
    writeForwarded(renamed, path);

    const rule = join(scratch, 'security-logon.yml');
    writeFileSync(
      rule,
      [
        'title: Security logon on FS09',
        'logsource: {product: windows, service: security}',
        'detection:',
        '  selection: {EventID: 4624, Computer: FS09.corp.contoso.com}',
        '  condition: selection',
        'level: low',
      ].join('\n'),
    );
    const result = runCli(
      ['scan', '--db', ':memory:', '--output', 'ndjson', '--no-progress'].concat([
        '--no-default-rules',
        '--rules',
        rule,
        path,
      ]),
    );
    assert.equal(result.status, 0, result.stderr);

    const alerts = parseAlerts(result.stdout);
    const expected = renamed.filter(
      (event, index) => index % 2 === 1 && /<EventID>4624</.test(event.xml),
    ).length;
    assert.ok(expected > 0);
    assert.equal(alerts.length, expected);
    for (const alert of alerts) assert.equal(alert.host, 'FS09.corp.contoso.com');
  });

  it('raises the same chain as the host export', () => {
    const caseDir = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain');
    const context = join(caseDir, 'trustwatch.yaml');
    const original = join(caseDir, 'logs', 'app01-security.xml');
    const events = readEvents(original, 'app01');
    const path = join(scratch, 'ForwardedEvents.xml');
    const positions = writeForwarded(events, path);

    const direct = scan(context, original);
    const forwarded = scan(context, path);
    assert.equal(direct.length, 1);
    assert.equal(forwarded.length, 1);
    assert.equal(forwarded[0]?.party, direct[0]?.party);
    assert.equal(forwarded[0]?.actor, direct[0]?.actor);

    const cite = (alert: Record<string, unknown> | undefined) =>
      ((alert?.evidence ?? []) as Evidence[]).map((item) => `${item.step}:${item.record}`).sort();
    const mapped = ((direct[0]?.evidence ?? []) as Evidence[]).map(
      (item) => `${item.step}:${positions.get(`app01#${item.record}`)}`,
    );
    assert.deepEqual(cite(forwarded[0]), mapped.sort());
  });

  it('links a chain across collected hosts', (t) => {
    const caseDir = sharedPath(t, 'scenarios', 'an1344-win-spans-hosts-network-only');
    if (!caseDir) return;
    const files = ['app02-security.xml', 'fs02-security.xml', 'fs02-system.xml'];
    const events = files.flatMap((file) => readEvents(join(caseDir, 'logs', file), `logs/${file}`));
    const folder = join(scratch, 'spans-hosts');
    mkdirSync(folder, { recursive: true });
    const path = join(folder, 'ForwardedEvents.xml');
    const positions = writeForwarded(events, path);

    const expected = JSON.parse(readFileSync(join(caseDir, 'expected.json'), 'utf8')) as {
      alerts: { party: string; actor: string; evidence: Evidence[] }[];
    };
    const label = expected.alerts[0];
    assert.ok(label);
    const alerts = scan(join(caseDir, 'trustwatch.yaml'), path);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.party, label.party);
    assert.equal(alerts[0]?.actor, label.actor);

    const cited = new Set(((alerts[0]?.evidence ?? []) as Evidence[]).map((item) => item.record));
    for (const step of [1, 2, 3]) {
      const records = label.evidence
        .filter((item) => item.step === step)
        .map((item) => positions.get(`${item.file}#${item.record}`));
      assert.ok(
        records.some((record) => record !== undefined && cited.has(record)),
        `step ${step}: none of the labelled records ${records.join(', ')} is cited`,
      );
    }
  });
});
