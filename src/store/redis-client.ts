// Builds the ioredis client for a parsed BI_SCIM_REDIS_URL (server, Sentinel or Cluster) with one failure policy for all three.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConnection } from './redis-url.ts';

/** A plain or Sentinel-managed connection (one server at a time), or a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * While Redis is unreachable a request must fail within ~2 s, never hang, and the client must reconnect by
 * itself. The offline queue only serves the first connection; the store turns it off once ready, so that a
 * command sent while disconnected fails at once. Commands cut off by a dropped connection are not resent: the
 * caller has already been told they failed.
 */
const FAILURE_POLICY = {
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
} satisfies RedisOptions;

const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1_000);

function credentials(c: RedisConnection): RedisOptions {
  return { username: c.username ?? undefined, password: c.password ?? undefined, tls: c.tls ? {} : undefined };
}

/**
 * Sentinel: the sentinels name the primary. failoverDetector subscribes to their +switch-master, so the client
 * leaves a demoted primary as soon as a failover is announced instead of when the old primary is reconfigured
 * (seconds later), and READONLY (a write that reached a replica) reconnects through the sentinels too.
 */
function sentinelOptions(c: RedisConnection): RedisOptions {
  return {
    ...FAILURE_POLICY,
    ...credentials(c),
    sentinels: c.nodes,
    name: c.masterName!,
    db: c.db,
    sentinelPassword: c.sentinelPassword ?? undefined,
    sentinelTLS: c.tls ? {} : undefined,
    enableTLSForSentinelMode: c.tls,
    sentinelCommandTimeout: FAILURE_POLICY.commandTimeout,
    sentinelRetryStrategy: reconnectDelay,
    failoverDetector: true,
    retryStrategy: reconnectDelay,
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  };
}

/**
 * Cluster: the seed nodes lead to the rest. Redirections (MOVED/ASK) during a resharding or failover are followed
 * within the same ~2 s budget. With TLS the nodes' own host names are kept for certificate checks, as managed
 * clusters (e.g. ElastiCache) require.
 */
function clusterOptions(c: RedisConnection): ClusterOptions {
  return {
    redisOptions: { ...FAILURE_POLICY, ...credentials(c) },
    clusterRetryStrategy: reconnectDelay,
    enableOfflineQueue: true,
    slotsRefreshTimeout: FAILURE_POLICY.connectTimeout,
    maxRedirections: 8,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    ...(c.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
  };
}

/** Connects at once, in the background; commands sent before the first connection wait for it. */
export function createRedisClient(c: RedisConnection): RedisClient {
  if (c.mode === 'cluster') return new Cluster(c.nodes, clusterOptions(c));
  if (c.mode === 'sentinel') return new Redis(sentinelOptions(c));
  return new Redis({ ...FAILURE_POLICY, ...credentials(c), ...c.nodes[0], db: c.db, retryStrategy: reconnectDelay });
}

export interface ConnectionLogger {
  info?(msg: string): void;
  warn(msg: string): void;
  error?(obj: unknown, msg?: string): void;
}

/**
 * Logs an outage once and its end once, instead of every reconnection attempt, and turns the offline queue off
 * after the first connection. `firstConnection()` waits (at most `withinMs`) for that first connection only: later
 * outages fail commands at once instead.
 */
export function watchConnection(client: RedisClient, logger: ConnectionLogger, isClosing: () => boolean) {
  let reportedDown = false;
  let everReady = false;
  const reportDown = (reason: string, err?: Error) => {
    if (reportedDown || isClosing()) return;
    reportedDown = true;
    const message = `Redis is unreachable (${reason}); store operations fail until it returns`;
    if (logger.error) logger.error({ err }, message);
    else logger.warn(message);
  };
  client.on('error', (err: Error) => reportDown(err.message, err));
  client.on('close', () => reportDown('connection closed'));
  client.on('ready', () => {
    everReady = true;
    client.options.enableOfflineQueue = false;
    if (!reportedDown) return;
    reportedDown = false;
    logger.warn('Redis is reachable again');
  });
  return {
    firstConnection(withinMs: number): Promise<void> {
      if (everReady) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(new Error(`Redis did not answer within ${withinMs} ms`));
        }, withinMs);
        client.once('ready', onReady);
      });
    },
  };
}
