// The processes a benchmark measures: the Metabase double and bi-scim, each in its own process, with RSS and CPU readings.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../test/support/ports.ts';
import type { DoubleSummary, SeedRequest, SeedResult } from './double-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_WITHIN_MS = 30_000;
const STOP_WITHIN_MS = 15_000;
const CLOCK_TICKS_PER_SECOND = 100;

/** What the image runs (`npm run build` output), compiled into bench/dist so the repository's own dist/ is left alone. */
export const BUILT_ENTRY = 'bench/dist/main.js';
/** What `npm start` runs: the TypeScript source through Node's type stripping. */
export const SOURCE_ENTRY = 'src/main.ts';

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

export interface SidecarProcess {
  url: string;
  origin: string;
  metricsUrl: string;
  pid: number;
  logFile: string;
  stop(): Promise<number | null>;
}

/** Sends SIGTERM, then SIGKILL if the process is still there after STOP_WITHIN_MS. */
function stopChild(child: ChildProcess): Promise<number | null> {
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

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the double did not start in time')), START_WITHIN_MS).unref());
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the double exited with ${code}`))));
  const line = new Promise<string>((resolve) => lines.once('line', resolve));
  try {
    return await Promise.race([line, timeout, exited]);
  } finally {
    lines.close();
  }
}

export async function startDouble(delayMs: number): Promise<DoubleProcess> {
  const child = spawn(process.execPath, ['bench/double-server.ts', '--delay', String(delayMs)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const { url, control, apiKey } = JSON.parse(await firstLine(child)) as { url: string; control: string; apiKey: string };
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

async function waitForHealth(origin: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_WITHIN_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bi-scim exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    if (await fetch(`${origin}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bi-scim did not become healthy within ${START_WITHIN_MS} ms`);
}

/** Compiles src/ as `npm run build` does, into bench/dist. */
export async function buildSidecar(): Promise<void> {
  const outDir = join(ROOT, 'bench', 'dist');
  await rm(outDir, { recursive: true, force: true });
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: ROOT });
}

export interface SidecarOptions {
  entry: string;
  /** NODE_OPTIONS for the sidecar, to try V8 settings against the same load. */
  nodeOptions?: string;
  /** More environment for the sidecar, e.g. MALLOC_ARENA_MAX to try allocator settings. */
  env?: Record<string, string>;
}

/**
 * `node <entry> serve` with its log at info level (one line per request, as in production) going to a file,
 * so neither a pipe nor the bench process pays for reading it.
 */
export async function startSidecar(env: Record<string, string>, { entry, nodeOptions, env: extraEnv }: SidecarOptions): Promise<SidecarProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const logDir = await mkdtemp(join(tmpdir(), 'bi-scim-bench-'));
  const logFile = join(logDir, 'sidecar.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [entry, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...extraEnv, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), BI_SCIM_HOST: '127.0.0.1', BI_SCIM_PORT: String(port), BI_SCIM_METRICS_PORT: String(metricsPort), BI_SCIM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const code = await stopChild(child);
    await rm(logDir, { recursive: true, force: true });
    return code;
  };
  try {
    await waitForHealth(origin, child, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(logDir, { recursive: true, force: true });
    throw err;
  }
  return { url: `${origin}/scim/v2`, origin, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, pid: child.pid!, logFile, stop };
}

/** Resident set size in bytes (VmRSS), the figure the memory goal is about. */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
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
