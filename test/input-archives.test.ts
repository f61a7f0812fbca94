import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  FIXTURES,
  hasTool,
  placeFixtures,
  runTool,
  TAR_END,
  tarData,
  tarHeader,
  tempDir,
} from './helpers/archives.js';
import { CLI, parseAlerts, runCli } from './helpers/cli.js';
import { makeZip } from './helpers/zip.js';

/** A rule that every sshd line of the auth fixture matches, to follow evidence paths. */
const SSHD_RULE = `title: every sshd line
id: 0d6c7a4e-5b8e-4f5e-9f53-1f0f1c2b3a41
logsource: {product: linux, service: syslog}
detection:
  keywords: ['sshd']
  condition: keywords
level: low
`;

const tools = { zip: hasTool('zip'), tar: hasTool('tar'), gzip: hasTool('gzip') };
const noTools = !(tools.zip && tools.tar && tools.gzip) && 'zip, tar and gzip are not installed';

/** Runs a scan of `paths` and returns its result with the summary's input lines. */
function scan(paths: readonly string[], options: { input?: Buffer; args?: string[] } = {}) {
  const result = runCli(
    [
      'scan',
      '--db',
      ':memory:',
      '--no-progress',
      '--output',
      'ndjson',
      ...(options.args ?? []),
    ].concat(paths),
    options.input ? { input: options.input } : {},
  );
  const inputs = result.stderr.split('\n').filter((line) => line.startsWith('  '));
  return { ...result, inputs };
}

/** Writes the sshd rule and returns the arguments that scan with it alone. */
function sshdRuleArgs(dir: string): string[] {
  const rule = join(dir, 'sshd.yml');
  writeFileSync(rule, SSHD_RULE);
  return ['--no-default-rules', '--rules', rule];
}

/** Returns the evidence files of the alerts, in order. */
function evidenceFiles(stdout: string): string[] {
  return parseAlerts(stdout).flatMap((alert) =>
    (alert.evidence as { file: string }[]).map((step) => step.file),
  );
}

describe('tar archives', () => {
  it('reads every entry of a tar, tar.gz and tgz', { skip: noTools }, () => {
    const dir = tempDir('tar');
    placeFixtures(join(dir, 'collected'), {
      'var/log/auth.log': 'auth',
      'var/log/audit/audit.log': 'audit',
      'aws/trail.json': 'cloudtrail',
      'windows/Security.evtx': 'evtx',
    });
    runTool(dir, 'tar', ['-cf', 'logs.tar', '-C', 'collected', 'var', 'aws', 'windows']);
    runTool(dir, 'tar', ['-czf', 'logs.tar.gz', '-C', 'collected', '.']);
    copyFileSync(join(dir, 'logs.tar.gz'), join(dir, 'logs.tgz'));

    // `tar -C collected .` names the entries ./var/log/auth.log and so on, shown without `./`.
    for (const name of ['logs.tar', 'logs.tar.gz', 'logs.tgz']) {
      const archive = join(dir, name);
      const result = scan([archive]);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(
        [...result.inputs].sort(),
        [
          `  ${archive}/aws/trail.json ${FIXTURES.cloudtrail.summary}`,
          `  ${archive}/var/log/audit/audit.log ${FIXTURES.audit.summary}`,
          `  ${archive}/var/log/auth.log ${FIXTURES.auth.summary}`,
          `  ${archive}/windows/Security.evtx ${FIXTURES.evtx.summary}`,
        ],
        name,
      );
    }
  });

  it('names entries in the evidence of alerts', { skip: noTools }, () => {
    const dir = tempDir('tar-evidence');
    placeFixtures(dir, { 'host/auth.log': 'auth' });
    runTool(dir, 'tar', ['-czf', 'host.tar.gz', 'host']);
    const args = sshdRuleArgs(dir);

    const plain = scan([join(dir, 'host/auth.log')], { args });
    const archived = scan([join(dir, 'host.tar.gz')], { args });

    const plainFiles = evidenceFiles(plain.stdout);
    assert.equal(plainFiles.length, 5);
    assert.deepEqual(
      evidenceFiles(archived.stdout),
      plainFiles.map(() => join(dir, 'host.tar.gz/host/auth.log')),
    );
  });

  it('skips links, folders and hidden entries', { skip: noTools }, () => {
    const dir = tempDir('tar-links');
    placeFixtures(join(dir, 'c'), { 'auth.log': 'auth', '.cache/audit.log': 'audit' });
    runTool(join(dir, 'c'), 'ln', ['-s', 'auth.log', 'auth-link.log']);
    runTool(dir, 'tar', ['-cf', 'c.tar', 'c']);

    const result = scan([join(dir, 'c.tar')], { args: ['--log-level', 'info'] });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${join(dir, 'c.tar')}/c/auth.log ${FIXTURES.auth.summary}`,
    ]);
    assert.match(result.stderr, /info: hidden tar entries skipped .*count=1/);
    assert.match(
      result.stderr,
      /info: tar entries that are links, devices or FIFOs skipped .*count=1/,
    );
  });
});

describe('tar entry types', () => {
  it('names a GNU sparse file as not read', () => {
    const dir = tempDir('tar-sparse');
    const auth = readFileSync(FIXTURES.auth.path);
    const archive = join(dir, 'sparse.tar');
    writeFileSync(
      archive,
      Buffer.concat([
        tarHeader(Buffer.from('holes.log'), auth.length, 'S'),
        tarData(auth),
        tarHeader(Buffer.from('auth.log'), auth.length),
        tarData(auth),
        TAR_END,
      ]),
    );

    const result = scan([archive]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${archive}/holes.log: not read: a GNU sparse file (type S), which trustwatch does not ` +
        'read, so it is skipped: extract the archive first',
      `  ${archive}/auth.log ${FIXTURES.auth.summary}`,
    ]);
  });
});

describe('archives inside archives', () => {
  it('reads zip, tar and gzip inside one another', { skip: noTools }, () => {
    const dir = tempDir('nested');
    placeFixtures(dir, {
      'a/auth.log': 'auth',
      'b/audit.log': 'audit',
      'c/trail.json': 'cloudtrail',
      'd/Security.evtx': 'evtx',
    });
    runTool(dir, 'gzip', ['-k', 'a/auth.log']);
    // Info-ZIP stores a .zip entry as is, so inner.zip is read in place; tar.gz is deflated.
    runTool(dir, 'zip', ['-q', '-r', 'inner.zip', 'b']);
    runTool(dir, 'tar', ['-czf', 'c.tar.gz', 'c']);
    writeFileSync(
      join(dir, 'deflated.zip'),
      makeZip([{ name: 'd/Security.evtx', data: readFileSync(FIXTURES.evtx.path) }]),
    );
    runTool(dir, 'tar', ['-cf', 'mid.tar', 'a/auth.log.gz', 'deflated.zip']);
    runTool(dir, 'zip', ['-q', 'outer.zip', 'inner.zip', 'c.tar.gz', 'mid.tar']);

    const outer = join(dir, 'outer.zip');
    const result = scan([outer]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${outer}/inner.zip/b/audit.log ${FIXTURES.audit.summary}`,
      `  ${outer}/c.tar.gz/c/trail.json ${FIXTURES.cloudtrail.summary}`,
      `  ${outer}/mid.tar/a/auth.log.gz ${FIXTURES.auth.summary}`,
      `  ${outer}/mid.tar/deflated.zip/d/Security.evtx ${FIXTURES.evtx.summary}`,
    ]);
  });

  it('reads the same in worker threads', { skip: noTools }, () => {
    const dir = tempDir('nested-workers');
    placeFixtures(dir, {
      'a/auth.log': 'auth',
      'b/audit.log': 'audit',
      'c/trail.json': 'cloudtrail',
    });
    runTool(dir, 'tar', ['-czf', 'ab.tar.gz', 'a', 'b']);
    runTool(dir, 'zip', ['-q', '-r', 'outer.zip', 'ab.tar.gz', 'c']);
    const args = sshdRuleArgs(dir);
    const outer = join(dir, 'outer.zip');

    const one = scan([outer], { args: [...args, '--workers', '1'] });
    const three = scan([outer], { args: [...args, '--workers', '3'] });
    assert.equal(three.status, 0, three.stderr);
    assert.deepEqual(three.inputs, one.inputs);
    assert.deepEqual(evidenceFiles(three.stdout), evidenceFiles(one.stdout));
    assert.equal(evidenceFiles(three.stdout)[0], `${outer}/ab.tar.gz/a/auth.log`);
  });

  it('leaves no temporary files', { skip: noTools }, () => {
    const dir = tempDir('spool');
    const temp = tempDir('spool-tmp');
    placeFixtures(dir, { 'a/auth.log': 'auth' });
    runTool(dir, 'tar', ['-czf', 'a.tar.gz', 'a']);
    writeFileSync(
      join(dir, 'outer.zip'),
      makeZip([{ name: 'a.tar.gz', data: readFileSync(join(dir, 'a.tar.gz')) }]),
    );

    const result = spawnSync(
      process.execPath,
      [CLI, 'scan', '--db', ':memory:', '--no-progress', join(dir, 'outer.zip')],
      { encoding: 'utf8', env: { ...process.env, TMPDIR: temp } },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.ok(
      result.stderr.includes(`  ${dir}/outer.zip/a.tar.gz/a/auth.log [linux-syslog] 10 read`),
    );
    assert.deepEqual(readdirSync(temp), []);
  });
});

describe('archives on standard input', () => {
  it('reads a zip and a tar.gz piped in', { skip: noTools }, () => {
    const dir = tempDir('stdin');
    placeFixtures(dir, { 'a/auth.log': 'auth', 'b/audit.log': 'audit' });
    runTool(dir, 'zip', ['-q', '-r', 'a.zip', 'a']);
    runTool(dir, 'tar', ['-czf', 'b.tar.gz', 'b']);

    const zip = scan(['-'], { input: readFileSync(join(dir, 'a.zip')) });
    assert.equal(zip.status, 0, zip.stderr);
    assert.deepEqual(zip.inputs, [`  -/a/auth.log ${FIXTURES.auth.summary}`]);

    const tgz = scan(['-'], { input: readFileSync(join(dir, 'b.tar.gz')) });
    assert.equal(tgz.status, 0, tgz.stderr);
    assert.deepEqual(tgz.inputs, [`  -/b/audit.log ${FIXTURES.audit.summary}`]);
  });

  it('reports a piped archive over the limit', () => {
    const dir = tempDir('stdin-limit');
    const context = join(dir, 'trustwatch.yaml');
    writeFileSync(
      context,
      'parties: []\nsettings:\n  limits:\n    max_piped_archive_bytes: 1000\n',
    );
    const zip = makeZip([{ name: 'auth.log', data: readFileSync(FIXTURES.cloudtrail.path) }]);
    assert.ok(zip.length > 1000);

    const result = scan(['-'], { input: zip, args: ['--context', context] });
    assert.equal(result.status, 2, result.stderr);
    assert.deepEqual(result.inputs, [
      '  -: not read: an archive on standard input longer than 1000 bytes ' +
        '(settings.limits.max_piped_archive_bytes), the most that trustwatch writes to a ' +
        'temporary file to read it: give the archive as a file',
    ]);
  });
});

describe('containers that are not read', () => {
  const text = readFileSync(FIXTURES.auth.path);

  it('names the format and what to do', () => {
    const dir = tempDir('unread');
    const files: Record<string, { bytes: Buffer; reason: string }> = {
      'logs.7z': {
        bytes: Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), text]),
        reason: 'a 7-Zip archive, which trustwatch does not read: extract it first (7z x)',
      },
      'logs.rar': {
        bytes: Buffer.concat([Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), text]),
        reason: 'a RAR archive, which trustwatch does not read: extract it first',
      },
      'logs.cab': {
        bytes: Buffer.concat([Buffer.from('MSCF\0\0\0\0', 'latin1'), text]),
        reason:
          'a Microsoft Cabinet archive, which trustwatch does not read: extract it first ' +
          '(expand or cabextract)',
      },
    };
    for (const [name, { bytes }] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    // The same file inside a zip archive is named the same way.
    writeFileSync(
      join(dir, 'outer.zip'),
      makeZip([{ name: 'inner.7z', data: readFileSync(join(dir, 'logs.7z')) }]),
    );

    const result = scan(
      Object.keys(files)
        .map((name) => join(dir, name))
        .concat(join(dir, 'outer.zip')),
    );
    assert.equal(result.status, 2, result.stderr);
    assert.deepEqual(result.inputs, [
      ...Object.entries(files).map(
        ([name, { reason }]) => `  ${join(dir, name)}: not read: ${reason}`,
      ),
      `  ${join(dir, 'outer.zip')}/inner.7z: not read: ${files['logs.7z']?.reason}`,
    ]);
  });

  it('names compressed files that real tools wrote', () => {
    const dir = tempDir('unread-tools');
    copyFileSync(FIXTURES.auth.path, join(dir, 'auth.log'));
    const expected: string[] = [];
    const cases = [
      [
        'xz',
        ['-k', 'auth.log'],
        'auth.log.xz',
        'an xz-compressed file',
        'xz -d, or tar -xJf for a .tar.xz',
      ],
      [
        'bzip2',
        ['-k', 'auth.log'],
        'auth.log.bz2',
        'a bzip2-compressed file',
        'bunzip2, or tar -xjf for a .tar.bz2',
      ],
      [
        'zstd',
        ['-q', 'auth.log'],
        'auth.log.zst',
        'a Zstandard-compressed file',
        'zstd -d, or tar --zstd -xf for a .tar.zst',
      ],
    ] as const;
    const paths: string[] = [];
    for (const [tool, args, output, what, action] of cases) {
      if (!hasTool(tool)) continue;
      runTool(dir, tool, args);
      paths.push(join(dir, output));
      expected.push(
        `  ${join(dir, output)}: not read: ${what}, which trustwatch does not read: decompress it first (${action})`,
      );
    }
    if (paths.length === 0) return;

    const result = scan(paths);
    assert.deepEqual(result.inputs, expected);
  });

  it('still reads a gzip file that holds no archive', () => {
    const dir = tempDir('plain-gzip');
    writeFileSync(join(dir, 'auth.log.gz'), gzipSync(text));
    const header = tarHeader(Buffer.from('auth.log'), text.length);
    writeFileSync(join(dir, 'auth.tar'), Buffer.concat([header, tarData(text), TAR_END]));

    const result = scan([join(dir, 'auth.log.gz'), join(dir, 'auth.tar')]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.inputs, [
      `  ${join(dir, 'auth.log.gz')} ${FIXTURES.auth.summary}`,
      `  ${join(dir, 'auth.tar')}/auth.log ${FIXTURES.auth.summary}`,
    ]);
  });
});
