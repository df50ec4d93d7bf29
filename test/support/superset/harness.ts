// Starts a throwaway real Apache Superset (SQLite metadata DB, 127.0.0.1, a free port) from the venv install.sh made.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { constants, openSync, closeSync } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface RunningSuperset {
  url: string;
  username: string;
  password: string;
  /** Superset's SECRET_KEY, which also signs its JWTs: tests mint tokens with it. */
  secretKey: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The venv install.sh printed; defaults to $BI_SCIM_SUPERSET_VENV, then install.sh's own path. */
  venv?: string;
  /** JWT access-token lifetime; short lifetimes make every run exercise token renewal. */
  tokenSeconds?: number;
  /** False starts Superset without the FAB security REST API, as an operator who forgot the flag would. */
  securityApi?: boolean;
}

const HERE = import.meta.dirname;
const CONFIG_PATH = join(HERE, 'superset_config.py');
const INSTALL_SCRIPT = join(HERE, 'install.sh');
const ADMIN_USERNAME = 'admin';
const CLI_TIMEOUT_MS = 300_000;
const READY_WITHIN_MS = 120_000;
const POLL_EVERY_MS = 250;
const STOP_WITHIN_MS = 10_000;
const LOG_TAIL_CHARS = 4_000;

const run = promisify(execFile);

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The venv to use, or null when Superset is not installed (install.sh names its default path itself). */
export async function findSupersetVenv(env: Record<string, string | undefined> = process.env): Promise<string | null> {
  const venv = env.BI_SCIM_SUPERSET_VENV || (await run('bash', [INSTALL_SCRIPT, '--print-path'])).stdout.trim();
  return (await isExecutable(join(venv, 'bin', 'superset'))) && (await isExecutable(join(venv, 'bin', 'gunicorn'))) ? venv : null;
}

function supersetEnv(venv: string, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(venv, 'bin')}:${process.env.PATH ?? ''}`,
    SUPERSET_HOME: home,
    SUPERSET_CONFIG_PATH: CONFIG_PATH,
    SUPERSET_SECRET_KEY: randomBytes(42).toString('base64'),
    FLASK_APP: 'superset',
    TZ: 'UTC',
    ...extra,
  };
  // Production mode would turn Superset's rate limits on (superset-api.md §2.8).
  delete env.SUPERSET_ENV;
  return env;
}

async function runSupersetCli(venv: string, home: string, args: string[]): Promise<void> {
  await run(join(venv, 'bin', 'superset'), args, { cwd: home, env: supersetEnv(venv, home), timeout: CLI_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The initialised metadata DB (migrated, admin created, roles synced), built once per venv and config: copying it
 * spares each run the slow `db upgrade` and `init`. Built in a scratch folder and renamed into place, so a run that
 * dies half-way never leaves a broken template behind.
 */
async function ensureTemplateDb(venv: string): Promise<{ db: string; password: string }> {
  const configHash = createHash('sha256')
    .update(await readFile(CONFIG_PATH))
    .digest('hex')
    .slice(0, 12);
  const dir = join(venv, `.bi-scim-template-${configHash}`);
  const built = async () => {
    const { password } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { password: string };
    return { db: join(dir, 'superset.db'), password };
  };
  const existing = await built().catch(() => null);
  if (existing) return existing;
  const scratch = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(scratch, { recursive: true });
  const password = `${randomBytes(18).toString('base64url')}-Aa1!`;
  try {
    await runSupersetCli(venv, scratch, ['db', 'upgrade']);
    await runSupersetCli(venv, scratch, [
      'fab',
      'create-admin',
      '--username',
      ADMIN_USERNAME,
      '--firstname',
      'Superset',
      '--lastname',
      'Admin',
      '--email',
      'admin@example.com',
      '--password',
      password,
    ]);
    await runSupersetCli(venv, scratch, ['init']);
    await writeFile(join(scratch, 'credentials.json'), JSON.stringify({ username: ADMIN_USERNAME, password }), { mode: 0o600 });
    // Loses harmlessly to a concurrent run that renamed its own template into place first.
    await rename(scratch, dir).catch(() => undefined);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return built();
}

async function readLogTail(path: string): Promise<string> {
  return (await readFile(path, 'utf8').catch(() => '')).slice(-LOG_TAIL_CHARS);
}

async function waitUntilReady(url: string, child: ChildProcess, username: string, password: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Superset exited (${child.exitCode ?? child.signalCode}) while starting`);
    const healthy = await fetch(`${url}/health`).then(
      async (r) => (await r.arrayBuffer(), r.ok),
      () => false,
    );
    if (healthy) {
      // /health answers before the app has finished its first request setup; a real login is the readiness proof.
      const login = await fetch(`${url}/api/v1/security/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, provider: 'db' }),
      }).then(
        async (r) => (await r.arrayBuffer(), r.ok),
        () => false,
      );
      if (login) return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
  throw new Error(`Superset was not ready within ${READY_WITHIN_MS} ms`);
}

function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, STOP_WITHIN_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      // gunicorn runs in its own process group: the master and its worker stop together.
      process.kill(-pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

export async function startSuperset({ venv: venvOption, tokenSeconds = 900, securityApi = true }: StartOptions = {}): Promise<RunningSuperset> {
  const venv = venvOption ?? (await findSupersetVenv());
  if (!venv) throw new Error('Apache Superset is not installed: run bash test/support/superset/install.sh');
  const template = await ensureTemplateDb(venv);
  const home = await mkdtemp(join(tmpdir(), 'bi-scim-superset-'));
  await copyFile(template.db, join(home, 'superset.db'));
  const port = await freePort();
  const logPath = join(home, 'superset.log');
  const log = openSync(logPath, 'a');
  const secretKey = randomBytes(42).toString('base64');
  const env = supersetEnv(venv, home, {
    SUPERSET_SECRET_KEY: secretKey,
    BI_SCIM_SUPERSET_TOKEN_SECONDS: String(tokenSeconds),
    BI_SCIM_SUPERSET_SECURITY_API: securityApi ? '1' : '0',
  });
  // One worker: SQLite does not take concurrent writers from several processes ("database is locked").
  const args = [
    '-w',
    '1',
    '-k',
    'gthread',
    '--threads',
    '8',
    '-b',
    `127.0.0.1:${port}`,
    '--timeout',
    '120',
    '--graceful-timeout',
    '5',
    'superset.app:create_app()',
  ];
  const child = spawn(join(venv, 'bin', 'gunicorn'), args, { cwd: home, env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(child);
    await rm(home, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, ADMIN_USERNAME, template.password);
  } catch (err) {
    const tail = await readLogTail(logPath);
    await stop();
    throw new Error(`${(err as Error).message}\n--- superset log (tail) ---\n${tail}`, { cause: err });
  }
  return { url, username: ADMIN_USERNAME, password: template.password, secretKey, stop };
}
