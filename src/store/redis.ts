// The Redis MappingStore: state shared by every replica; a record and its index entries change together in Lua.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { withRenewedLock, type LockBackend } from './lock-renewal.ts';
import {
  indexEntries,
  LockTimeoutError,
  normalizeIndexValue,
  StoreError,
  type ApiToken,
  type AuditEntry,
  type IndexName,
  type LockOptions,
  type MappingStore,
  type ResourceKind,
  type StoredResource,
} from './mapping-store.ts';

export interface StoreLogger {
  warn(msg: string): void;
  error?(obj: unknown, msg?: string): void;
}

export interface RedisStoreOptions {
  url: string;
  logger: StoreLogger;
  /** Prepended to every key, so several deployments (or test suites) can share one Redis. */
  keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'bi-scim:';
const AUDIT_MAX_LENGTH = 100_000;
const LOCK_RETRY_FIRST_MS = 10;
const LOCK_RETRY_MAX_MS = 200;

/**
 * While Redis is unreachable a request must fail within ~2 s, never hang, and the client must reconnect by
 * itself. The offline queue only serves the first connection (commands issued during startup wait for it);
 * after that a command sent while disconnected fails at once. Commands cut off by a dropped connection are
 * not resent: the caller has already been told they failed.
 */
const CLIENT_OPTIONS: RedisOptions = {
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
  enableOfflineQueue: true,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
};

/**
 * Writes (ARGV[1]) or removes (ARGV[1] = '') one record together with its index entries, atomically.
 * KEYS: the record, the list of index keys its stored version holds, the kind's set of tombstoned ids, then the
 * new version's index keys. ARGV: the record's JSON ('' to remove), its id, the new index keys, '1' if tombstoned.
 * The previous entries are read from that list, so a put needs no prior read; each one is dropped only while it
 * still points at this id, because another resource may have claimed the value since, and the new entries are
 * set afterwards, so a value both versions hold survives. The previous entries are not in KEYS: this store
 * targets a single Redis (or a primary with replicas), not Redis Cluster.
 */
const WRITE_RECORD_LUA = `
local id = ARGV[2]
local held = redis.call('GET', KEYS[2])
if held then
  for _, key in ipairs(cjson.decode(held)) do
    if redis.call('GET', key) == id then redis.call('DEL', key) end
  end
end
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SREM', KEYS[3], id)
  return 1
end
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], id) else redis.call('SREM', KEYS[3], id) end
for i = 4, #KEYS do redis.call('SET', KEYS[i], id) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
return 1
`;

/** Deletes a lock only while it still holds the caller's token, so an expired holder cannot free a successor's lock. */
const RELEASE_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Extends a lock's ttl (ARGV[2] ms) only while it still holds the caller's token (ARGV[1]): 1 if extended, else 0. */
const RENEW_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

interface StoreScripts {
  writeRecord(numKeys: number, ...keysThenArgs: string[]): Promise<number>;
  releaseLock(key: string, token: string): Promise<number>;
  renewLock(key: string, token: string, ttlMs: number): Promise<number>;
}

const decode = <T>(json: string): T => JSON.parse(json) as T;

/** Every key lives under the prefix, e.g. `bi-scim:User:42`, `bi-scim:idx:User:userName:alice@example.com`. */
export function keyLayout(prefix: string) {
  return {
    record: (kind: ResourceKind, id: string) => `${prefix}${kind}:${id}`,
    /** The index keys the record's stored version holds (a JSON array), read back by its next write. */
    heldIndexes: (kind: ResourceKind, id: string) => `${prefix}idxof:${kind}:${id}`,
    deleted: (kind: ResourceKind) => `${prefix}deleted:${kind}`,
    index: (kind: ResourceKind, index: IndexName, value: string) => `${prefix}idx:${kind}:${index}:${value}`,
    lock: (name: string) => `${prefix}lock:${name}`,
    tokens: `${prefix}tokens`,
    audit: `${prefix}audit`,
  };
}

export class RedisStore implements MappingStore {
  readonly kind = 'redis' as const;
  #redis: Redis & StoreScripts;
  #keys: ReturnType<typeof keyLayout>;
  #logger: StoreLogger;
  #closing = false;

  constructor(options: RedisStoreOptions) {
    this.#keys = keyLayout(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.#logger = options.logger;
    const redis = new Redis(options.url, CLIENT_OPTIONS);
    redis.defineCommand('writeRecord', { lua: WRITE_RECORD_LUA });
    redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK_LUA });
    redis.defineCommand('renewLock', { numberOfKeys: 1, lua: RENEW_LOCK_LUA });
    this.#redis = redis as Redis & StoreScripts;
    this.#watchConnection();
  }

  get(kind: ResourceKind, id: string): Promise<StoredResource | null> {
    return this.#run('get', async () => {
      const json = await this.#redis.get(this.#keys.record(kind, id));
      return json === null ? null : decode<StoredResource>(json);
    });
  }

  getMany(kind: ResourceKind, ids: readonly string[]): Promise<Map<string, StoredResource>> {
    return this.#run('getMany', async () => {
      const found = new Map<string, StoredResource>();
      if (ids.length === 0) return found;
      const values = await this.#redis.mget(ids.map((id) => this.#keys.record(kind, id)));
      values.forEach((json, i) => {
        if (json !== null) found.set(ids[i], decode<StoredResource>(json));
      });
      return found;
    });
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

  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    return withRenewedLock(this.#locks, key, fn, options, (name, reason) => {
      this.#logger.warn(`Redis lock "${name}" may have been lost while its holder worked: ${reason}`);
    });
  }

  putToken(token: ApiToken): Promise<void> {
    return this.#run('putToken', async () => {
      await this.#redis.hset(this.#keys.tokens, token.name, JSON.stringify(token));
    });
  }

  listTokens(): Promise<ApiToken[]> {
    return this.#run('listTokens', async () => {
      const byName = await this.#redis.hgetall(this.#keys.tokens);
      return Object.keys(byName).sort().map((name) => decode<ApiToken>(byName[name]));
    });
  }

  deleteToken(name: string): Promise<boolean> {
    return this.#run('deleteToken', async () => (await this.#redis.hdel(this.#keys.tokens, name)) > 0);
  }

  appendAudit(event: AuditEntry): Promise<void> {
    return this.#run('appendAudit', async () => {
      // "~" lets Redis trim whole macro nodes: cheap, and the stream stays near the cap.
      await this.#redis.xadd(this.#keys.audit, 'MAXLEN', '~', AUDIT_MAX_LENGTH, '*', 'data', JSON.stringify(event));
    });
  }

  readAudit(limit: number): Promise<AuditEntry[]> {
    return this.#run('readAudit', async () => {
      const count = Math.max(0, Math.floor(limit));
      if (count === 0) return [];
      const entries = await this.#redis.xrevrange(this.#keys.audit, '+', '-', 'COUNT', count);
      return entries.map(([, fields]) => decode<AuditEntry>(fields[fields.indexOf('data') + 1]));
    });
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
    const keys = [this.#keys.record(kind, id), this.#keys.heldIndexes(kind, id), this.#keys.deleted(kind), ...indexKeys];
    const args = [next ? JSON.stringify(next) : '', id, JSON.stringify(indexKeys), next?.deleted ? '1' : '0'];
    await this.#redis.writeRecord(keys.length, ...keys, ...args);
  }

  /** A lock is one key holding its holder's random token, with a ttl the holder keeps extending. */
  #locks: LockBackend<string> = {
    acquire: async (key, waitMs, ttlMs) => {
      const token = randomUUID();
      await this.#run('withLock', () => this.#acquire(key, token, waitMs, ttlMs));
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
      if ((await this.#redis.set(lockKey, token, 'PX', ttlMs, 'NX')) === 'OK') return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(`Lock "${key}" is still held after ${waitMs} ms`);
      const backoff = Math.min(LOCK_RETRY_MAX_MS, LOCK_RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random());
      await sleep(Math.min(remaining, backoff));
    }
  }

  /** Every Redis failure reaches callers as a StoreError, whatever ioredis threw. */
  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`Redis ${operation} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Logs an outage once and its end once, instead of every reconnection attempt. */
  #watchConnection(): void {
    let reportedDown = false;
    const reportDown = (reason: string, err?: Error) => {
      if (reportedDown || this.#closing) return;
      reportedDown = true;
      const message = `Redis is unreachable (${reason}); store operations fail until it returns`;
      if (this.#logger.error) this.#logger.error({ err }, message);
      else this.#logger.warn(message);
    };
    this.#redis.on('error', (err: Error) => reportDown(err.message, err));
    this.#redis.on('close', () => reportDown('connection closed'));
    this.#redis.on('ready', () => {
      this.#redis.options.enableOfflineQueue = false;
      if (!reportedDown) return;
      reportedDown = false;
      this.#logger.warn('Redis is reachable again');
    });
  }
}
