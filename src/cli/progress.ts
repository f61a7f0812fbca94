import type { ScanProgress } from '../pipeline/scan.js';

/** A one-line progress display on stderr, redrawn at most every 200 ms; only for a terminal. */
export class ProgressLine {
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(progress: ScanProgress): void {
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = Math.round(progress.records / seconds);
    const width = 20;
    const filled =
      progress.filesTotal === 0
        ? width
        : Math.round((progress.filesDone / progress.filesTotal) * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const line = `[${bar}] files ${progress.filesDone}/${progress.filesTotal}  records ${progress.records}  ${rate}/s`;
    this.stream.write(`\r${line}\u001b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\u001b[K');
  }
}
