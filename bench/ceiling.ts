/**
 * The bare ceiling: read the files, split them into lines and `JSON.parse` each line, nothing
 * else, in this process on one core. No parser in JavaScript that builds objects from JSON can
 * be faster, so the other rows are given as a fraction of it.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface CeilingRun {
  events: number;
  seconds: number;
  cpuSeconds: number;
}

/**
 * Bytes read at a time, and bytes decoded into one text: the fastest pair tried on the OTRF set
 * here. Reads of 256 KiB decoded 32 KiB at a time took 3.8 to 4.0 s. Decoding 64 KiB at a time
 * took 4.7 s, and reads of 32 KiB 4.4 to 4.8 s. Reads of 256 KiB or 1 MiB decoded whole took
 * 6.6 to 7.5 s, most of it in page faults for strings above V8's largest regular object.
 */
const CHUNK_BYTES = 256 * 1024;
const DECODE_BYTES = 32 * 1024;

export async function parseLines(files: readonly string[]): Promise<CeilingRun> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let events = 0;
  for (const file of files) {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer;
      for (let start = 0; start < bytes.length; start += DECODE_BYTES) {
        const text = rest + decoder.write(bytes.subarray(start, start + DECODE_BYTES));
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (line.length === 0) continue;
          JSON.parse(line);
          events++;
        }
      }
    }
    rest += decoder.end();
    if (rest.trim().length > 0) {
      JSON.parse(rest);
      events++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { events, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}
