import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { expandPaths } from '../src/input/expand.js';
import { MemoryLogger } from '../src/model/logger.js';
import { nobody, parseAlerts, runCli, runCliAsync } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';
import { makeZip } from './helpers/zip.js';

const CASE = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs', 'app01-security.xml');
const CASE_EVENTS = 165;

const ALL_SECURITY_RULE = `title: every Security event
id: 5b1f0c3e-9a51-4d0e-8a0f-2f7f3c1d0a01
logsource: {product: windows, service: security}
detection:
  sel: {EventID|exists: true}
  condition: sel
level: low
`;

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-expand-'));
  chmodSync(dir, 0o755);
  return dir;
}

function scanArgs(dir: string, ...paths: string[]): string[] {
  const rule = join(dir, 'all.yml');
  writeFileSync(rule, ALL_SECURITY_RULE);
  return [
    'scan',
    '--db',
    ':memory:',
    '--no-default-rules',
    '--rules',
    rule,
    '--output',
    'ndjson',
    '--no-progress',
    ...paths,
  ];
}

/** Reads every expanded input, returning what opening each one gave. */
async function openAll(paths: string[], logger = new MemoryLogger()) {
  const files = await expandPaths(paths, { logger });
  const results: { path: string; error?: string }[] = [];
  for (const file of files) {
    try {
      const stream = await file.open();
      stream.destroy();
      results.push({ path: file.path });
    } catch (error) {
      results.push({ path: file.path, error: (error as Error).message });
    }
  }
  return results;
}

describe('path expansion', () => {
  it('skips a symbolic link loop once and reads the rest', async () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    copyFileSync(CASE_LOG, join(logs, 'a.xml'));
    symlinkSync(logs, join(logs, 'loop'));

    const results = await openAll([logs]);
    assert.deepEqual(
      results.map((result) => result.path),
      [join(logs, 'a.xml'), join(logs, 'loop')],
    );
    assert.equal(results[0]?.error, undefined);
    assert.equal(results[1]?.error, `symbolic link loop: it leads back to ${logs}, not followed`);
  });

  it('follows a folder link once and warns about the second path', async () => {
    const dir = temp();
    const real = join(dir, 'real');
    const logs = join(dir, 'logs');
    mkdirSync(real);
    mkdirSync(logs);
    copyFileSync(CASE_LOG, join(real, 'a.xml'));
    symlinkSync(real, join(logs, 'first'));
    symlinkSync(real, join(logs, 'second'));
    const logger = new MemoryLogger();

    const results = await openAll([logs], logger);
    assert.deepEqual(results, [{ path: join(logs, 'first', 'a.xml') }]);
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.message, 'input given more than once: it is read once');
    assert.equal(warnings[0]?.fields.file, join(logs, 'second'));
    assert.equal(warnings[0]?.fields.first, join(logs, 'first'));
  });

  it('warns about a folder without input files', async () => {
    const dir = temp();
    const empty = join(dir, 'empty');
    const hidden = join(dir, 'hidden');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    mkdirSync(hidden);
    writeFileSync(join(hidden, '.only-hidden.json'), '{}\n');
    const logger = new MemoryLogger();

    const listed = join(dir, 'listed');
    mkdirSync(listed);
    copyFileSync(CASE_LOG, join(listed, 'a.xml'));
    const files = await expandPaths([empty, hidden, empty, join(listed, 'a.xml'), listed], {
      logger,
    });

    assert.equal(files.length, 1);
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    assert.deepEqual(
      warnings.map((entry) => [entry.message, entry.fields.file]),
      [
        ['folder contains no input files; check the path', empty],
        ['folder contains no input files; check the path', hidden],
        ['input given more than once: it is read once', empty],
        ['input given more than once: it is read once', join(listed, 'a.xml')],
      ],
    );
  });

  it('reports a dangling link and a damaged zip, and reads the rest', async () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    copyFileSync(CASE_LOG, join(logs, 'b.xml'));
    symlinkSync(join(dir, 'gone.xml'), join(logs, 'a-dangling.xml'));
    writeFileSync(join(logs, 'c-garbage.zip'), 'PK\u0003\u0004garbage');
    const zip = makeZip([{ name: 'x.xml', data: readFileSync(CASE_LOG) }]);
    writeFileSync(join(logs, 'd-cut.zip'), zip.subarray(0, 8000));

    const results = await openAll([logs]);
    // The cut zip's entry is read up to the cut, and the archive names what was lost.
    assert.deepEqual(
      results.map((result) => result.path),
      ['a-dangling.xml', 'b.xml', 'c-garbage.zip', 'd-cut.zip/x.xml', 'd-cut.zip'].map((name) =>
        join(logs, name),
      ),
    );
    assert.equal(
      results[0]?.error,
      `dangling symbolic link: its target ${join(dir, 'gone.xml')} does not exist`,
    );
    assert.equal(results[1]?.error, undefined);
    assert.match(results[2]?.error ?? '', /^damaged zip archive: End of central directory/);
    assert.equal(results[3]?.error, undefined);
    assert.match(
      results[4]?.error ?? '',
      /^damaged zip archive: .*1 entry was found from the local file headers, then the archive ends at byte 8000, inside the data of the entry x\.xml that starts at byte 35$/,
    );
  });

  it('skips hidden and macOS metadata zip entries', async () => {
    const dir = temp();
    const data = readFileSync(CASE_LOG);
    const archive = join(dir, 'logs.zip');
    writeFileSync(
      archive,
      makeZip([
        { name: 'x.xml', data },
        { name: '__MACOSX/._x.xml', data: Buffer.from('resource fork') },
        { name: 'sub/.hidden.xml', data },
      ]),
    );
    const logger = new MemoryLogger();
    const files = await expandPaths([archive], { logger });
    assert.deepEqual(
      files.map((file) => file.path),
      [`${archive}/x.xml`],
    );
    assert.ok(logger.entries.some((entry) => entry.message === 'hidden zip entries skipped'));
  });

  it('warns about a zip without input files', async () => {
    const dir = temp();
    const data = readFileSync(CASE_LOG);
    const hiddenNames = Array.from({ length: 12 }, (_, index) => `.h${index}.xml`);
    const archives = {
      // An archive with no entries is only its 22-byte end-of-central-directory record.
      empty: makeZip([]),
      emptyJunk: Buffer.concat([makeZip([]), Buffer.from([0])]),
      folders: makeZip([{ name: 'logs/', data: Buffer.alloc(0) }]),
      hidden: makeZip([
        { name: 'zd/.h', data: Buffer.from('hi\n') },
        { name: '__MACOSX/._x.xml', data: Buffer.from('resource fork') },
      ]),
      manyHidden: makeZip(hiddenNames.map((name) => ({ name, data }))),
    };
    const paths = Object.fromEntries(
      Object.entries(archives).map(([name, bytes]) => {
        const path = join(dir, `${name}.zip`);
        writeFileSync(path, bytes);
        return [name, path];
      }),
    );
    const logger = new MemoryLogger();

    const files = await expandPaths(Object.values(paths), { logger });

    assert.equal(archives.empty.length, 22);
    assert.deepEqual(files, []);
    const warnings = logger.entries.filter((entry) => entry.level === 'warn');
    const message = 'zip archive contains no input files; check the path';
    assert.deepEqual(
      warnings.map((entry) => [entry.message, entry.fields]),
      [
        [message, { file: paths.empty }],
        [message, { file: paths.emptyJunk }],
        [message, { file: paths.folders }],
        [message, { file: paths.hidden, hidden: 'zd/.h, __MACOSX/._x.xml' }],
        [
          message,
          { file: paths.manyHidden, hidden: `${hiddenNames.slice(0, 10).join(', ')} and 2 more` },
        ],
      ],
    );
  });

  it('reports a damaged archive of no entries', async () => {
    const dir = temp();
    const path = join(dir, 'cut.zip');
    writeFileSync(path, makeZip([]).subarray(0, 12));

    const results = await openAll([path]);
    assert.equal(results.length, 1);
    assert.match(results[0]?.error ?? '', /^damaged zip archive: /);
  });

  it('scans an empty zip beside a good input', () => {
    const dir = temp();
    const empty = join(dir, 'empty.zip');
    writeFileSync(empty, makeZip([]));

    const alone = runCli(scanArgs(dir, empty));
    assert.equal(alone.status, 0, alone.stderr);
    assert.match(alone.stderr, /warn: zip archive contains no input files; check the path /);
    assert.doesNotMatch(alone.stderr, /not read|no known format/);

    const beside = runCli(scanArgs(dir, empty, CASE_LOG));
    assert.equal(beside.status, 0, beside.stderr);
    assert.equal(parseAlerts(beside.stdout).length, CASE_EVENTS);
  });

  it('reads a zip with bytes after its end record', () => {
    const dir = temp();
    const zip = makeZip([{ name: 'x.xml', data: readFileSync(CASE_LOG) }]);
    for (const [name, trailing] of [
      ['one-byte.zip', Buffer.from([0])],
      ['junk.zip', Buffer.from('appended by a download tool\n')],
    ] as const) {
      writeFileSync(join(dir, name), Buffer.concat([zip, trailing]));
      const result = runCli(scanArgs(dir, join(dir, name)));
      assert.equal(result.status, 0, result.stderr);
      assert.equal(parseAlerts(result.stdout).length, CASE_EVENTS, name);
      assert.doesNotMatch(result.stderr, /damaged/, name);
    }
  });

  it('scans the good inputs beside broken ones, naming each broken one', () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    copyFileSync(CASE_LOG, join(logs, 'good.xml'));
    symlinkSync(logs, join(logs, 'loop'));
    symlinkSync(join(dir, 'gone.xml'), join(logs, 'dangling.xml'));
    const bad = join(dir, 'bad.zip');
    writeFileSync(bad, 'PK\u0003\u0004garbage');

    const result = runCli(scanArgs(dir, bad, logs));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(parseAlerts(result.stdout).length, CASE_EVENTS);
    assert.match(result.stderr, /Scanned 4 inputs with 1 rules: 165 records read/);
    assert.match(result.stderr, new RegExp(`  ${bad}: not read: damaged zip archive: `));
    assert.match(result.stderr, /logs\/dangling\.xml: not read: dangling symbolic link: /);
    assert.match(result.stderr, /logs\/loop: not read: symbolic link loop: /);
    assert.match(result.stderr, /logs\/good\.xml \[windows-xml\] 165 read, 165 parsed/);
    const logged = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
    assert.equal(logged.length, 3, result.stderr);
  });

  it('reads a named pipe given on the command line', async () => {
    const dir = temp();
    const pipe = join(dir, 'pipe.xml');
    execFileSync('mkfifo', [pipe]);
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', CASE_LOG, pipe], { stdio: 'ignore' });
    const result = await runCliAsync(scanArgs(dir, pipe));
    writer.kill();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(parseAlerts(result.stdout).length, CASE_EVENTS);
    assert.match(result.stderr, /pipe\.xml \[windows-xml\] 165 read, 165 parsed/);
  });

  it('keeps a missing command-line path a usage error', () => {
    const dir = temp();
    const result = runCli(scanArgs(dir, join(dir, 'missing.xml'), CASE_LOG));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /missing\.xml: cannot read input: ENOENT/);
    assert.equal(result.stdout, '');
  });

  it('reads a file given twice, or inside a given folder, once', () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const file = join(logs, 'a.xml');
    copyFileSync(CASE_LOG, file);

    const result = runCli(scanArgs(dir, file, logs, `${logs}/./a.xml`), { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(parseAlerts(result.stdout).length, CASE_EVENTS);
    assert.match(result.stderr, /Scanned 1 inputs with 1 rules: 165 records read/);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('more than once'));
    assert.equal(warnings.length, 2, result.stderr);
  });

  it('reports an unreadable file and folder and reads the rest', (t: TestContext) => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    chmodSync(logs, 0o755);
    copyFileSync(CASE_LOG, join(logs, 'good.xml'));
    chmodSync(join(logs, 'good.xml'), 0o644);
    copyFileSync(CASE_LOG, join(logs, 'secret.xml'));
    chmodSync(join(logs, 'secret.xml'), 0o000);
    mkdirSync(join(logs, 'locked'));
    copyFileSync(CASE_LOG, join(logs, 'locked', 'inner.xml'));
    chmodSync(join(logs, 'locked'), 0o000);
    const args = scanArgs(dir, logs);
    chmodSync(join(dir, 'all.yml'), 0o644);

    // chmod does not stop root, so as root the scan runs as user nobody instead.
    let user: { uid: number; gid: number } | undefined;
    if (process.getuid?.() === 0) {
      user = nobody();
      if (!user) {
        t.skip('running as root and there is no user nobody to run the scan as');
        return;
      }
    }
    const result = runCli(args, user ? { user } : {});
    chmodSync(join(logs, 'locked'), 0o755);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(parseAlerts(result.stdout).length, CASE_EVENTS);
    assert.match(result.stderr, /logs\/locked: not read: EACCES: permission denied, scandir/);
    assert.match(result.stderr, /logs\/secret\.xml: not read: EACCES: permission denied, open/);
    assert.match(result.stderr, /logs\/good\.xml \[windows-xml\] 165 read/);
    assert.match(result.stderr, /error: input cannot be read file=\S+locked/);
    assert.match(result.stderr, /error: input cannot be read file=\S+secret\.xml/);
  });
});

describe('detection alert ids', () => {
  it('do not depend on how the path is spelled', () => {
    const dir = temp();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    copyFileSync(CASE_LOG, join(logs, 'x.xml'));
    writeFileSync(join(dir, 'x.zip'), makeZip([{ name: 'x.xml', data: readFileSync(CASE_LOG) }]));
    const spellings = [
      ['logs/x.xml', './logs/x.xml', join(logs, 'x.xml'), 'logs/../logs/x.xml'],
      ['x.zip', './x.zip', join(dir, 'x.zip')],
    ];
    for (const paths of spellings) {
      const runs = paths.map((path) => {
        const result = runCli(scanArgs(dir, path), { cwd: dir });
        assert.equal(result.status, 0, result.stderr);
        return parseAlerts(result.stdout);
      });
      const detections = runs.map((alerts) => alerts.map((alert) => alert.id).sort());
      assert.equal(new Set(detections[0]).size, CASE_EVENTS);
      for (const [index, ids] of detections.entries()) {
        assert.deepEqual(ids, detections[0], `${paths[index]} gives other ids`);
      }
      const files = runs.map(
        (alerts) => (alerts[0]?.evidence as { file: string }[] | undefined)?.[0]?.file,
      );
      assert.deepEqual(
        files,
        paths.map((path) => (path.endsWith('.zip') ? `${path}/x.xml` : path)),
      );
    }
  });

  it('are the same for standard input in every run', () => {
    const dir = temp();
    const runs = [0, 1].map(() => {
      const result = runCli(scanArgs(dir, '-'), { input: readFileSync(CASE_LOG) });
      assert.equal(result.status, 0, result.stderr);
      return parseAlerts(result.stdout).map((alert) => alert.id);
    });
    assert.equal(runs[0]?.length, CASE_EVENTS);
    assert.deepEqual(runs[1], runs[0]);
  });

  it('differ between copies of a file in two places', () => {
    const dir = temp();
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    copyFileSync(CASE_LOG, join(dir, 'a', 'x.xml'));
    copyFileSync(CASE_LOG, join(dir, 'b', 'x.xml'));
    const result = runCli(scanArgs(dir, 'a', 'b'), { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    const ids = parseAlerts(result.stdout).map((alert) => alert.id);
    assert.equal(ids.length, 2 * CASE_EVENTS);
    assert.equal(new Set(ids).size, ids.length);
  });
});
