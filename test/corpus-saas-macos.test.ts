import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInput, TEST_SETTINGS } from './helpers/parse.js';
import { sharedPath } from './helpers/shared.js';

/**
 * Every record of the shared corpus files of the SaaS, cloud and macOS formats is accounted for:
 * the format is detected from the content, and the records the corpus MANIFEST counts are parsed,
 * except the partial test records without a time (Panther's), which are rejected as
 * `invalid_time` by default and parsed with `settings.missing_time: input_time`.
 */

const FILES: { path: string[]; format: string; records: number; timeless?: number }[] = [
  {
    path: ['google-workspace', 'elastic-integrations', 'test-token.log'],
    format: 'google-workspace',
    records: 1,
  },
  {
    path: ['google-workspace', 'panther-analysis', 'panther-gsuite-activityevent.ndjson'],
    format: 'google-workspace',
    records: 129,
    timeless: 62,
  },
  {
    path: ['github', 'panther-analysis', 'panther-github-audit.ndjson'],
    format: 'github-audit',
    records: 98,
    timeless: 33,
  },
  {
    path: ['gcp', 'elastic-integrations', 'test-iamcredentials-googleapis-com.log'],
    format: 'gcp-audit',
    records: 1,
  },
  {
    path: ['gcp', 'panther-analysis', 'panther-gcp-auditlog.ndjson'],
    format: 'gcp-audit',
    records: 196,
    timeless: 48,
  },
  {
    path: ['azure-activity', 'panther-analysis', 'panther-azure-monitoractivity.ndjson'],
    format: 'azure-activity',
    records: 247,
    timeless: 33,
  },
  {
    path: ['macos', 'azure-sentinel', 'BSMmacOS_CL.slice.json'],
    format: 'macos-bsm',
    records: 5,
  },
];

describe('corpus of SaaS, cloud and macOS formats', () => {
  for (const file of FILES) {
    it(`parses every record of ${file.path.at(-1)}`, async (t) => {
      const path = sharedPath(t, 'corpus', ...file.path);
      if (!path) return;
      const timeless = file.timeless ?? 0;
      const parsed = await parseInput(path);
      assert.equal(parsed.format, file.format);
      assert.equal(parsed.events.length, file.records - timeless);
      assert.equal(parsed.rejections.length, timeless);
      assert.ok(parsed.rejections.every((rejection) => rejection.code === 'invalid_time'));

      const lenient = await parseInput(path, undefined, {
        ...TEST_SETTINGS,
        missingTime: 'input_time',
      });
      assert.deepEqual(lenient.rejections, []);
      assert.equal(lenient.events.length, file.records);
      const records = new Set(lenient.events.map((event) => event.origin.record));
      assert.equal(records.size, file.records);
    });
  }
});
