// The bench's helper processes (the Metabase double, the bare proxy) and readings of any process: RSS, CPU, metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DoubleSummary, SeedRequest, SeedResult } from './double-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_WITHIN_MS = 30_000;
const STOP_WITHIN_MS = 15_000;
const CLOCK_TICKS_PER_SECOND = 100;

export interface CallRecord {
  method: string;
  path: string;
  query: string;
  status: number;
}

export interface DoubleProcess {
  url: string;
  apiKey: string;
  pid: number;
  count(): Promise<number>;
  callsFrom(index: number): Promise<CallRecord[]>;
  seed(request: SeedRequest): Promise<SeedResult>;
  summary(): Promise<DoubleSummary>;
  stop(): Promise<void>;
}

/** Sends SIGTERM, then SIGKILL if the process is still there after STOP_WITHIN_MS. */
export function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** The first stdout line of a helper process: where it listens, as JSON. */
async function announcement<T>(child: ChildProcess, name: string): Promise<T> {
  const lines = createInterface({ input: child.stdout! });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${name} did not start in time`)), START_WITHIN_MS).unref());
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`))));
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  try {
    return JSON.parse(await Promise.race([line, timeout, exited])) as T;
  } finally {
    lines.close();
  }
}

/** A bench helper (bench/<script>) in a process of its own; it ends when its stdin closes, with the bench. */
async function startHelper<T>(script: string, args: string[]): Promise<{ child: ChildProcess; announced: T }> {
  const child = spawn(process.execPath, [join('bench', script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    return { child, announced: await announcement<T>(child, script) };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

export async function startDouble(delayMs: number): Promise<DoubleProcess> {
  const { child, announced } = await startHelper<{ url: string; control: string; apiKey: string }>('double-server.ts', ['--delay', String(delayMs)]);
  const { url, control, apiKey } = announced;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${control}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`double control ${method} ${path}: ${answer.error}`);
    return answer;
  };
  return {
    url,
    apiKey,
    pid: child.pid!,
    count: async () => (await call<{ count: number }>('GET', '/count')).count,
    callsFrom: async (index) => (await call<{ calls: CallRecord[] }>('GET', `/calls?from=${index}`)).calls,
    seed: (request) => call<SeedResult>('POST', '/seed', request),
    summary: () => call<DoubleSummary>('GET', '/summary'),
    stop: async () => void (await stopChild(child)),
  };
}

export interface BareProxyProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The reference for CPU per request: bench/bare-proxy.ts in front of `upstream`. */
export async function startBareProxy(upstream: string): Promise<BareProxyProcess> {
  const { child, announced } = await startHelper<{ url: string }>('bare-proxy.ts', ['--upstream', upstream]);
  return { url: announced.url, pid: child.pid!, stop: async () => void (await stopChild(child)) };
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Resident set size in bytes (VmRSS), the figure the memory goal is about. */
export function residentBytes(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** The kernel's high-water mark of VmRSS since the process started: a peak no sampling interval can miss. */
export function peakResidentBytes(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** User plus system CPU seconds the process has used so far (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces, so fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export interface MetricLine {
  labels: Record<string, string>;
  value: number;
}

/** Every sample of one Prometheus metric, with its labels. */
export async function metricLines(metricsUrl: string, name: string): Promise<MetricLine[]> {
  const text = await (await fetch(metricsUrl)).text();
  const pattern = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`);
  const lines: MetricLine[] = [];
  for (const line of text.split('\n')) {
    const match = pattern.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    lines.push({ labels, value: Number(match[2]) });
  }
  return lines;
}

/** One metric summed over all its label sets, e.g. `bi_scim_nodejs_heap_size_used_bytes`. */
export async function metricTotal(metricsUrl: string, name: string): Promise<number> {
  return (await metricLines(metricsUrl, name)).reduce((sum, line) => sum + line.value, 0);
}
