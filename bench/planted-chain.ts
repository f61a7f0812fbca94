/**
 * The chain that the generator plants: the records of the example AN1344 case, in which an MSP
 * account logs on over RDP, is elevated, adds a local administrator and runs PsExec against
 * another host. The product's own XML source reads them, and they are written as flat NDJSON,
 * the shape of the OTRF records around them. Scanned with the case's context file, they raise
 * one AN1344 chain alert and two single-event alerts.
 */
import { join } from 'node:path';
import { emptyContext } from '../src/context/load.js';
import { expandPaths } from '../src/input/expand.js';
import { silentLogger } from '../src/model/logger.js';
import { sourceSettings } from '../src/pipeline/scan.js';
import { prepareInput, readPrepared } from '../src/sources/read.js';
import { createFormatRegistry } from '../src/sources/registry.js';
import { REPO_ROOT } from './paths.js';

const CASE_FOLDER = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain');

/** The context file that names the case's party. */
export const CHAIN_CONTEXT = join(CASE_FOLDER, 'trustwatch.yaml');

/** Reads the case's records and returns them as NDJSON lines of their flat fields. */
export async function plantedChainLines(): Promise<string[]> {
  const options = { settings: sourceSettings(emptyContext()), logger: silentLogger };
  const lines: string[] = [];
  for (const file of await expandPaths([join(CASE_FOLDER, 'logs')])) {
    const prepared = await prepareInput(file, createFormatRegistry(), options);
    for await (const output of readPrepared(prepared, options)) {
      for (const event of output.events) lines.push(JSON.stringify(event.fields));
    }
  }
  if (lines.length === 0) throw new Error(`no records read from ${CASE_FOLDER}/logs`);
  return lines;
}
