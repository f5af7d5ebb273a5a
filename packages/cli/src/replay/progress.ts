// Replay progress on stderr: a bar redrawn in place on a terminal (records, rate, ETA), plain
// lines every few seconds otherwise (logs, CI), so a pipe never fills with carriage returns.

export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const REDRAW_MS = 100;
const LINE_EVERY_MS = 5000;

export class Progress {
  private readonly began: number;
  private lastDraw = 0;
  private drawn = false;

  /** `clock`: milliseconds, Date.now unless a test drives the time */
  constructor(private readonly total: number, private readonly out: ProgressOutput, private readonly label = 'replay', private readonly clock: () => number = Date.now) {
    this.began = clock();
  }

  update(done: number): void {
    const now = this.clock();
    const tty = this.out.isTTY === true;
    if (now - this.lastDraw < (tty ? REDRAW_MS : LINE_EVERY_MS)) return;
    this.lastDraw = now;
    if (!tty && now - this.began < LINE_EVERY_MS) return;
    this.out.write(tty ? `\r${this.bar(done, now)}\x1b[K` : `${this.line(done, now)}\n`);
    this.drawn = tty;
  }

  /** Clears the bar (the summary follows on a clean line). */
  end(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private figures(done: number, now: number): { rate: number; eta: string; pct: number } {
    const seconds = Math.max((now - this.began) / 1000, 0.001);
    const rate = done / seconds;
    const left = Math.max(this.total - done, 0);
    const eta = rate > 0 ? formatSeconds(left / rate) : '?';
    return { rate, eta, pct: this.total > 0 ? Math.min(done / this.total, 1) : 1 };
  }

  private bar(done: number, now: number): string {
    const { rate, eta, pct } = this.figures(done, now);
    const text = ` ${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} records  ${Math.round(rate).toLocaleString('en-US')}/s  ETA ${eta}`;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - text.length - this.label.length - 4));
    const filled = Math.round(pct * width);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
  }

  private line(done: number, now: number): string {
    const { rate, eta, pct } = this.figures(done, now);
    return `${this.label}: ${done}/${this.total} records (${Math.floor(pct * 100)}%), ${Math.round(rate)} records/s, ETA ${eta}`;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
