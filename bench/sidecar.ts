// bi-scim as the image runs it: the build output, the Dockerfile's environment, a memory cgroup with the chart's limit.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../test/support/ports.ts';
import { createMemoryCgroup, type MemoryCgroup } from './cgroup.ts';
import { probeArguments } from './memory-probe.ts';
import { stopChild } from './processes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_WITHIN_MS = 30_000;

/**
 * What the image runs (`npm run build` output), laid out as in the image (dist/ beside package.json, which bi-scim
 * reads its version from) under bench/image, so the repository's own dist/ is left alone.
 */
export const BUILT_ENTRY = 'bench/image/dist/main.js';
/** What `npm start` runs: the TypeScript source through Node's type stripping. */
export const SOURCE_ENTRY = 'src/main.ts';

export interface SidecarProcess {
  url: string;
  origin: string;
  metricsUrl: string;
  pid: number;
  logFile: string;
  memory: SidecarMemory;
  /** True once the process has ended (an OOM kill included). */
  exited(): boolean;
  stop(): Promise<number | null>;
}

async function waitForHealth(origin: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_WITHIN_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bi-scim exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    if (
      await fetch(`${origin}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bi-scim did not become healthy within ${START_WITHIN_MS} ms`);
}

/** Bundles src/ with `npm run build` into bench/image/dist, with the package.json the image holds beside it. */
export async function buildSidecar(): Promise<void> {
  const image = join(ROOT, 'bench', 'image');
  await rm(image, { recursive: true, force: true });
  await promisify(execFile)('npm', ['run', '--silent', 'build', '--', '--dir', join(image, 'dist')], { cwd: ROOT });
  await copyFile(join(ROOT, 'package.json'), join(image, 'package.json'));
}

export interface SidecarOptions {
  entry: string;
  /** NODE_OPTIONS for the sidecar instead of the image's, to try V8 settings against the same load. */
  nodeOptions?: string;
  /** More environment for the sidecar, e.g. MALLOC_ARENA_MAX to try allocator settings. */
  env?: Record<string, string>;
  /** The hard memory limit of the cgroup the sidecar runs in (the chart's `limits.memory`); null runs it without. */
  memoryLimitBytes: number | null;
}

/** Where the sidecar's memory is kept: its cgroup, or why it has none. */
export interface SidecarMemory {
  cgroup: MemoryCgroup | null;
  unavailable: string | null;
  probeFile: string;
}

/** The `ENV NAME=value …` lines of the Dockerfile: the sidecar gets the image's environment (NODE_OPTIONS too). */
export function imageEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    for (const [, name, quoted, bare] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) env[name] = quoted ?? bare;
  }
  return env;
}

async function sidecarCgroup(limitBytes: number | null): Promise<{ cgroup: MemoryCgroup | null; unavailable: string | null }> {
  if (limitBytes === null) return { cgroup: null, unavailable: 'no memory limit asked for' };
  const made = await createMemoryCgroup(limitBytes);
  return 'unavailable' in made ? { cgroup: null, unavailable: made.unavailable } : { cgroup: made, unavailable: null };
}

/**
 * `node <entry> serve` as the image runs it (its ENV, inside a memory cgroup with the chart's limit when the
 * machine allows), its log at info level (one line per request, as in production) going to a file so neither a
 * pipe nor the bench process pays for reading it, and the memory probe loaded.
 */
export async function startSidecar(
  env: Record<string, string>,
  { entry, nodeOptions, env: extraEnv, memoryLimitBytes }: SidecarOptions,
): Promise<SidecarProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const logDir = await mkdtemp(join(tmpdir(), 'bi-scim-bench-'));
  const logFile = join(logDir, 'sidecar.log');
  const probe = probeArguments(join(logDir, 'probe.jsonl'));
  const { cgroup, unavailable } = await sidecarCgroup(memoryLimitBytes);
  const log = openSync(logFile, 'a');
  const launch = cgroup
    ? cgroup.wrap(process.execPath, [...probe.execArgv, entry, 'serve'])
    : { command: process.execPath, args: [...probe.execArgv, entry, 'serve'] };
  const child = spawn(launch.command, launch.args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...imageEnvironment(),
      ...extraEnv,
      ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
      ...probe.env,
      BI_SCIM_HOST: '127.0.0.1',
      BI_SCIM_PORT: String(port),
      BI_SCIM_METRICS_PORT: String(metricsPort),
      BI_SCIM_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const cleanUp = async () => {
    await cgroup?.remove();
    await rm(logDir, { recursive: true, force: true });
  };
  const stop = async () => {
    const code = await stopChild(child);
    await cleanUp();
    return code;
  };
  try {
    await waitForHealth(origin, child, logFile);
  } catch (err) {
    await stopChild(child);
    await cleanUp();
    throw err;
  }
  const memory = { cgroup, unavailable, probeFile: join(logDir, 'probe.jsonl') };
  return {
    url: `${origin}/scim/v2`,
    origin,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid!,
    logFile,
    memory,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop,
  };
}
