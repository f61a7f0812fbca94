import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Detector } from '../src/engine/detector.js';
import type { Event } from '../src/model/event.js';
import { loadRulePaths } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import { placeholderLookup } from '../src/rules/placeholders.js';
import type { DetectionRule } from '../src/rules/rule.js';
import { readInput } from './helpers/read-input.js';
import { hasShared, SHARED_ROOT, sharedPath } from './helpers/shared.js';

/**
 * Runs the rule of each SigmaHQ regression case on its events read from the .evtx file and
 * from the JSON export of the same events: the rule must match the same number of events in
 * both, so that detections do not depend on which of the two forms a log arrives in.
 */

const REGRESSION = 'peer/sigmahq-regression';

interface RegressionCase {
  case: string;
  rule_path: string;
  evtx: string;
  json: string;
}

const cases: RegressionCase[] = hasShared(REGRESSION, 'index.json')
  ? JSON.parse(readFileSync(join(SHARED_ROOT, REGRESSION, 'index.json'), 'utf8'))
  : [];

function countMatches(detector: Detector, events: Event[]): number {
  let matched = 0;
  for (const event of events) {
    const out: number[] = [];
    detector.detect(event, out);
    if (out.length > 0) matched++;
  }
  return matched;
}

describe('evtx sigma regression rules', () => {
  it('has the regression cases', (t) => {
    if (!sharedPath(t, REGRESSION, 'index.json')) return;
    assert.ok(cases.length > 0);
  });

  for (const entry of cases) {
    it(`matches alike in ${entry.case}`, async () => {
      const placeholders = placeholderLookup({});
      const rules = await loadRulePaths([join(SHARED_ROOT, REGRESSION, entry.rule_path)], {
        placeholders,
      });
      const detection = rules.rules.filter(
        (rule): rule is DetectionRule => rule.kind === 'detection',
      );
      assert.equal(detection.length, 1);
      const detector = new Detector(detection, buildMappingTable(), {
        placeholders,
        maxFieldLength: 1 << 20,
      });

      const fromEvtx = await readInput(join(SHARED_ROOT, REGRESSION, entry.evtx));
      const fromJson = await readInput(join(SHARED_ROOT, REGRESSION, entry.json));
      assert.equal(
        countMatches(detector, fromEvtx.events),
        countMatches(detector, fromJson.events),
      );
    });
  }
});
