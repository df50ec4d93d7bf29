// One fresh stack per scenario, all on 127.0.0.1: real Redis, the Metabase double behind the fault proxy, bi-scim as real processes.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { startRedis, type RunningRedis } from '../support/redis-server.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';
import { ADMIN_GROUP } from './workload.ts';

export const TOKEN = 'fault-suite-token-0123456789';
/** How long Redis stays away when it is killed: long enough for requests in flight to fail. */
const REDIS_OUTAGE_MS = 500;
const EXIT_WITHIN_MS = 5_000;

export interface Stack {
  double: MetabaseDouble;
  proxy: FaultProxy;
  /** The SCIM base URL of each replica; a restarted replica keeps its URL. */
  urls: string[];
  /** Kills Redis with SIGKILL and brings it back empty on the same port. */
  wipeRedis(): Promise<void>;
  /** Kills one replica with SIGKILL and starts it again on the same port. */
  killSidecar(index: number): Promise<void>;
  /** Error lines bi-scim logged (it runs at `warn`), for a failing scenario's report. */
  errorLogs(): string[];
  stop(): Promise<void>;
}

/**
 * The deprovisioning guard is off: the workload deactivates and removes far more than a real IdP does in 15 minutes,
 * and the guard would hold most of it (that is its job; test/e2e/operations.test.ts shows it). This suite is about
 * convergence under faults.
 */
async function writeConfig(dir: string): Promise<string> {
  const path = join(dir, 'bi-scim.yaml');
  await writeFile(path, `groupMappings:\n  - idpGroup: ${ADMIN_GROUP.name}\n    target: ${ADMIN_GROUP.target}\nguard:\n  maxDeprovisions: 0\n`);
  return path;
}

async function killNow(sidecar: SidecarProcess): Promise<void> {
  if (sidecar.child.exitCode !== null || sidecar.child.signalCode !== null) return;
  const exited = once(sidecar.child, 'exit');
  sidecar.child.kill('SIGKILL');
  await Promise.race([exited, sleep(EXIT_WITHIN_MS)]);
}

/** Teardowns of the stacks still up, so that an interrupted suite stops its processes before it exits. */
const live = new Set<Teardown>();

export async function stopLiveStacks(): Promise<void> {
  await Promise.all([...live].map((teardown) => teardown.run()));
}

/** Undoes what was started, newest first; a failing stop does not keep the others from running. */
class Teardown {
  private readonly steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}

/** bi-scim's replicas, each restartable on its own port; the logs of every process they ran as are kept. */
async function startReplicas(env: Record<string, string>, count: number, teardown: Teardown) {
  const sidecars: SidecarProcess[] = [];
  const logs: string[][] = [];
  teardown.add(() => Promise.all(sidecars.map((s) => s.stop())));
  for (let i = 0; i < count; i++) {
    sidecars.push(await startSidecarProcess(env));
    logs.push(sidecars[i].logs);
  }
  return {
    urls: sidecars.map((s) => s.url),
    async restart(index: number) {
      await killNow(sidecars[index]);
      sidecars[index] = await startSidecarProcess({ ...env, BI_SCIM_PORT: new URL(sidecars[index].origin).port });
      logs.push(sidecars[index].logs);
    },
    errorLogs: () => logs.flat().filter((line) => /"level":(50|60)/.test(line)),
  };
}

export async function startStack(replicas: number, seed: number): Promise<Stack> {
  const teardown = new Teardown();
  live.add(teardown);
  teardown.add(async () => live.delete(teardown));
  try {
    const dir = await mkdtemp(join(tmpdir(), 'bi-scim-faults-'));
    teardown.add(() => rm(dir, { recursive: true, force: true }));
    let redis: RunningRedis = await startRedis();
    teardown.add(() => redis.stop());
    const double = await startMetabaseDouble();
    teardown.add(() => double.close());
    const proxy = await startFaultProxy({ upstream: double.url, random: seededRandom(seed ^ 0x5eed) });
    teardown.add(() => proxy.close());
    const env = { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: proxy.url, BI_SCIM_TARGET_API_KEY: double.apiKey, BI_SCIM_TOKENS: TOKEN };
    const sidecars = await startReplicas(
      { ...env, BI_SCIM_REDIS_URL: redis.url, BI_SCIM_CONFIG: await writeConfig(dir), BI_SCIM_LOG_LEVEL: 'warn' },
      replicas,
      teardown,
    );
    return {
      double,
      proxy,
      urls: sidecars.urls,
      async wipeRedis() {
        await redis.stop('SIGKILL');
        await sleep(REDIS_OUTAGE_MS);
        redis = await startRedis({ port: redis.port });
      },
      killSidecar: (index) => sidecars.restart(index),
      errorLogs: sidecars.errorLogs,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
