import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { interruptedLine, outputLossLine } from '../../src/cli/scan-ending.js';
import { GuardedOutput } from '../../src/cli/standard-output.js';
import { StopSignals, signalExitStatus } from '../../src/cli/stop-signals.js';
import type { FileStats } from '../../src/pipeline/scan.js';
import { jsonArrayParts } from '../../src/sinks/output.js';
import { scanWithPack } from '../helpers/scan.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Creates a stream whose write number `failAt` (from 1) and every later one fail with `code`. */
function failingStream(failAt: number, code: string): { stream: Writable; chunks: string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      if (chunks.length < failAt) {
        callback();
        return;
      }
      callback(Object.assign(new Error(`write ${code}`), { code }));
    },
  });
  return { stream, chunks };
}

describe('StopSignals', () => {
  it('aborts on the first signal and exits on the second', () => {
    const target = new EventEmitter();
    const exits: number[] = [];
    const lines: string[] = [];
    const stop = new StopSignals({
      target,
      exit: (status) => exits.push(status),
      write: (line) => lines.push(line),
    });
    stop.install();

    target.emit('SIGINT');
    assert.equal(stop.signal.aborted, true);
    assert.equal(stop.stoppedBy, 'SIGINT');
    assert.deepEqual(exits, []);
    assert.deepEqual(lines, []);

    target.emit('SIGTERM');
    assert.deepEqual(exits, [143]);
    assert.equal(stop.stoppedBy, 'SIGINT');
    assert.deepEqual(lines, [
      'trustwatch: SIGTERM received again: ended at once, so the scan is not marked as interrupted in the database and no report is written',
    ]);
  });

  it('removes its listeners', () => {
    const target = new EventEmitter();
    const stop = new StopSignals({ target, write: () => {} });
    stop.install();
    assert.equal(target.listenerCount('SIGINT'), 1);
    assert.equal(target.listenerCount('SIGTERM'), 1);
    stop.remove();
    assert.equal(target.listenerCount('SIGINT'), 0);
    assert.equal(target.listenerCount('SIGTERM'), 0);
  });

  it('gives the shell statuses of the signals', () => {
    assert.equal(signalExitStatus('SIGINT'), 130);
    assert.equal(signalExitStatus('SIGTERM'), 143);
  });
});

describe('GuardedOutput', () => {
  it('counts the alerts written before a closed pipe and writes nothing after it', async () => {
    const { stream, chunks } = failingStream(3, 'EPIPE');
    const output = new GuardedOutput(stream, 'standard output');
    output.write('a\n', 1);
    output.write('b\n', 1);
    output.write('c\n', 1);
    await output.settled();
    output.write('d\n', 1);
    await output.settled();

    assert.equal(output.alertsWritten, 2);
    assert.deepEqual(chunks, ['a\n', 'b\n', 'c\n']);
    assert.equal(output.failure?.code, 'EPIPE');
    assert.equal(output.describeFailure(), 'standard output was closed');
  });

  it('names another failure with its error', async () => {
    const { stream } = failingStream(1, 'ENOSPC');
    const output = new GuardedOutput(stream, 'standard output');
    output.write('[\n', 0);
    await output.settled();

    assert.equal(output.alertsWritten, 0);
    assert.equal(output.describeFailure(), 'writing to standard output failed (write ENOSPC)');
  });

  it('reports no failure while writes succeed', async () => {
    const { stream } = failingStream(10, 'EPIPE');
    const output = new GuardedOutput(stream, 'standard output');
    output.write('one alert\n', 1);
    output.write('three more\n', 3);
    await output.settled();

    assert.equal(output.alertsWritten, 4);
    assert.equal(output.failure, undefined);
    assert.equal(output.describeFailure(), undefined);
  });
});

describe('jsonArrayParts', () => {
  it('joins to the pretty-printed array of real alerts', async () => {
    const context = readFileSync(join(REPO_ROOT, 'examples/trustwatch.yaml'), 'utf8');
    const paths = ['examples/logs', 'examples/scenario-an1344-rdp-msp-chain/logs'];
    const all = await scanWithPack(
      paths.map((path) => join(REPO_ROOT, path)),
      context,
    );
    assert.equal(all.length, 13);

    const parts = jsonArrayParts(all);
    assert.equal(parts.map(([text]) => text).join(''), `${JSON.stringify(all, null, 2)}\n`);
    assert.deepEqual(
      parts.map(([, count]) => count),
      all.map(() => 1),
    );
    assert.match(parts.at(-1)?.[0] ?? '', /\n\]\n$/);
  });

  it('writes an empty array as one part of no alerts', () => {
    assert.deepEqual(jsonArrayParts([]), [['[]\n', 0]]);
  });
});

function stats(path: string, fields: Partial<FileStats>): FileStats {
  return {
    path,
    format: 'windows-xml',
    read: 0,
    parsed: 0,
    rejected: 0,
    events: 0,
    rejectedByCode: {},
    skippedRecords: 0,
    skippedByReason: {},
    outOfRange: 0,
    emptyPages: 0,
    error: undefined,
    damage: [],
    skipped: undefined,
    interrupted: false,
    ...fields,
  };
}

describe('scan ending lines', () => {
  const files = [
    stats('a.xml', { read: 10 }),
    stats('b.xml', { read: 4, interrupted: true }),
    stats('c.xml', { interrupted: true }),
    stats('d.xml', { error: 'permission denied' }),
  ];

  it('names the alerts, inputs and dropped state of a stopped scan', () => {
    const line = interruptedLine(
      {
        signal: 'SIGTERM',
        alerts: 7,
        newAlerts: 5,
        files,
        dropped: { chains: 3, completeChains: 1, groups: 2 },
        learn: true,
      },
      'alerts.db',
    );
    assert.equal(
      line,
      'trustwatch: scan interrupted by SIGTERM: 7 alerts stored in alerts.db (5 new); 1 of 4 inputs were read in full; 3 open chains (1 complete) and 2 open correlation groups were dropped, not raised as alerts; no baselines were saved (--learn)',
    );
  });

  it('leaves out the dropped state when there was none', () => {
    const line = interruptedLine(
      {
        signal: 'SIGINT',
        alerts: 1,
        newAlerts: 0,
        files,
        dropped: { chains: 0, completeChains: 0, groups: 0 },
        learn: false,
      },
      ':memory:',
    );
    assert.equal(
      line,
      'trustwatch: scan interrupted by SIGINT: 1 alert raised and not kept (--db :memory:); 1 of 4 inputs were read in full',
    );
  });

  it('says where the alerts lost to standard output are kept', () => {
    const failure = 'standard output was closed';
    assert.equal(
      outputLossLine(failure, 2, 9, { db: ':memory:', report: 'r.html' }),
      'trustwatch: standard output was closed after 2 of 9 alerts were written to it; all 9 are stored in the report r.html',
    );
    assert.equal(
      outputLossLine(failure, 9, 9, { db: 'x.db', report: undefined }),
      'trustwatch: standard output was closed after 9 of 9 alerts were written to it; no alert was lost',
    );
  });
});
