// Starts the real bi-scim process (`node src/main.ts serve`) on 127.0.0.1 for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SidecarProcess {
  /** The SCIM base URL, e.g. http://127.0.0.1:1234/scim/v2 */
  url: string;
  origin: string;
  metricsUrl: string;
  logs: string[];
  child: ChildProcess;
  /** Sends SIGTERM and waits (bounded) for the exit code. */
  stop(): Promise<number | null>;
}

async function waitForHealth(origin: string, child: ChildProcess, logs: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bi-scim exited with ${child.exitCode}:\n${logs.join('\n')}`);
    const ok = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bi-scim did not become healthy within 30 s:\n${logs.join('\n')}`);
}

/**
 * `command` defaults to the source entry point; the production test passes the built one. A `BI_SCIM_PORT` in
 * `env` is kept, so a killed sidecar can come back where its clients still send requests.
 */
export async function startSidecarProcess(
  env: Record<string, string>,
  command: string[] = [process.execPath, 'src/main.ts', 'serve'],
): Promise<SidecarProcess> {
  const [port, metricsPort] = [env.BI_SCIM_PORT ? Number(env.BI_SCIM_PORT) : await freePort(), await freePort()];
  const basePath = env.BI_SCIM_BASE_PATH ?? '/scim/v2';
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    // No grace period by default: a test's sidecar has no load balancer to wait for.
    env: {
      PATH: process.env.PATH,
      BI_SCIM_HOST: '127.0.0.1',
      BI_SCIM_PORT: String(port),
      BI_SCIM_METRICS_PORT: String(metricsPort),
      BI_SCIM_LOG_LEVEL: 'info',
      BI_SCIM_SHUTDOWN_GRACE_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) =>
    logs.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(origin, child, logs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `${origin}${basePath}`,
    origin,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    logs,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A config file (for BI_SCIM_CONFIG) that turns the deprovisioning guard off. Suites about translation replay IdP
 * sequences that deactivate and remove a large share of a small directory within minutes, which the guard rightly
 * holds; the operations suites show the guard itself.
 */
export async function guardOffConfig(extraYaml = ''): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'bi-scim-config-')), 'bi-scim.yaml');
  await writeFile(path, `guard:\n  maxDeprovisions: 0\n${extraYaml}`);
  return path;
}
