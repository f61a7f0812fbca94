import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInput } from './helpers/parse.js';
import { sharedPath } from './helpers/shared.js';

/**
 * Every record of the shared corpus files of the SaaS, cloud and macOS formats parses: the
 * format is detected from the content, the event count equals the record count the corpus
 * MANIFEST gives, and nothing is rejected. Partial test records without a time are among them.
 */

const FILES: { path: string[]; format: string; records: number }[] = [
  {
    path: ['google-workspace', 'elastic-integrations', 'test-token.log'],
    format: 'google-workspace',
    records: 1,
  },
  {
    path: ['google-workspace', 'panther-analysis', 'panther-gsuite-activityevent.ndjson'],
    format: 'google-workspace',
    records: 129,
  },
  {
    path: ['github', 'panther-analysis', 'panther-github-audit.ndjson'],
    format: 'github-audit',
    records: 98,
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
  },
  {
    path: ['azure-activity', 'panther-analysis', 'panther-azure-monitoractivity.ndjson'],
    format: 'azure-activity',
    records: 247,
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
      const parsed = await parseInput(path);
      assert.equal(parsed.format, file.format);
      assert.deepEqual(parsed.rejections, []);
      assert.equal(parsed.events.length, file.records);
      const records = new Set(parsed.events.map((event) => event.origin.record));
      assert.equal(records.size, file.records);
    });
  }
});
