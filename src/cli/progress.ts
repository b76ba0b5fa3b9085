import cliProgress from 'cli-progress';
import { bytes } from './format.ts';

/**
 * Progress of one long task on stderr: a bar on a terminal, a line every 10% otherwise (CI logs).
 * Nothing is shown for tasks that finish within a second (LANDFALL_PROGRESS_AFTER_MS sets another wait: 0 shows
 * every task's progress, as a test does that must see it however fast the machine converts).
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly started = Date.now();
  private readonly after = Number(process.env.LANDFALL_PROGRESS_AFTER_MS ?? 1000);
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (Date.now() - this.started < this.after) return;
    if (process.stderr.isTTY) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: `  ${this.label} [{bar}] {percentage}% | {doneText} of {totalText} | {speed}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(this.total, 0, this.payload(done));
      }
      this.bar.update(done, this.payload(done));
      return;
    }
    const decile = Math.floor((done / Math.max(1, this.total)) * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      process.stderr.write(
        `  ${this.label}: ${decile * 10}% (${bytes(done)} of ${bytes(this.total)}, ${this.payload(done).speed})\n`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(done: number) {
    const secs = (Date.now() - this.started) / 1000;
    return { doneText: bytes(done), totalText: bytes(this.total), speed: `${bytes(done / Math.max(secs, 0.001))}/s` };
  }
}
