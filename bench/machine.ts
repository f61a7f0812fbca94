/** The machine line printed above the table: CPU, cores, Node.js, memory and load average. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node.js reports.
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

export function machineLine(): string {
  const memory = (totalmem() / 1024 ** 3).toFixed(1);
  return (
    `machine: ${cpuModel()}, ${availableParallelism()} cores, Node.js ${process.version}, ` +
    `${memory} GiB memory, load average ${loadAverage()} (1, 5, 15 min) at start`
  );
}
