import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContext } from '../../src/context/load.js';
import { ConfigError } from '../../src/model/errors.js';

describe('syslog settings', () => {
  it('accepts a year and an IANA zone', () => {
    const context = parseContext(
      't.yaml',
      'settings:\n  syslog: {year: 2024, timezone: Europe/Berlin}\n',
    );
    assert.deepEqual(context.settings.syslog, { year: 2024, timezone: 'Europe/Berlin' });
  });

  it('rejects an unknown zone with its line', () => {
    assert.throws(
      () => parseContext('t.yaml', 'settings:\n  syslog: {timezone: Mars/Olympus}\n'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems[0]?.location?.line, 2);
        assert.match(error.problems[0]?.message ?? '', /unknown time zone "Mars\/Olympus"/);
        return true;
      },
    );
  });
});
