// The in-memory MappingStore: the embedded default for a single replica and for tests; state ends with the process.
import { MemoryOps } from './memory-ops.ts';
import { withRenewedLock, type LockBackend } from './lock-renewal.ts';
import {
  indexEntries,
  LockTimeoutError,
  normalizeIndexValue,
  type ApiToken,
  type StreamEntry,
  type StreamQuery,
  type StreamRetention,
  type WindowRequest,
  type IndexName,
  type LockOptions,
  type MappingStore,
  type ResourceKind,
  type StoredResource,
} from './mapping-store.ts';

/** A map of maps: a key made by joining strings would stay in the heap as a concatenation beside its flat copy. */
function inner<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}

interface Waiter {
  ttlMs: number;
  grant(token: symbol): void;
}

interface HeldLock {
  token: symbol;
  expiry: NodeJS.Timeout;
  waiters: Waiter[];
}

/**
 * Per-key FIFO locks with the Redis lock's semantics: a waiter gives up after waitMs; a lock expires ttlMs after
 * its last renewal, after which the late holder's renewal and release change nothing. Several MemoryStores may
 * share one LocalLocks, as replicas share Redis.
 */
export class LocalLocks implements LockBackend<symbol> {
  #held = new Map<string, HeldLock>();

  acquire(key: string, waitMs: number, ttlMs: number): Promise<symbol> {
    const lock = this.#held.get(key);
    if (!lock) return Promise.resolve(this.#grant(key, [], ttlMs));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        ttlMs,
        grant: (token) => {
          clearTimeout(timer);
          resolve(token);
        },
      };
      const timer = setTimeout(() => {
        lock.waiters.splice(lock.waiters.indexOf(waiter), 1);
        reject(new LockTimeoutError(`Lock "${key}" is still held after ${waitMs} ms`));
      }, waitMs);
      lock.waiters.push(waiter);
    });
  }

  async renew(key: string, token: symbol, ttlMs: number): Promise<boolean> {
    const lock = this.#held.get(key);
    if (!lock || lock.token !== token) return false;
    clearTimeout(lock.expiry);
    lock.expiry = this.#expireLater(key, token, ttlMs);
    return true;
  }

  async release(key: string, token: symbol): Promise<void> {
    this.#free(key, token);
  }

  #free(key: string, token: symbol): void {
    const lock = this.#held.get(key);
    if (!lock || lock.token !== token) return;
    clearTimeout(lock.expiry);
    const next = lock.waiters.shift();
    if (!next) {
      this.#held.delete(key);
      return;
    }
    next.grant(this.#grant(key, lock.waiters, next.ttlMs));
  }

  #grant(key: string, waiters: Waiter[], ttlMs: number): symbol {
    const token = Symbol(key);
    this.#held.set(key, { token, expiry: this.#expireLater(key, token, ttlMs), waiters });
    return token;
  }

  #expireLater(key: string, token: symbol, ttlMs: number): NodeJS.Timeout {
    const expiry = setTimeout(() => this.#free(key, token), ttlMs);
    expiry.unref();
    return expiry;
  }
}

export class MemoryStore implements MappingStore {
  readonly kind = 'memory' as const;
  /** Records and tokens are kept JSON-encoded, as in Redis, so callers never share objects with the store. */
  #records = new Map<ResourceKind, Map<string, string>>();
  /** The ids of DELETEd (tombstoned) records per kind, kept as Redis keeps its set, so listing them reads no record. */
  #deleted = new Map<ResourceKind, Set<string>>();
  /** Per kind and indexed attribute: normalized value → id. */
  #index = new Map<`${ResourceKind}.${IndexName}`, Map<string, string>>();
  #tokens = new Map<string, string>();
  #ops = new MemoryOps();
  #locks: LocalLocks;

  /** `locks` lets several stores in one process contend for the same locks (tests of lock hand-over). */
  constructor(options: { locks?: LocalLocks } = {}) {
    this.#locks = options.locks ?? new LocalLocks();
  }

  async get(kind: ResourceKind, id: string): Promise<StoredResource | null> {
    return this.#read(kind, id);
  }

  async getMany(kind: ResourceKind, ids: readonly string[]): Promise<Map<string, StoredResource>> {
    const found = new Map<string, StoredResource>();
    for (const id of ids) {
      const resource = this.#read(kind, id);
      if (resource) found.set(id, resource);
    }
    return found;
  }

  /** Reads and writes with no await in between, so concurrent puts of one id cannot strand index entries. */
  async put(resource: StoredResource): Promise<void> {
    const previous = this.#read(resource.kind, resource.id);
    this.#dropIndexEntries(previous);
    for (const [index, value] of indexEntries(resource)) this.#indexOf(resource.kind, index).set(value, resource.id);
    inner(this.#records, resource.kind).set(resource.id, JSON.stringify(resource));
    this.#markDeleted(resource.kind, resource.id, !!resource.deleted);
  }

  async remove(kind: ResourceKind, id: string): Promise<void> {
    this.#dropIndexEntries(this.#read(kind, id));
    this.#records.get(kind)?.delete(id);
    this.#markDeleted(kind, id, false);
  }

  async deletedIds(kind: ResourceKind): Promise<string[]> {
    return [...(this.#deleted.get(kind) ?? [])];
  }

  async findId(kind: ResourceKind, index: IndexName, value: string): Promise<string | null> {
    return this.#indexOf(kind, index).get(normalizeIndexValue(index, value)) ?? null;
  }

  /** A live holder in this process always renews in time; the watchdog keeps the semantics equal to Redis's. */
  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    return withRenewedLock(this.#locks, key, fn, options, () => undefined);
  }

  async putToken(token: ApiToken): Promise<void> {
    this.#tokens.set(token.name, JSON.stringify(token));
  }

  async listTokens(): Promise<ApiToken[]> {
    return [...this.#tokens.keys()].sort().map((name) => JSON.parse(this.#tokens.get(name)!) as ApiToken);
  }

  async deleteToken(name: string): Promise<boolean> {
    return this.#tokens.delete(name);
  }

  async append(stream: string, value: unknown, retention: StreamRetention): Promise<string> {
    return this.#ops.append(stream, value, retention);
  }

  async readStream(stream: string, query: StreamQuery): Promise<StreamEntry[]> {
    return this.#ops.read(stream, query);
  }

  async admit(window: string, request: WindowRequest): Promise<{ admitted: boolean; inWindow: number }> {
    return this.#ops.admit(window, request);
  }

  async countWindow(window: string, nowMs: number, windowMs: number): Promise<number> {
    return this.#ops.count(window, nowMs, windowMs);
  }

  async clearWindow(window: string): Promise<void> {
    this.#ops.clear(window);
  }

  async getValue(key: string): Promise<unknown> {
    return this.#ops.getValue(key);
  }

  async setValue(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.#ops.setValue(key, value, ttlMs);
  }

  async deleteValue(key: string): Promise<void> {
    this.#ops.deleteValue(key);
  }

  async putEntry(map: string, field: string, value: unknown): Promise<void> {
    this.#ops.putEntry(map, field, value);
  }

  async getEntries(map: string): Promise<Record<string, unknown>> {
    return this.#ops.getEntries(map);
  }

  async deleteEntry(map: string, field: string): Promise<void> {
    this.#ops.deleteEntry(map, field);
  }

  async ping(): Promise<void> {}

  /** Nothing to release: lock expiry timers are unref'd and hold no process open. */
  async close(): Promise<void> {}

  #read(kind: ResourceKind, id: string): StoredResource | null {
    const json = this.#records.get(kind)?.get(id);
    return json === undefined ? null : (JSON.parse(json) as StoredResource);
  }

  #markDeleted(kind: ResourceKind, id: string, deleted: boolean): void {
    if (deleted) {
      if (!this.#deleted.has(kind)) this.#deleted.set(kind, new Set());
      this.#deleted.get(kind)!.add(id);
    } else this.#deleted.get(kind)?.delete(id);
  }

  #indexOf(kind: ResourceKind, index: IndexName): Map<string, string> {
    return inner(this.#index, `${kind}.${index}` as const);
  }

  /** Drops what `previous` indexed, except entries another resource has claimed since. */
  #dropIndexEntries(previous: StoredResource | null): void {
    if (!previous) return;
    for (const [index, value] of indexEntries(previous)) {
      const ids = this.#indexOf(previous.kind, index);
      if (ids.get(value) === previous.id) ids.delete(value);
    }
  }
}
