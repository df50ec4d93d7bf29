// The in-memory MappingStore: the embedded default for a single replica and for tests; state ends with the process.

import { LocalLocks } from './local-locks.ts';
import { withRenewedLock } from './lock-renewal.ts';
import {
  type ApiToken,
  type IndexName,
  indexEntries,
  type LockOptions,
  type MappingStore,
  normalizeIndexValue,
  type ReadOptions,
  type ResourceKind,
  type StoredResource,
  type StreamEntry,
  type StreamQuery,
  type StreamRetention,
  type WindowRequest,
} from './mapping-store.ts';
import { MemoryOps } from './memory-ops.ts';

/** A map of maps: a key made by joining strings would stay in the heap as a concatenation beside its flat copy. */
function inner<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}

export class MemoryStore implements MappingStore {
  readonly kind = 'memory' as const;
  /** Records and tokens are kept JSON-encoded, as in Redis, so callers never share objects with the store. */
  #records = new Map<ResourceKind, Map<string, string>>();
  /** Declared members per record, JSON-encoded apart from it (a read that does not ask for them parses none). */
  #members = new Map<ResourceKind, Map<string, string>>();
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

  async get(kind: ResourceKind, id: string, options: ReadOptions = {}): Promise<StoredResource | null> {
    return this.#read(kind, id, options);
  }

  async getMany(kind: ResourceKind, ids: readonly string[], options: ReadOptions = {}): Promise<Map<string, StoredResource>> {
    const found = new Map<string, StoredResource>();
    for (const id of ids) {
      const resource = this.#read(kind, id, options);
      if (resource) found.set(id, resource);
    }
    return found;
  }

  /** Reads and writes with no await in between, so concurrent puts of one id cannot strand index entries. */
  async put(resource: StoredResource): Promise<void> {
    const previous = this.#read(resource.kind, resource.id);
    this.#dropIndexEntries(previous);
    for (const [index, value] of indexEntries(resource)) this.#indexOf(resource.kind, index).set(value, resource.id);
    const { members, ...record } = resource;
    inner(this.#records, resource.kind).set(resource.id, JSON.stringify(record));
    if (members) inner(this.#members, resource.kind).set(resource.id, JSON.stringify(members));
    else this.#members.get(resource.kind)?.delete(resource.id);
    this.#markDeleted(resource.kind, resource.id, !!resource.deleted);
  }

  async remove(kind: ResourceKind, id: string): Promise<void> {
    this.#dropIndexEntries(this.#read(kind, id));
    this.#records.get(kind)?.delete(id);
    this.#members.get(kind)?.delete(id);
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

  #read(kind: ResourceKind, id: string, options: ReadOptions = {}): StoredResource | null {
    const json = this.#records.get(kind)?.get(id);
    if (json === undefined) return null;
    const record = JSON.parse(json) as StoredResource;
    const members = options.members ? this.#members.get(kind)?.get(id) : undefined;
    if (members !== undefined) record.members = JSON.parse(members) as string[];
    return record;
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
