// Starts a throwaway real redis-server on 127.0.0.1 (no persistence, its own temp dir) for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './ports.ts';

export interface RunningRedis {
  url: string;
  port: number;
  /** SIGTERM by default; SIGKILL is a crash (fault tests): either way the data is gone, as nothing is persisted. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const READY_WITHIN_MS = 10_000;
const POLL_EVERY_MS = 50;
const STOP_WITHIN_MS = 5_000;
const LOG_TAIL_CHARS = 4_000;

async function findRedisServer(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  throw new Error(
    'redis-server was not found on PATH. The store and end-to-end tests run against a real Redis: ' +
      'install it (Debian/Ubuntu: apt-get install redis-server) and run the tests again.',
  );
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
 * Spawns redis-server on 127.0.0.1. Pass `port` to come back on the port of a server stopped earlier
 * (outage tests); otherwise a free port is chosen.
 */
export async function startRedis(options: { port?: number } = {}): Promise<RunningRedis> {
  const binary = await findRedisServer();
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'bi-scim-redis-'));
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir];
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
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
