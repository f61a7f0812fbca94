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

const CHUNK_BYTES = 1 << 20;

export async function parseLines(files: readonly string[]): Promise<CeilingRun> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let events = 0;
  for (const file of files) {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.length === 0) continue;
        JSON.parse(line);
        events++;
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
