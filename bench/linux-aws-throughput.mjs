#!/usr/bin/env node
// Throughput of the CloudTrail, Linux syslog and audit sources, from real corpus records.
//
// Builds large inputs in a temporary folder from the shared corpus and scenario logs (copies
// re-timed so that each copy follows the last, with fresh event ids), then measures two things
// per input: parsing alone through the source registry, and a whole `trustwatch scan` with the
// shipped rules and a context file with one party. Prints records and events per second.
//
// Usage (after `npm run build`):
//   node bench/linux-aws-throughput.mjs [--cloudtrail N] [--auth N] [--audit N] [--keep]
// The shared corpus is read from TRUSTWATCH_SHARED, else ../shared beside the repository.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(REPO, process.env.TRUSTWATCH_SHARED ?? '../shared');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const targets = {
  cloudtrail: option('cloudtrail', 200_000),
  auth: option('auth', 500_000),
  audit: option('audit', 300_000),
};
const keep = process.argv.includes('--keep');

function readText(path) {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** CloudTrail: the Invictus delivery files, copied two hours apart, 5,000 records per .json.gz. */
function buildCloudTrail(folder) {
  const source = join(SHARED, 'corpus', 'aws-cloudtrail', 'invictus-aws-dataset');
  const records = readdirSync(source)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => JSON.parse(readText(join(source, name))).Records);
  let written = 0;
  let file = 0;
  let batch = [];
  const flush = () => {
    const name = `111122223333_CloudTrail_us-east-1_bench_${String(file++).padStart(4, '0')}.json.gz`;
    writeFileSync(join(folder, name), gzipSync(JSON.stringify({ Records: batch })));
    batch = [];
  };
  for (let copy = 0; written < targets.cloudtrail; copy++) {
    for (const record of records) {
      if (written >= targets.cloudtrail) break;
      const time = Date.parse(record.eventTime) + copy * 2 * HOUR;
      batch.push({
        ...record,
        eventTime: new Date(time).toISOString().replace('.000Z', 'Z'),
        eventID: `${record.eventID}-${copy}`,
      });
      written++;
      if (batch.length === 5000) flush();
    }
  }
  if (batch.length > 0) flush();
  return written;
}

/** auth.log: the RFC 3339 scenario and corpus auth logs, copied one day apart into one file. */
function buildAuthLog(folder) {
  const scenarios = join(SHARED, 'scenarios');
  const lines = readdirSync(scenarios)
    .filter((name) => name.startsWith('an1345-'))
    .flatMap((name) => {
      const logs = join(scenarios, name, 'logs');
      return readdirSync(logs)
        .filter((file) => file.includes('auth.log'))
        .flatMap((file) => readText(join(logs, file)).split('\n'));
    })
    .filter((line) => /^\d{4}-\d{2}-\d{2}T/.test(line));
  const out = [];
  for (let copy = 0; out.length < targets.auth; copy++) {
    for (const line of lines) {
      if (out.length >= targets.auth) break;
      const space = line.indexOf(' ');
      const time = Date.parse(line.slice(0, space)) + copy * DAY;
      out.push(`${new Date(time).toISOString()}${line.slice(space)}`);
    }
  }
  writeFileSync(join(folder, 'auth.log'), `${out.join('\n')}\n`);
  return out.length;
}

/** audit.log: the OTRF and scenario audit logs, copied one day apart with fresh serials. */
function buildAuditLog(folder) {
  const sources = [
    join(SHARED, 'corpus', 'linux', 'otrf', 'sh_arp_cache_2020-11-10074812.log'),
    join(SHARED, 'corpus', 'linux', 'otrf', 'sh_binary_padding_dd_2020-11-10081941.log'),
    ...readdirSync(join(SHARED, 'scenarios'))
      .filter((name) => name.startsWith('an1345-'))
      .map((name) => join(SHARED, 'scenarios', name, 'logs', 'audit.log'))
      .filter((path) => existsSync(path)),
  ];
  const lines = sources.flatMap((path) => readText(path).split('\n')).filter((line) => line !== '');
  const out = [];
  for (let copy = 0; out.length < targets.audit; copy++) {
    for (const line of lines) {
      if (out.length >= targets.audit) break;
      out.push(
        line.replace(
          /audit\((\d+)\.(\d+):(\d+)\)/,
          (_, seconds, millis, serial) =>
            `audit(${Number(seconds) + copy * 86_400}.${millis}:${Number(serial) + copy * 1_000_000})`,
        ),
      );
    }
  }
  writeFileSync(join(folder, 'audit.log'), `${out.join('\n')}\n`);
  return out.length;
}

async function parseOnly(folder) {
  const { expandPaths } = await import('../dist/input/expand.js');
  const { prepareInput, readPrepared } = await import('../dist/sources/read.js');
  const { createFormatRegistry } = await import('../dist/sources/registry.js');
  const { silentLogger } = await import('../dist/model/logger.js');
  const registry = createFormatRegistry();
  const options = {
    settings: {
      syslog: {},
      limits: { maxRecordLength: 4 * 1024 * 1024, maxDepth: 64, maxFieldLength: 1024 * 1024 },
    },
    logger: silentLogger,
  };
  let records = 0;
  let events = 0;
  const started = process.hrtime.bigint();
  for (const file of await expandPaths([folder])) {
    const prepared = await prepareInput(file, registry, options);
    for await (const output of readPrepared(prepared, options)) {
      records += (output.records ?? output.events.length) + output.rejections.length;
      events += output.events.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { records, events, seconds };
}

function scan(folder, context) {
  const started = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [
      join(REPO, 'bin', 'trustwatch.js'),
      'scan',
      '--context',
      context,
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      '--no-progress',
      folder,
    ],
    { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`scan failed: ${result.stderr}`);
  const alerts = result.stdout.split('\n').filter((line) => line.startsWith('{')).length;
  const summary = /(\d+) records read/.exec(result.stderr);
  return { records: Number(summary?.[1] ?? 0), alerts, seconds };
}

function rate(count, seconds) {
  return Math.round(count / seconds).toLocaleString('en-US');
}

const temp = mkdtempSync(join(tmpdir(), 'trustwatch-bench-'));
const context = join(temp, 'trustwatch.yaml');
writeFileSync(
  context,
  [
    'parties:',
    '  - name: Initech',
    '    kind: vendor',
    '    accounts: ["vendor-initech"]',
    '    networks: ["198.51.100.64/27"]',
    '    cloud_accounts: ["444455556666"]',
    'settings:',
    '  syslog: {year: 2024, timezone: UTC}',
    '',
  ].join('\n'),
);

const inputs = [
  ['CloudTrail .json.gz', 'cloudtrail', buildCloudTrail],
  ['auth.log (RFC 3339)', 'auth', buildAuthLog],
  ['audit.log', 'audit', buildAuditLog],
];
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
try {
  for (const [label, name, build] of inputs) {
    const folder = join(temp, name);
    mkdirSync(folder, { recursive: true });
    const written = build(folder);
    const parsed = await parseOnly(folder);
    const scanned = scan(folder, context);
    console.log(
      `${label}: ${written.toLocaleString('en-US')} records -> ${parsed.events.toLocaleString('en-US')} events; ` +
        `parse ${parsed.seconds.toFixed(2)} s (${rate(parsed.events, parsed.seconds)} events/s, ` +
        `${rate(parsed.records, parsed.seconds)} records/s); ` +
        `scan ${scanned.seconds.toFixed(2)} s (${rate(parsed.events, scanned.seconds)} events/s, ` +
        `${scanned.alerts} alerts)`,
    );
  }
} finally {
  if (keep) console.log(`inputs kept in ${temp}`);
  else rmSync(temp, { recursive: true, force: true });
}
