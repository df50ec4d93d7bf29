// Starts a throwaway real 3-master Redis Cluster on 127.0.0.1 (no replicas) for tests, built with redis-cli --cluster create.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { spawnRedisProcess, stopAll, waitFor, type RedisProcess } from './redis-server.ts';

export interface RunningCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

const MASTERS = 3;
const CREATE_WITHIN_MS = 30_000;
const STATE_OK_WITHIN_MS = 15_000;

/** True when every node says the cluster is up and all 16384 slots are assigned. */
async function clusterIsOk(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 1_000 });
    try {
      await node.connect();
      const info = await node.cluster('INFO');
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
    } finally {
      node.disconnect();
    }
  }
  return true;
}

export async function startRedisCluster(): Promise<RunningCluster> {
  const nodes: RedisProcess[] = [];
  const stop = () => stopAll(nodes);
  try {
    for (let n = 0; n < MASTERS; n++) {
      nodes.push(
        await spawnRedisProcess({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--cluster-announce-ip', '127.0.0.1'],
        }),
      );
    }
    const ports = nodes.map((node) => node.port);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: CREATE_WITHIN_MS });
    await waitFor('cluster_state:ok on every node', STATE_OK_WITHIN_MS, () => clusterIsOk(ports));
    return { url: `redis+cluster://${addresses.join(',')}`, ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
