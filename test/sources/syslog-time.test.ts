import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localToUtc, SyslogClock, zoneOffsetMinutes } from '../../src/sources/linux/syslog-time.js';
import { parseText } from '../helpers/read-inputs.js';

const iso = (time: number) => new Date(time).toISOString();
const stamp = (month: number, day: number, hour = 9, minute = 2, second = 11) => ({
  month,
  day,
  hour,
  minute,
  second,
  millis: 0,
});

describe('traditional syslog dates that do not exist', () => {
  it('gives no time for February 30 or hour 25', () => {
    const clock = new SyslogClock({ year: 2024, timezone: 'UTC' }, Date.UTC(2030, 0, 1));
    assert.ok(Number.isNaN(clock.traditional(stamp(1, 30))));
    assert.ok(Number.isNaN(clock.traditional(stamp(2, 22, 25, 61, 99))));
    assert.ok(Number.isNaN(clock.traditional(stamp(3, 31))));
  });

  it('reads February 29 only in a leap year', () => {
    assert.equal(iso(localToUtc(2024, stamp(1, 29), 'UTC')), '2024-02-29T09:02:11.000Z');
    assert.ok(Number.isNaN(localToUtc(2023, stamp(1, 29), 'UTC')));
  });

  it('finds the last leap year for February 29 without a year', () => {
    const clock = new SyslogClock({}, Date.UTC(2026, 5, 1));
    assert.equal(iso(clock.traditional(stamp(1, 29))), '2024-02-29T09:02:11.000Z');
  });

  it('rejects such a line as invalid_time', async () => {
    const text =
      'Feb 30 09:02:11 web01 sshd[4211]: Accepted password for bob from 10.0.0.5 port 1 ssh2\n';
    const result = await parseText('auth.log', text, { syslog: { year: 2024, timezone: 'UTC' } });
    assert.equal(result.events.length, 0);
    assert.equal(result.rejections[0]?.code, 'invalid_time');
  });
});

describe('traditional syslog year', () => {
  it('takes the configured year and zone', () => {
    const clock = new SyslogClock({ year: 2024, timezone: 'UTC' }, Date.UTC(2030, 0, 1));
    assert.equal(iso(clock.traditional(stamp(2, 22))), '2024-03-22T09:02:11.000Z');
  });

  it('counts on past a new-year wrap', () => {
    const clock = new SyslogClock({ year: 2023 }, Date.UTC(2030, 0, 1));
    assert.equal(iso(clock.traditional(stamp(11, 31, 23, 59, 58))), '2023-12-31T23:59:58.000Z');
    assert.equal(iso(clock.traditional(stamp(0, 1, 0, 0, 3))), '2024-01-01T00:00:03.000Z');
    assert.equal(iso(clock.traditional(stamp(0, 1, 0, 0, 4))), '2024-01-01T00:00:04.000Z');
  });

  it('keeps the year for disordered lines', () => {
    const clock = new SyslogClock({ year: 2024 }, Date.UTC(2030, 0, 1));
    clock.traditional(stamp(1, 23));
    assert.equal(iso(clock.traditional(stamp(1, 19))), '2024-02-19T09:02:11.000Z');
  });

  it('picks the year closest before the modification time', () => {
    const clock = new SyslogClock({}, Date.UTC(2025, 2, 1, 12));
    assert.equal(iso(clock.traditional(stamp(1, 28))), '2025-02-28T09:02:11.000Z');
    assert.equal(iso(clock.traditional(stamp(5, 1))), '2024-06-01T09:02:11.000Z');
  });

  it('splits a file at New Year', () => {
    const clock = new SyslogClock({}, Date.UTC(2025, 0, 2, 8));
    assert.equal(iso(clock.traditional(stamp(11, 31, 23, 0, 0))), '2024-12-31T23:00:00.000Z');
    assert.equal(iso(clock.traditional(stamp(0, 1, 1, 0, 0))), '2025-01-01T01:00:00.000Z');
  });

  it('allows a day past the modification time', () => {
    const clock = new SyslogClock({}, Date.UTC(2025, 2, 22, 7));
    assert.equal(iso(clock.traditional(stamp(2, 22, 9))), '2025-03-22T09:02:11.000Z');
  });
});

describe('syslog time zones', () => {
  it('reads traditional lines in the configured zone', () => {
    const clock = new SyslogClock({ year: 2024, timezone: 'Europe/Berlin' }, 0);
    assert.equal(iso(clock.traditional(stamp(2, 22))), '2024-03-22T08:02:11.000Z');
    assert.equal(iso(clock.traditional(stamp(6, 1))), '2024-07-01T07:02:11.000Z');
  });

  it('reads zoneless ISO stamps in the configured zone', () => {
    const clock = new SyslogClock({ timezone: 'America/New_York' }, 0);
    assert.equal(iso(clock.iso('2024-07-01T10:00:00')), '2024-07-01T14:00:00.000Z');
    assert.equal(iso(clock.iso('2024-07-01T10:00:00+02:00')), '2024-07-01T08:00:00.000Z');
  });

  it('computes zone offsets', () => {
    assert.equal(zoneOffsetMinutes('Europe/Berlin', Date.UTC(2024, 0, 15)), 60);
    assert.equal(zoneOffsetMinutes('Europe/Berlin', Date.UTC(2024, 6, 15)), 120);
    assert.equal(zoneOffsetMinutes('Asia/Kolkata', Date.UTC(2024, 6, 15)), 330);
    assert.equal(localToUtc(2024, stamp(0, 15, 12, 0, 0), 'UTC'), Date.UTC(2024, 0, 15, 12));
  });
});

describe('syslog file time', () => {
  const lines =
    'Dec 31 23:59:01 web01 sshd[1]: Server listening on 0.0.0.0 port 22.\n' +
    'Jan  1 00:00:05 web01 sshd[1]: Server listening on :: port 22.\n';

  it('uses the modification time passed with the input', async () => {
    const parsed = await parseText('auth.log', lines, { mtimeMs: Date.UTC(2021, 0, 1, 1) });
    assert.deepEqual(
      parsed.events.map((event) => iso(event.time)),
      ['2020-12-31T23:59:01.000Z', '2021-01-01T00:00:05.000Z'],
    );
  });

  it('prefers the configured year to the modification time', async () => {
    const parsed = await parseText('auth.log', lines, {
      mtimeMs: Date.UTC(2021, 0, 1, 1),
      syslog: { year: 2017 },
    });
    assert.deepEqual(
      parsed.events.map((event) => iso(event.time)),
      ['2017-12-31T23:59:01.000Z', '2018-01-01T00:00:05.000Z'],
    );
  });
});
