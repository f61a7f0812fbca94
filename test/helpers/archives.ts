import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './shared.js';

/** Real records of the test fixtures that archive tests pack, with what a scan reads of each. */
export const FIXTURES = {
  auth: {
    path: join(REPO_ROOT, 'test/fixtures/linux/beats-auth-test.log'),
    summary: '[linux-syslog] 10 read, 10 parsed, 0 rejected',
  },
  audit: {
    path: join(REPO_ROOT, 'test/fixtures/linux/otrf-sh-arp-cache.audit.log'),
    summary: '[linux-auditd] 12 read, 12 parsed, joined into 2 events, 0 rejected',
  },
  cloudtrail: {
    path: join(
      REPO_ROOT,
      'test/fixtures/aws/218007301253_CloudTrail_us-east-1_20230710T1210Z_bXGZYqBeCCsqWq1U.json',
    ),
    summary: '[aws-cloudtrail] 6 read, 6 parsed, 0 rejected',
  },
  evtx: {
    path: join(REPO_ROOT, 'test/fixtures/evtx/ID4624-Mimikatz_Pass_the_hash.evtx'),
    summary: '[evtx] 8 read, 8 parsed, 0 rejected',
  },
} as const;

export type FixtureName = keyof typeof FIXTURES;

/** Creates an empty temporary folder that the tests' child processes may read. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `trustwatch-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** Copies fixtures into `dir` under the given relative paths. */
export function placeFixtures(dir: string, files: Record<string, FixtureName>): void {
  for (const [path, fixture] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(FIXTURES[fixture].path, join(dir, path));
  }
}

/** Tells whether a command-line tool can be run, for tests that build archives with it. */
export function hasTool(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs a tool in `cwd` and returns its standard output. */
export function runTool(cwd: string, command: string, args: readonly string[]): Buffer {
  return execFileSync(command, args, { cwd, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
}

/**
 * Writes a ustar header block for crafted archives: the name's bytes as given, any declared
 * size (octal, up to 8 GiB - 1), and a valid checksum.
 */
export function tarHeader(name: Buffer, size: number, type = '0'): Buffer {
  const block = Buffer.alloc(512);
  name.copy(block, 0, 0, Math.min(name.length, 100));
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write(
    `${Math.floor(Date.UTC(2024, 4, 6) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  block.write(type, 156, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Pads an entry's data to whole tar blocks. */
export function tarData(data: Buffer): Buffer {
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return padded;
}

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(1024);
