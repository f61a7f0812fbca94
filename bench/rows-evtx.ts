/**
 * Row group 5: reading EVTX against reading the same events as JSON, in this process. The
 * corpus `.evtx` files are repeated into one file (evtx-json.ts), exported to NDJSON through
 * the product's own EVTX source, and both files are read through format detection.
 */
import { join } from 'node:path';
import type { BenchRun } from './bench-run.js';
import { parseLines } from './ceiling.js';
import { buildRepeatedEvtx, exportEvtxAsJson, findEvtxFiles, timeReading } from './evtx-json.js';
import { median } from './measure.js';
import { sharedInput } from './paths.js';

/** Copies of the corpus chunks in the EVTX file: about 1,200 events and 2.9 MB per copy. */
const REPEAT = 50;
/** Reading passes at least; the rows are short, so a few passes cost little. */
const MIN_PASSES = 3;

export async function evtxRows(run: BenchRun): Promise<void> {
  const sources = findEvtxFiles(sharedInput('corpus'));
  const evtx = join(run.scratch, 'corpus-repeated.evtx');
  const built = buildRepeatedEvtx(sources, REPEAT, evtx);
  const json = join(run.scratch, 'corpus-repeated.json');
  await exportEvtxAsJson(evtx, json);

  const passes = Math.max(MIN_PASSES, run.options.runs);
  const ceilings = [];
  for (let pass = 0; pass < passes; pass++) ceilings.push(await parseLines([json]));
  const ceilingEvents = ceilings[0]?.events ?? 0;
  const ceilingRate = ceilingEvents / median(ceilings.map((ceiling) => ceiling.seconds));

  for (const [label, file] of [
    ['read EVTX', evtx],
    ['read the same events as NDJSON', json],
  ] as const) {
    const read = await timeReading([file], passes);
    run.rows.push({
      group: 5,
      label,
      events: read.events,
      seconds: read.seconds,
      runs: passes,
      cpuSeconds: read.cpuSeconds,
      ceilingRate,
      note: `format ${read.formats.join(', ')}; in the benchmark process`,
    });
  }
  const rates = run.rows.filter((row) => row.group === 5).map((row) => row.events / row.seconds);
  const ratio = ((rates[1] ?? 0) / (rates[0] ?? 1)).toFixed(2);
  run.notes.push(
    `EVTX against JSON: ${sources.length} corpus .evtx files, ${built.chunks} chunks repeated ` +
      `${REPEAT} times (${(built.bytes / 1e6).toFixed(0)} MB); JSON reads ${ratio} × as many ` +
      "events per second. Group 5's ceiling is JSON.parse of the exported NDJSON.",
  );
}
