// Starts a throwaway real Sentinel set-up on 127.0.0.1 for tests: 1 primary, 1 replica, 3 sentinels; can force a failover.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnRedisProcess, stopAll, waitFor, type RedisProcess } from './redis-server.ts';

export const SENTINEL_MASTER_NAME = 'bi-scim-primary';

export interface RunningSentinel {
  /** `redis+sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/bi-scim-primary` */
  url: string;
  masterName: string;
  sentinelPorts: number[];
  /** The port of the data node the sentinels currently name as primary. */
  primaryPort(): Promise<number>;
  /**
   * Forces `SENTINEL FAILOVER` and waits until every sentinel names the other node as primary, that node accepts
   * writes, and the former primary replicates from it again (so a second failover can follow). Bounded in time.
   */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const SENTINELS = 3;
const QUORUM = 2;
const SETTLE_WITHIN_MS = 30_000;

/** Runs one command on a short-lived connection to 127.0.0.1:port. */
async function ask<T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 1_000, commandTimeout: 2_000 });
  try {
    await redis.connect();
    return await command(redis);
  } finally {
    redis.disconnect();
  }
}

const replicationInfo = (port: number) => ask(port, (redis) => redis.info('replication'));

/** The sentinel's view of the primary as a field → value map (SENTINEL MASTER <name>). */
async function sentinelView(port: number): Promise<Record<string, string>> {
  const flat = (await ask(port, (redis) => redis.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME))) as string[];
  return Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));
}

function sentinelConfig(primaryPort: number) {
  return async (dir: string, port: number) => {
    const path = join(dir, 'sentinel.conf');
    await writeFile(
      path,
      [
        `port ${port}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} ${QUORUM}`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 2000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    return path;
  };
}

/** Every sentinel agrees on `primary`, knows the replica and the other sentinels. */
async function sentinelsAgree(sentinelPorts: number[], primary: number): Promise<boolean> {
  for (const port of sentinelPorts) {
    const view = await sentinelView(port);
    const settled = view.port === String(primary) && view['num-slaves'] === '1' && view['num-other-sentinels'] === String(SENTINELS - 1);
    if (!settled || /failover|o_down|s_down/.test(view.flags)) return false;
  }
  return true;
}

/** `replica` replicates from `primary` with the link up, and `primary` acts as one. */
async function replicating(primary: number, replica: number): Promise<boolean> {
  const [ofPrimary, ofReplica] = [await replicationInfo(primary), await replicationInfo(replica)];
  return /role:master/.test(ofPrimary) && new RegExp(`master_port:${primary}\\b`).test(ofReplica) && /master_link_status:up/.test(ofReplica);
}

export async function startRedisSentinel(): Promise<RunningSentinel> {
  const processes: RedisProcess[] = [];
  const stop = () => stopAll(processes);
  try {
    const primary = await spawnRedisProcess({});
    processes.push(primary);
    const replica = await spawnRedisProcess({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    processes.push(replica);
    await waitFor('the replica to sync', SETTLE_WITHIN_MS, () => replicating(primary.port, replica.port));
    // Started after the replica syncs, so the primary's first INFO already tells every sentinel about it.
    for (let n = 0; n < SENTINELS; n++) processes.push(await spawnRedisProcess({ configFile: sentinelConfig(primary.port), args: ['--sentinel'] }));
    const sentinelPorts = processes.slice(2).map((p) => p.port);
    await waitFor('the sentinels to know each other and the replica', SETTLE_WITHIN_MS, () => sentinelsAgree(sentinelPorts, primary.port));

    const primaryPort = async () => Number((await sentinelView(sentinelPorts[0])).port);
    const failover = async () => {
      const from = await primaryPort();
      const to = from === primary.port ? replica.port : primary.port;
      await ask(sentinelPorts[0], (redis) => redis.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME));
      await waitFor(`failover from ${from} to ${to}`, SETTLE_WITHIN_MS, async () => (await sentinelsAgree(sentinelPorts, to)) && (await replicating(to, from)));
      return { from, to };
    };
    const addresses = sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
    return { url: `redis+sentinel://${addresses}/${SENTINEL_MASTER_NAME}`, masterName: SENTINEL_MASTER_NAME, sentinelPorts, primaryPort, failover, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
