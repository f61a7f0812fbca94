import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Alert } from '../../src/model/alert.js';
import { fixedClock } from '../../src/model/logger.js';
import { AlertBatch } from '../../src/sinks/alert-batch.js';
import { SqliteStore } from '../../src/sinks/sqlite-store.js';

/**
 * Batches of alerts saved into a real SQLite file, read back through a second connection as
 * another process would read them.
 */

function alert(index: number): Alert {
  return {
    id: `batch-${String(index).padStart(5, '0')}`,
    rule: {
      id: 'rule-1',
      title: 'Vendor account signs in',
      name: null,
      level: 'medium',
      author: 'trustwatch tests',
      source: 'rules/vendor-sign-in.yml',
      file: 'rules/vendor-sign-in.yml',
      type: 'detection',
    },
    analytic: null,
    attack: ['T1199'],
    party: 'acme-msp',
    actor: 'tech@acme-msp.example',
    host: null,
    level: 'medium',
    severity: { level: 'medium', score: 47, factors: [] },
    first_time: '2026-03-01T10:00:00.000Z',
    last_time: '2026-03-01T10:00:00.000Z',
    group: null,
    evidence: [],
    evidence_omitted: 0,
    suppressed: false,
    suppression: null,
    grouped: [],
  };
}

function storedAlerts(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function newStore(): { file: string; store: SqliteStore } {
  const file = join(mkdtempSync(join(tmpdir(), 'trustwatch-batch-')), 'alerts.db');
  return { file, store: new SqliteStore(file, fixedClock(Date.UTC(2026, 2, 1))) };
}

describe('AlertBatch', () => {
  it('saves full batches, then the rest', () => {
    const { file, store } = newStore();
    const batch = new AlertBatch(store, store.startScan(['a.json']), {
      maxAlerts: 512,
      maxWaitMs: 60_000,
    });
    for (let index = 0; index < 1_100; index++) batch.add(alert(index));
    assert.equal(storedAlerts(file), 1_024);
    batch.flush();
    assert.equal(storedAlerts(file), 1_100);
    assert.equal(batch.newAlerts, 1_100);
    store.close();
  });

  it('counts alerts new to the store', () => {
    const { file, store } = newStore();
    const first = new AlertBatch(store, store.startScan(['a.json']));
    for (let index = 0; index < 300; index++) first.add(alert(index));
    first.flush();
    const second = new AlertBatch(store, store.startScan(['a.json', 'b.json']));
    for (let index = 200; index < 400; index++) second.add(alert(index));
    second.flush();
    assert.equal(second.newAlerts, 100);
    assert.equal(storedAlerts(file), 400);
    store.close();
  });

  it('saves an alert after the wait limit', async () => {
    const { file, store } = newStore();
    const batch = new AlertBatch(store, store.startScan(['a.json']), {
      maxAlerts: 512,
      maxWaitMs: 20,
    });
    batch.add(alert(1));
    assert.equal(storedAlerts(file), 0);
    await sleep(200);
    assert.equal(storedAlerts(file), 1);
    assert.equal(batch.newAlerts, 1);
    batch.flush();
    assert.equal(batch.newAlerts, 1);
    store.close();
  });

  it('raises a failed save and keeps its alerts', async () => {
    const { file, store } = newStore();
    let failures = 1;
    const saver = {
      saveAlerts(alerts: readonly Alert[], scanId: number | undefined): number {
        if (failures-- > 0) throw new Error('database is locked');
        return store.saveAlerts(alerts, scanId);
      },
    };
    const batch = new AlertBatch(saver, store.startScan(['a.json']), {
      maxAlerts: 512,
      maxWaitMs: 20,
    });
    batch.add(alert(1));
    batch.add(alert(2));
    // The timer's save fails, and the next call of the scan raises its error.
    await sleep(200);
    assert.throws(() => batch.add(alert(3)), /database is locked/);
    assert.equal(storedAlerts(file), 0);
    batch.flush();
    assert.equal(storedAlerts(file), 2);
    assert.equal(batch.newAlerts, 2);
    store.close();
  });

  it('saves what waits when the process ends', () => {
    const { file, store } = newStore();
    const batch = new AlertBatch(
      {
        saveAlerts: () => {
          throw new Error('disk full');
        },
      },
      undefined,
    );
    batch.add(alert(1));
    batch.flushQuietly();
    assert.throws(() => batch.flush(), /disk full/);
    const working = new AlertBatch(store, undefined);
    working.add(alert(1));
    working.flushQuietly();
    assert.equal(storedAlerts(file), 1);
    store.close();
  });
});
