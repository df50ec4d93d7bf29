// Starts throwaway real redis-server processes on 127.0.0.1 (no persistence, each in its own temp dir) for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';

export interface RunningRedis {
  url: string;
  port: number;
  /** SIGTERM by default; SIGKILL is a crash (fault tests): either way the data is gone, as nothing is persisted. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** One redis-server process (a data node, a cluster node or a sentinel) and the scratch dir it runs in. */
export interface RedisProcess {
  port: number;
  dir: string;
  /** The tail of its output, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 10_000;
const POLL_EVERY_MS = 50;
const STOP_WITHIN_MS = 5_000;
const LOG_TAIL_CHARS = 4_000;

export const REDIS_INSTALL_HINT =
  'redis-server was not found on PATH. The store and end-to-end tests run against a real Redis: ' +
  'install it (Debian/Ubuntu: apt-get install redis-server) and run the tests again.';

/** The redis-server binary on PATH, or null. */
export async function findRedisServer(): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return null;
}

/**
 * For suites that start their own servers: true when redis-server is installed. Without it the suite is skipped
 * with a warning, except under CI=true, where the missing tool fails the run.
 */
export async function redisServerAvailable(): Promise<boolean> {
  if ((await findRedisServer()) !== null) return true;
  if (process.env.CI) throw new Error(REDIS_INSTALL_HINT);
  console.warn(`Redis Sentinel and Cluster tests skipped: ${REDIS_INSTALL_HINT}`);
  return false;
}

/** One PING over a raw socket: true when the server answers +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** Exited, or never started (spawn failed and left no pid). */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitUntilReady(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`redis-server exited before answering PING:\n${log()}`);
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${READY_WITHIN_MS} ms:\n${log()}`);
}

/**
 * Spawns `redis-server [configFile] --bind 127.0.0.1 --port <port> …extraArgs` in a fresh temp dir and waits until
 * it answers PING. `configFile(dir, port)` writes a config file first and returns its path (sentinels need one).
 */
export async function spawnRedisProcess(options: {
  port?: number;
  args?: string[];
  configFile?: (dir: string, port: number) => Promise<string>;
}): Promise<RedisProcess> {
  const binary = await findRedisServer();
  if (!binary) throw new Error(REDIS_INSTALL_HINT);
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'bi-scim-redis-'));
  const config = options.configFile ? [await options.configFile(dir, port)] : [];
  const args = [...config, '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  child.once('error', (err) => keepTail(Buffer.from(`\n${err.message}`)));

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!exited(child)) {
      child.kill(signal);
      if (!(await waitForExit(child, STOP_WITHIN_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_WITHIN_MS);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(child, port, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, dir, log: () => output, stop };
}

/** Stops every process, even when some fail to stop. */
export async function stopAll(processes: ReadonlyArray<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await Promise.allSettled(processes.map((p) => p?.stop()));
}

/**
 * Spawns a standalone redis-server on 127.0.0.1. Pass `port` to come back on the port of a server stopped earlier
 * (outage tests); otherwise a free port is chosen.
 */
export async function startRedis(options: { port?: number } = {}): Promise<RunningRedis> {
  const server = await spawnRedisProcess({ port: options.port });
  return { url: `redis://127.0.0.1:${server.port}`, port: server.port, stop: server.stop };
}

/** Polls `probe` every 100 ms until it answers true; throws `what` after `withinMs`. */
export async function waitFor(what: string, withinMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${withinMs} ms`);
}

/** The URL of database `db` on the shared test Redis (inject('redisUrl')), emptied first: a suite's own, from a clean start. */
export async function emptyDatabase(sharedUrl: string, db: number): Promise<string> {
  const url = `${sharedUrl}/${db}`;
  const redis = new Redis(url);
  await redis.flushdb();
  redis.disconnect();
  return url;
}
