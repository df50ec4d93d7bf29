// A fresh stack per scenario: the Metabase double, a Redis of its own when asked for, and bi-scim in front of them.
import { startRedis, type RunningRedis } from '../test/support/redis-server.ts';
import { guardOffConfig } from '../test/support/sidecar-process.ts';
import { startDouble, type DoubleProcess } from './processes.ts';
import { ScimClient, TOKEN } from './scim.ts';
import { startSidecar, type SidecarOptions, type SidecarProcess } from './sidecar.ts';

export type StoreKind = 'memory' | 'redis';

export interface Running {
  double: DoubleProcess;
  sidecar: SidecarProcess;
  scim: ScimClient;
  /** The stack's own Redis, for the Redis store. */
  redisUrl: string | null;
  stop(): Promise<void>;
}

/** A fresh double, a Redis of its own when asked for, and bi-scim in front of them. */
async function startStack(store: StoreKind, delayMs: number, options: SidecarOptions): Promise<Running> {
  const double = await startDouble(delayMs);
  let redis: RunningRedis | null = null;
  try {
    redis = store === 'redis' ? await startRedis() : null;
    const sidecar = await startSidecar(
      {
        BI_SCIM_TARGET: 'metabase',
        BI_SCIM_TARGET_URL: double.url,
        BI_SCIM_TARGET_API_KEY: double.apiKey,
        BI_SCIM_TOKENS: TOKEN,
        // The soak takes people out of groups all the time, which the deprovisioning guard would rightly hold.
        BI_SCIM_CONFIG: await guardOffConfig(),
        ...(redis ? { BI_SCIM_REDIS_URL: redis.url } : {}),
      },
      options,
    );
    const stop = async () => {
      await sidecar.stop();
      await redis?.stop();
      await double.stop();
    };
    return { double, sidecar, scim: new ScimClient(sidecar.url), redisUrl: redis?.url ?? null, stop };
  } catch (err) {
    await redis?.stop();
    await double.stop();
    throw err;
  }
}

export async function withStack<T>(store: StoreKind, delayMs: number, options: SidecarOptions, fn: (stack: Running) => Promise<T>): Promise<T> {
  const stack = await startStack(store, delayMs, options);
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}
