// Figure 1: what bi-scim adds to one read (GET /Users/{id}) over the same read made directly against the BI tool.
import { closedLoop, openLoop, percentile, type LatencyResult, type Send } from './load.ts';
import { cpuSeconds, metricTotal } from './processes.ts';

export interface OverheadPlan {
  /** Open-loop rate for the latency comparison (requests per second). */
  rate: number;
  /** Seconds of measured open-loop load; both sides are measured at once. */
  seconds: number;
  saturationSeconds: number;
  /** Closed-loop caller counts to sweep (none: no sweep). */
  saturationLevels: number[];
}

export interface LatencySummary {
  requests: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  maxLagMs: number;
}

export interface SaturationLevel {
  concurrency: number;
  directPerSecond: number;
  viaBiScimPerSecond: number;
  ratio: number;
  errors: number;
  /** CPU time per request while saturated: where a 2-core machine's capacity goes. */
  cpuMicrosPerRequest: { biScim: number; doubleViaBiScim: number; doubleDirect: number; loadGenerator: number };
  /** Share of one core each process used during the bi-scim run. */
  coresUsed: { biScim: number; double: number; loadGenerator: number };
}

export interface InsideBiScim {
  /** Time from bi-scim's first middleware to its answer. */
  requestMs: number;
  /** The BI calls, as bi-scim's HTTP client timed them, per SCIM request. */
  biCallsMs: number;
  biCallsPerRequest: number;
}

export interface OverheadResult {
  rate: number;
  direct: LatencySummary;
  viaBiScim: LatencySummary;
  addedP50Ms: number;
  addedP99Ms: number;
  /** Means from bi-scim's own metrics during the latency run: where the added time goes. */
  insideBiScim: InsideBiScim;
  /** Closed-loop throughput (no goal: a Node proxy's floor is the bare proxy's CPU, figure 1b); empty in --quick. */
  saturation: SaturationLevel[];
}

export interface OverheadSubject {
  direct: Send;
  viaBiScim: Send;
  sidecarPid: number;
  metricsUrl: string;
  /** The BI tool's process, when the bench started it (the real Superset runs in the harness's process group). */
  doublePid: number | null;
}

const WARM_UP_SECONDS = 1;
const round2 = (n: number) => Math.round(n * 100) / 100;

function summarize(runs: LatencyResult[]): LatencySummary {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    requests: runs.reduce((n, r) => n + r.requests, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    p50Ms: round2(percentile(latencies, 0.5)),
    p90Ms: round2(percentile(latencies, 0.9)),
    p99Ms: round2(percentile(latencies, 0.99)),
    maxMs: round2(latencies[latencies.length - 1] ?? Number.NaN),
    maxLagMs: round2(Math.max(...runs.map((r) => r.maxLagMs))),
  };
}

const REQUEST_METRIC = 'bi_scim_http_request_duration_seconds';
const BI_CALL_METRIC = 'bi_scim_bi_call_duration_seconds';

async function readInside(metricsUrl: string): Promise<number[]> {
  const names = [`${REQUEST_METRIC}_sum`, `${REQUEST_METRIC}_count`, `${BI_CALL_METRIC}_sum`, `${BI_CALL_METRIC}_count`];
  return Promise.all(names.map((name) => metricTotal(metricsUrl, name)));
}

function insideBetween(before: number[], after: number[]): InsideBiScim {
  const [requestSeconds, requests, biSeconds, biCalls] = after.map((v, i) => v - before[i]);
  return {
    requestMs: round2((requestSeconds / requests) * 1000),
    biCallsMs: round2((biSeconds / requests) * 1000),
    biCallsPerRequest: round2(biCalls / requests),
  };
}

/** The direct and the proxied reads run at once, interleaved, so both meet the same stretches of a shared machine. */
async function measureLatency(
  subject: OverheadSubject,
  plan: OverheadPlan,
): Promise<{ direct: LatencySummary; viaBiScim: LatencySummary; insideBiScim: InsideBiScim }> {
  await openLoop([subject.direct, subject.viaBiScim], plan.rate, WARM_UP_SECONDS);
  const before = await readInside(subject.metricsUrl);
  const [direct, via] = await openLoop([subject.direct, subject.viaBiScim], plan.rate, plan.seconds);
  const insideBiScim = insideBetween(before, await readInside(subject.metricsUrl));
  return { direct: summarize([direct]), viaBiScim: summarize([via]), insideBiScim };
}

interface Saturated {
  perSecond: number;
  errors: number;
  /** CPU µs per request for each pid, then for this (load-generating) process. */
  cpuMicros: number[];
  cores: number[];
}

async function saturate(send: Send, maybePids: Array<number | null>, concurrency: number, seconds: number): Promise<Saturated> {
  const pids = maybePids.filter((pid): pid is number => pid !== null);
  await closedLoop(send, concurrency, 1);
  const before = pids.map(cpuSeconds);
  const ownBefore = process.cpuUsage();
  const result = await closedLoop(send, concurrency, seconds);
  const own = process.cpuUsage(ownBefore);
  const measured = pids.map((pid, i) => cpuSeconds(pid) - before[i]);
  // A process not measured reads as NaN, so the positions stay those of maybePids, then this process.
  const used = [...maybePids.map((pid) => (pid === null ? Number.NaN : measured[pids.indexOf(pid)])), (own.user + own.system) / 1e6];
  return {
    perSecond: result.perSecond,
    errors: result.errors,
    cpuMicros: used.map((cpu) => Math.round((cpu / Math.max(1, result.requests)) * 1e6)),
    cores: used.map((cpu) => round2(cpu / result.seconds)),
  };
}

async function saturationLevel(subject: OverheadSubject, concurrency: number, seconds: number): Promise<SaturationLevel> {
  const direct = await saturate(subject.direct, [subject.doublePid], concurrency, seconds);
  const via = await saturate(subject.viaBiScim, [subject.sidecarPid, subject.doublePid], concurrency, seconds);
  return {
    concurrency,
    directPerSecond: Math.round(direct.perSecond),
    viaBiScimPerSecond: Math.round(via.perSecond),
    ratio: round2(via.perSecond / direct.perSecond),
    errors: direct.errors + via.errors,
    cpuMicrosPerRequest: { biScim: via.cpuMicros[0], doubleViaBiScim: via.cpuMicros[1], doubleDirect: direct.cpuMicros[0], loadGenerator: via.cpuMicros[2] },
    coresUsed: { biScim: via.cores[0], double: via.cores[1], loadGenerator: via.cores[2] },
  };
}

export async function measureOverhead(subject: OverheadSubject, plan: OverheadPlan): Promise<OverheadResult> {
  const { direct, viaBiScim, insideBiScim } = await measureLatency(subject, plan);
  const saturation: SaturationLevel[] = [];
  for (const concurrency of plan.saturationLevels) saturation.push(await saturationLevel(subject, concurrency, plan.saturationSeconds));
  return {
    rate: plan.rate,
    direct,
    viaBiScim,
    addedP50Ms: round2(viaBiScim.p50Ms - direct.p50Ms),
    addedP99Ms: round2(viaBiScim.p99Ms - direct.p99Ms),
    insideBiScim,
    saturation,
  };
}
