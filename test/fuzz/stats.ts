// What a fuzz run saw: answers by status class and the slowest requests, printed after each property.
import { describeRequest, type FuzzAnswer, type FuzzRequest } from './exchange.ts';

interface Slow {
  ms: number;
  status: number;
  request: string;
}

const KEEP_SLOWEST = 3;

export class FuzzStats {
  requests = 0;
  readonly byClass: Record<string, number> = {};
  slowest: Slow[] = [];

  record(request: FuzzRequest, answer: FuzzAnswer): void {
    this.requests++;
    const statusClass = `${Math.floor(answer.status / 100)}xx`;
    this.byClass[statusClass] = (this.byClass[statusClass] ?? 0) + 1;
    if (this.slowest.length < KEEP_SLOWEST || answer.ms > this.slowest[this.slowest.length - 1].ms) {
      // Described only when kept: describing every request would cost more than sending it.
      this.slowest = [...this.slowest, { ms: answer.ms, status: answer.status, request: describeRequest(request) }]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, KEEP_SLOWEST);
    }
  }

  /** Folds another run's figures into these (a suite's total over its properties). */
  add(other: FuzzStats): void {
    this.requests += other.requests;
    for (const [k, v] of Object.entries(other.byClass)) this.byClass[k] = (this.byClass[k] ?? 0) + v;
    this.slowest = [...this.slowest, ...other.slowest].sort((a, b) => b.ms - a.ms).slice(0, KEEP_SLOWEST);
  }

  /** One line per figure, for the run's output. */
  summary(title: string): string {
    const classes = Object.entries(this.byClass)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const slow = this.slowest.map((s) => `  ${s.ms.toFixed(1)} ms → ${s.status}: ${s.request.slice(0, 400)}`).join('\n');
    return `${title}: ${this.requests} requests (${classes}); slowest:\n${slow}`;
  }
}
