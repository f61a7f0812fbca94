import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/model/alert.js';
import type { Event, EventCore } from '../../src/model/event.js';
import { parseAnyTime } from '../../src/model/time.js';
import type { FramedRecord, SourceFormat } from '../../src/sources/format.js';
import { statelessParser } from '../../src/sources/format.js';
import { isObject, type JsonObject } from '../../src/sources/json-shape.js';
import { evidenceKeys, scanWithPack } from '../helpers/scan.js';
import { sharedPath } from '../helpers/shared.js';

/**
 * Runs the Entra ID and Microsoft 365 members of the AN1349 chain on the labelled M365 case,
 * through minimal stand-ins for the formats of those logs. The stand-in records keep their own
 * fields, as the Azure Monitor export and the Management Activity API name them, and the app a
 * record concerns is its `core.app`. The real formats are built elsewhere, so this test pins
 * what the chain needs of them.
 */

function newValues(record: JsonObject): string[] {
  const targets = (record.properties as JsonObject | undefined)?.targetResources;
  if (!Array.isArray(targets)) return [];
  return targets.flatMap((target) =>
    Array.isArray(target?.modifiedProperties)
      ? target.modifiedProperties.map((item: JsonObject) => String(item.newValue ?? ''))
      : [],
  );
}

/** Finds the application id an `Add service principal` record creates (its AppPrincipalId). */
function appPrincipalId(record: JsonObject): string | undefined {
  for (const value of newValues(record)) {
    const match = /^\["([0-9a-f-]{36})"\]$/i.exec(value);
    if (match) return match[1];
  }
  return undefined;
}

function event(record: FramedRecord, fields: JsonObject, time: unknown, logsource: object) {
  const core: EventCore = {};
  const app =
    fields.operationName === 'Add service principal'
      ? appPrincipalId(fields)
      : ((fields.AppId ?? fields.ApplicationId) as string | undefined);
  if (app) core.app = app;
  return {
    time: parseAnyTime(time),
    timeText: String(time),
    format: 'test',
    logsource,
    fields,
    core,
    extra: {},
    origin: record.origin,
    summary: String(fields.operationName ?? fields.Operation),
  } as Event;
}

const entraAudit: SourceFormat = {
  name: 'test-entra-audit',
  description: 'Entra ID audit records in the Azure Monitor shape (test stand-in)',
  framing: 'json',
  detect: (sample) =>
    isObject(sample.firstJson) && sample.firstJson.category === 'AuditLogs' ? 1 : 0,
  createParser: (context) =>
    statelessParser((record) => {
      const fields = record.value as JsonObject;
      return event(record, fields, fields.time, { product: 'azure', service: 'auditlogs' });
    }, context),
};

const managementActivity: SourceFormat = {
  name: 'test-management-activity',
  description: 'Office 365 Management Activity API records (test stand-in)',
  framing: 'json',
  detect: (sample) =>
    isObject(sample.firstJson) && sample.firstJson.CreationTime !== undefined ? 1 : 0,
  createParser: (context) =>
    statelessParser((record) => {
      const fields = record.value as JsonObject;
      // The API writes CreationTime in UTC without a zone suffix.
      return event(record, fields, fields.CreationTime, {
        product: 'm365',
        service: String(fields.Workload ?? '').toLowerCase(),
      });
    }, context),
};

interface Expected {
  alerts: { analytic: string; party: string; actor: string; evidence: Evidence[] }[];
}
interface Evidence {
  step: number;
  file: string;
  record: number;
}

describe('AN1349 chain on Entra ID and Microsoft 365', () => {
  it('gives the labelled alert of the M365 case', async (t) => {
    const dir = sharedPath(t, 'scenarios', 'an1349-m365-app-consent-app-only');
    if (!dir) return;
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const alerts = (
      await scanWithPack([join(dir, 'logs')], readFileSync(join(dir, 'trustwatch.yaml'), 'utf8'), {
        formats: [entraAudit, managementActivity],
        mappings: [
          { logsource: { product: 'azure', service: 'auditlogs' } },
          { logsource: { product: 'm365' } },
        ],
      })
    ).filter((alert) => alert.analytic === 'AN1349');

    assert.equal(alerts.length, expected.alerts.length);
    const alert = alerts[0] as Alert;
    const want = expected.alerts[0] as Expected['alerts'][number];
    assert.equal(alert.party, want.party);
    assert.equal(alert.actor, want.actor);
    const cited = new Set(evidenceKeys(alert));
    for (const step of [1, 2, 3]) {
      const labelled = want.evidence
        .filter((item) => item.step === step)
        .map((item) => `${step}:${item.file.split('/').pop()}#${item.record}`);
      assert.ok(
        labelled.some((key) => cited.has(key)),
        `step ${step}: none of ${labelled.join(', ')} in ${[...cited].join(' ')}`,
      );
    }
  });
});
