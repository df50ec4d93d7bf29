// Load generation with undici: an open-loop fixed-rate generator, a closed-loop saturation run, a bounded worker pool.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

export interface Endpoint {
  url: string;
  headers: Record<string, string>;
}

/** One HTTP call; resolves with its status. Bodies are read to the end so connections are reused. */
export type Send = () => Promise<number>;

export interface LatencyResult {
  requests: number;
  errors: number;
  seconds: number;
  /** Sorted latencies in milliseconds. */
  latencies: number[];
  /** The largest delay between when a request was due and when it was sent: the generator's own lag. */
  maxLagMs: number;
}

export interface ThroughputResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
}

const MAX_CONNECTIONS = 256;
const DRAIN_WITHIN_MS = 30_000;

const agent = new Agent({ connections: MAX_CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 });

/** A Send that GETs one URL with fixed headers. */
export function getter({ url, headers }: Endpoint): Send {
  return async () => {
    const res = await request(url, { method: 'GET', headers, dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  };
}

/** Nearest-rank percentile of a sorted array (q in 0..1). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

interface Stream {
  send: Send;
  latencies: number[];
  errors: number;
}

function fire(stream: Stream, inFlight: Set<Promise<void>>): void {
  const sent = performance.now();
  const done: Promise<void> = stream
    .send()
    .then(
      (status) => (isOk(status) ? void stream.latencies.push(performance.now() - sent) : void stream.errors++),
      () => void stream.errors++,
    )
    .finally(() => inFlight.delete(done));
  inFlight.add(done);
}

/**
 * Open loop: request i of every stream is due at i/rate seconds whatever happened before, so a slow server meets
 * more concurrent requests instead of fewer (no coordinated omission). Streams are staggered evenly inside each
 * interval: compared streams meet the same stretches of a shared machine without queueing behind each other at a
 * server that serialises work (one gunicorn worker). Bounded by rate × seconds per stream.
 */
export async function openLoop(sends: Send[], rate: number, seconds: number): Promise<LatencyResult[]> {
  const total = Math.floor(rate * seconds);
  const interval = 1000 / rate;
  const streams: Stream[] = sends.map((send) => ({ send, latencies: [], errors: 0 }));
  const inFlight = new Set<Promise<void>>();
  let maxLagMs = 0;
  const started = performance.now();
  for (let i = 0; i < total * streams.length; i++) {
    const due = started + (i * interval) / streams.length;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait - 0.5);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    fire(streams[i % streams.length], inFlight);
  }
  await Promise.race([Promise.all(inFlight), sleep(DRAIN_WITHIN_MS, undefined, { ref: false })]);
  const elapsed = (performance.now() - started) / 1000;
  // Requests still unanswered after the drain count as errors.
  return streams.map((s) => ({
    requests: total,
    errors: total - s.latencies.length,
    seconds: elapsed,
    latencies: s.latencies.sort((a, b) => a - b),
    maxLagMs,
  }));
}

/** Closed loop: `concurrency` callers, each sending its next request when the last one answers, for `seconds`. */
export async function closedLoop(send: Send, concurrency: number, seconds: number): Promise<ThroughputResult> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let requests = 0;
  let errors = 0;
  const caller = async () => {
    while (performance.now() < deadline) {
      const ok = await send().then(isOk, () => false);
      if (ok) requests++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - started) / 1000;
  return { requests, errors, seconds: elapsed, perSecond: requests / elapsed };
}

export interface PoolOptions<T> {
  concurrency: number;
  /** The whole run fails after this long, whatever is left. */
  timeoutMs: number;
  /** Chooses the next runnable task among those left (default: the next in order); null means "none runnable yet". */
  pick?: (left: T[]) => number | null;
}

/** Runs tasks with at most `concurrency` at a time; `pick` lets callers keep two tasks on one resource apart. */
export async function runPool<T>(tasks: T[], run: (task: T) => Promise<void>, { concurrency, timeoutMs, pick }: PoolOptions<T>): Promise<void> {
  const left = [...tasks];
  // Without `pick` the tasks go in order from a cursor: a splice per task is quadratic over 100,000 people.
  let cursor = 0;
  const take = (): { task: T } | null => {
    if (!pick) return { task: left[cursor++] };
    const index = pick(left);
    return index === null ? null : { task: left.splice(index, 1)[0] };
  };
  const deadline = performance.now() + timeoutMs;
  let failure: unknown = null;
  const worker = async () => {
    while (left.length > cursor && failure === null) {
      if (performance.now() > deadline) {
        failure ??= new Error(`the pool did not finish within ${timeoutMs} ms (${left.length - cursor} tasks left)`);
        break;
      }
      const taken = take();
      if (taken === null) {
        await sleep(2);
        continue;
      }
      await run(taken.task).catch((err: unknown) => void (failure ??= err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  if (failure !== null) throw failure;
}

export async function closeLoad(): Promise<void> {
  await agent.close();
}

export { agent as loadAgent };
