/**
 * Row group 7: peak memory of a scan of 1 GB of generated input against a larger one. Each
 * size is generated once into the cache folder (generate.ts) and reused while the inputs, the
 * seed and the size stay the same. The scans run the pack on one worker with a context of two
 * parties: the planted case's party, and the accounts of the OTRF lab domains, so that every
 * lab logon opens correlation state that has to expire. The planted case must raise in each
 * scan the alerts it raises alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type BenchRun, scanRow } from './bench-run.js';
import { checkFreeSpace, type GenerateResult, generate } from './generate.js';
import { CHAIN_CONTEXT, plantedChainLines } from './planted-chain.js';
import { runScan } from './scan.js';
import { formatCount } from './table.js';

const GB = 1e9;

/** The OTRF lab accounts as a third party; copies keep the domain and tag the user name. */
const LAB_PARTY = {
  name: 'OTRF lab operators',
  kind: 'contractor',
  accounts: ['THESHIRE\\*', 'THESHIRE.LOCAL\\*', 'MORDOR\\*'],
  networks: ['172.18.39.0/24'],
};

function writeContext(run: BenchRun): { file: string; party: string } {
  const context = parse(readFileSync(CHAIN_CONTEXT, 'utf8')) as { parties: { name: string }[] };
  const party = context.parties[0]?.name;
  if (!party) throw new Error(`no party in ${CHAIN_CONTEXT}`);
  context.parties.push(LAB_PARTY);
  const file = join(run.scratch, 'memory-context.yaml');
  writeFileSync(file, stringify(context));
  return { file, party };
}

async function generated(run: BenchRun, bytes: number): Promise<GenerateResult> {
  const signature = run.otrfFiles.map((file) => `${file}:${statSync(file).size}`).join('\n');
  const key = createHash('sha256')
    .update(`${signature}\n${run.options.seed}\n${bytes}`)
    .digest('hex')
    .slice(0, 12);
  const folder = join(run.options.cache, 'generated', `${Math.round(bytes / 1e6)}MB-${key}`);
  const done = `${folder}.json`;
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as GenerateResult;

  checkFreeSpace(join(run.options.cache, 'generated'), bytes);
  const chain = await plantedChainLines();
  const result = generate({
    inputs: run.otrfFiles,
    chain,
    targetBytes: bytes,
    seed: run.options.seed,
    folder,
  });
  writeFileSync(done, JSON.stringify(result));
  return result;
}

export async function memoryRows(run: BenchRun): Promise<void> {
  const context = writeContext(run);
  const sizes = [1, run.options.generateGb];
  const peaks: number[] = [];
  let expected: number | undefined;
  for (const size of sizes) {
    const input = await generated(run, size * GB);
    if (expected === undefined) {
      const alone = { paths: [input.chainFile], context: context.file, workers: 1 };
      expected = (await runScan(alone, 1, run.scratch)).alertsByParty.get(context.party) ?? 0;
    }
    const request = { paths: input.files, context: context.file, workers: 1 };
    const scan = await runScan(request, run.options.runs, run.scratch);
    if (scan.peakRssMiB !== undefined) peaks.push(scan.peakRssMiB);

    const planted = scan.alertsByParty.get(context.party) ?? 0;
    const found =
      planted === expected ? 'planted case found' : `PLANTED CASE: ${planted} of ${expected}`;
    const label = `scan generated ${(input.bytes / GB).toFixed(2)} GB, pack`;
    const copies = formatCount(input.copies, 'copy', 'copies');
    const note = `${copies}; ${found}; ${formatCount(scan.alerts, 'alert')}`;
    scanRow(run, 7, label, scan, note);
  }
  if (peaks.length === 2) {
    const ratio = ((peaks[1] as number) / (peaks[0] as number)).toFixed(2);
    run.notes.push(
      `Memory: peak RSS at ${run.options.generateGb} GB is ${ratio} × the peak at 1 GB. The ` +
        `planted case raises ${expected} alerts for ${context.party} when scanned alone.`,
    );
  }
}
