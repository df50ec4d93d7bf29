// The Redis MappingStore: state shared by every replica, on one server, a Sentinel-managed primary or a Cluster.
// Longer because it is the whole MappingStore port over Redis in one class; keys, client, migration and lock renewal have files of their own.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChainableCommander, Redis } from 'ioredis';
import { type LockBackend, withRenewedLock } from './lock-renewal.ts';
import {
  type ApiToken,
  type IndexName,
  indexEntries,
  type LockOptions,
  LockTimeoutError,
  type MappingStore,
  normalizeIndexValue,
  type ReadOptions,
  type ResourceKind,
  type StoredResource,
  StoreError,
  type StreamEntry,
  type StreamQuery,
  type StreamRetention,
  type WindowRequest,
} from './mapping-store.ts';
import { type ConnectionLogger, createRedisClient, type RedisClient, watchConnection } from './redis-client.ts';
import { DEFAULT_NAMESPACE, keyLayout } from './redis-keys.ts';
import { migrateLegacyLayout } from './redis-migration.ts';
import { redisOps } from './redis-ops.ts';
import { STORE_SCRIPTS, type StoreScripts } from './redis-scripts.ts';
import { parseRedisUrl } from './redis-url.ts';

export type StoreLogger = ConnectionLogger;

export interface RedisStoreOptions {
  /** A BI_SCIM_REDIS_URL: redis://, redis+sentinel:// or redis+cluster:// (rediss… for TLS). */
  url: string;
  logger: StoreLogger;
  /** The hash tag every key lives under, so several deployments (or test suites) can share one Redis. */
  namespace?: string;
}

const LOCK_RETRY_FIRST_MS = 10;
const LOCK_RETRY_MAX_MS = 200;
/** How long an operation waits for the very first connection; later outages fail operations at once. */
const FIRST_CONNECTION_WAIT_MS = 2_000;
/**
 * Replication is asynchronous, and a Sentinel failover does not wait for the replica to catch up: a write the
 * old primary accepted after the promotion is lost. With Sentinel each write is therefore followed, in the same
 * round trip, by WAIT 1: it counts as done only once a replica holds it, and otherwise fails (the IdP retries).
 */
const REPLICA_CONFIRM_MS = 500;

type Client = RedisClient & StoreScripts;
type Pipeline = ChainableCommander & { [name in keyof StoreScripts]: (...args: Parameters<StoreScripts[name]>) => Pipeline };

const decode = <T>(json: string): T => JSON.parse(json) as T;

/**
 * While Redis is unreachable every operation fails within ~2 s with a StoreError, never hangs, and the client
 * reconnects by itself (redis-client.ts), whichever of the three URL forms it was given.
 */
export class RedisStore implements MappingStore {
  readonly kind = 'redis' as const;
  #redis: Client;
  #keys: ReturnType<typeof keyLayout>;
  #logger: StoreLogger;
  #closing = false;
  #confirmByReplica: boolean;
  #connection: ReturnType<typeof watchConnection>;
  #startup: Promise<void> | null = null;
  #namespace: string;
  #ops: ReturnType<typeof redisOps>;

  constructor(options: RedisStoreOptions) {
    const { connection, problems } = parseRedisUrl(options.url);
    if (!connection) throw new StoreError(`BI_SCIM_REDIS_URL is invalid: ${problems.join('; ')}`);
    this.#namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.#keys = keyLayout(this.#namespace);
    this.#logger = options.logger;
    this.#confirmByReplica = connection.mode === 'sentinel';
    const redis = createRedisClient(connection);
    for (const [name, script] of Object.entries(STORE_SCRIPTS)) redis.defineCommand(name, script);
    this.#redis = redis as Client;
    this.#connection = watchConnection(redis, this.#logger, () => this.#closing);
    this.#ops = redisOps({ redis: this.#redis, keys: this.#keys, confirmed: (write) => this.#confirmed(write as (p: Pipeline) => ChainableCommander) });
  }

  get(kind: ResourceKind, id: string, options: ReadOptions = {}): Promise<StoredResource | null> {
    return this.#run('get', async () => (await this.#read(kind, [id], options)).get(id) ?? null);
  }

  getMany(kind: ResourceKind, ids: readonly string[], options: ReadOptions = {}): Promise<Map<string, StoredResource>> {
    return this.#run('getMany', () => this.#read(kind, ids, options));
  }

  /** One MGET of the records, and of their members when asked for. */
  async #read(kind: ResourceKind, ids: readonly string[], options: ReadOptions): Promise<Map<string, StoredResource>> {
    const found = new Map<string, StoredResource>();
    if (ids.length === 0) return found;
    const keys = ids.map((id) => this.#keys.record(kind, id));
    if (options.members) keys.push(...ids.map((id) => this.#keys.members(kind, id)));
    const values = await this.#redis.mget(keys);
    ids.forEach((id, i) => {
      const json = values[i];
      if (json === null) return;
      const record = decode<StoredResource>(json);
      const members = options.members ? values[ids.length + i] : null;
      // A record written before members were kept apart holds them itself.
      if (members !== null) record.members = decode<string[]>(members);
      else if (!options.members) delete record.members;
      found.set(id, record);
    });
    return found;
  }

  put(resource: StoredResource): Promise<void> {
    return this.#run('put', () => this.#write(resource.kind, resource.id, resource));
  }

  remove(kind: ResourceKind, id: string): Promise<void> {
    return this.#run('remove', () => this.#write(kind, id, null));
  }

  findId(kind: ResourceKind, index: IndexName, value: string): Promise<string | null> {
    return this.#run('findId', () => this.#redis.get(this.#keys.index(kind, index, normalizeIndexValue(index, value))));
  }

  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    await this.#run('withLock', async () => undefined);
    return this.#lock(key, fn, options);
  }

  putToken(token: ApiToken): Promise<void> {
    return this.#run('putToken', async () => {
      await this.#confirmed((p) => p.hset(this.#keys.tokens, token.name, JSON.stringify(token)));
    });
  }

  listTokens(): Promise<ApiToken[]> {
    return this.#run('listTokens', async () => {
      const byName = await this.#redis.hgetall(this.#keys.tokens);
      return Object.keys(byName)
        .sort()
        .map((name) => decode<ApiToken>(byName[name]));
    });
  }

  deleteToken(name: string): Promise<boolean> {
    return this.#run('deleteToken', async () => (await this.#confirmed<number>((p) => p.hdel(this.#keys.tokens, name))) > 0);
  }

  append(stream: string, value: unknown, retention: StreamRetention): Promise<string> {
    return this.#run('append', () => this.#ops.append(stream, value, retention));
  }

  readStream(stream: string, query: StreamQuery): Promise<StreamEntry[]> {
    return this.#run('readStream', () => this.#ops.read(stream, query));
  }

  admit(window: string, request: WindowRequest): Promise<{ admitted: boolean; inWindow: number }> {
    return this.#run('admit', () => this.#ops.admit(window, request));
  }

  countWindow(window: string, nowMs: number, windowMs: number): Promise<number> {
    return this.#run('countWindow', () => this.#ops.count(window, nowMs, windowMs));
  }

  clearWindow(window: string): Promise<void> {
    return this.#run('clearWindow', () => this.#ops.clear(window));
  }

  getValue(key: string): Promise<unknown> {
    return this.#run('getValue', () => this.#ops.getValue(key));
  }

  setValue(key: string, value: unknown, ttlMs?: number): Promise<void> {
    return this.#run('setValue', () => this.#ops.setValue(key, value, ttlMs));
  }

  deleteValue(key: string): Promise<void> {
    return this.#run('deleteValue', () => this.#ops.deleteValue(key));
  }

  putEntry(map: string, field: string, value: unknown): Promise<void> {
    return this.#run('putEntry', () => this.#ops.putEntry(map, field, value));
  }

  getEntries(map: string): Promise<Record<string, unknown>> {
    return this.#run('getEntries', () => this.#ops.getEntries(map));
  }

  deleteEntry(map: string, field: string): Promise<void> {
    return this.#run('deleteEntry', () => this.#ops.deleteEntry(map, field));
  }

  deletedIds(kind: ResourceKind): Promise<string[]> {
    return this.#run('deletedIds', () => this.#redis.smembers(this.#keys.deleted(kind)));
  }

  ping(): Promise<void> {
    return this.#run('ping', async () => {
      await this.#redis.ping();
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }

  async #write(kind: ResourceKind, id: string, next: StoredResource | null): Promise<void> {
    const indexKeys = next ? indexEntries(next).map(([index, value]) => this.#keys.index(kind, index, value)) : [];
    const keys = [this.#keys.record(kind, id), this.#keys.heldIndexes(kind, id), this.#keys.deleted(kind), this.#keys.members(kind, id), ...indexKeys];
    const { members, ...record } = next ?? {};
    const args = [next ? JSON.stringify(record) : '', id, JSON.stringify(indexKeys), next?.deleted ? '1' : '0', members ? JSON.stringify(members) : ''];
    await this.#confirmed((p) => p.writeRecord(keys.length, ...keys, ...args));
  }

  /**
   * Sends one write, followed on a Sentinel set-up by WAIT 1 on the same connection (see REPLICA_CONFIRM_MS), and
   * answers the write's reply. A pipeline, so a failover between the two cannot confirm the write on the new primary.
   */
  async #confirmed<T>(write: (pipeline: Pipeline) => ChainableCommander): Promise<T> {
    const pipeline = write(this.#redis.pipeline() as Pipeline);
    if (this.#confirmByReplica) pipeline.wait(1, REPLICA_CONFIRM_MS);
    const [[writeError, reply], confirmation] = (await pipeline.exec())!;
    if (writeError) throw writeError;
    if (confirmation) {
      const [waitError, replicas] = confirmation;
      if (waitError) throw waitError;
      if ((replicas as number) < 1) throw new StoreError(`no replica confirmed the write within ${REPLICA_CONFIRM_MS} ms`);
    }
    return reply as T;
  }

  #lock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return withRenewedLock(this.#locks, key, fn, options, (name, reason) => {
      this.#logger.warn(`Redis lock "${name}" may have been lost while its holder worked: ${reason}`);
    });
  }

  /** A lock is one key holding its holder's random token, with a ttl the holder keeps extending. */
  #locks: LockBackend<string> = {
    acquire: async (key, waitMs, ttlMs) => {
      const token = randomUUID();
      await this.#wrap('withLock', () => this.#acquire(key, token, waitMs, ttlMs));
      return token;
    },
    renew: async (key, token, ttlMs) => (await this.#redis.renewLock(this.#keys.lock(key), token, ttlMs)) === 1,
    release: async (key, token) => {
      // A lost release only delays the next holder until the ttl ends; it must not replace fn's outcome.
      await this.#redis.releaseLock(this.#keys.lock(key), token).catch((err: Error) => {
        this.#logger.warn(`Redis lock "${key}" could not be released (it expires by itself within its ttl): ${err.message}`);
      });
    },
  };

  /** Retries SET NX with jittered, growing back-off until waitMs has passed. */
  async #acquire(key: string, token: string, waitMs: number, ttlMs: number): Promise<void> {
    const lockKey = this.#keys.lock(key);
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      if ((await this.#confirmed((p) => p.set(lockKey, token, 'PX', ttlMs, 'NX'))) === 'OK') return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(`Lock "${key}" is still held after ${waitMs} ms`);
      const backoff = Math.min(LOCK_RETRY_MAX_MS, LOCK_RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random());
      await sleep(Math.min(remaining, backoff));
    }
  }

  /** Every operation first waits for the first connection and the one-time key migration. */
  #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#wrap(operation, async () => {
      await this.#started();
      return fn();
    });
  }

  /** Started once; a failed start (Redis unreachable) is tried again by the next operation. */
  #started(): Promise<void> {
    this.#startup ??= this.#start().catch((err: unknown) => {
      this.#startup = null;
      throw err;
    });
    return this.#startup;
  }

  async #start(): Promise<void> {
    await this.#connection.firstConnection(FIRST_CONNECTION_WAIT_MS);
    if (!(this.#redis instanceof Redis)) return;
    await migrateLegacyLayout({
      redis: this.#redis,
      keys: this.#keys,
      namespace: this.#namespace,
      lock: (key, fn, options) => this.#lock(key, fn, options),
      log: (message) => (this.#logger.info ? this.#logger.info(message) : this.#logger.warn(message)),
    });
  }

  /** Every Redis failure reaches callers as a StoreError, whatever ioredis threw. */
  async #wrap<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`Redis ${operation} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
