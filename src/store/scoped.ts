// A MappingStore view whose records, indexes, tombstones, locks, values and maps live apart under one scope of
// another store: a dry-run token's bi-scim state never mixes with the real one, and can be dropped as a whole.
import {
  type IndexName,
  indexEntries,
  type MappingStore,
  normalizeIndexValue,
  type ReadOptions,
  type ResourceKind,
  type StoredResource,
  type StreamQuery,
  type StreamRetention,
  type WindowRequest,
} from './mapping-store.ts';

/**
 * Built from the base store's values and maps, so it works over either implementation (and across replicas). A
 * record and its index entries are several writes, so each record is written under a lock of its own: racing
 * writes of one resource leave exactly one version indexed, as in the base stores.
 */
export class ScopedStore implements MappingStore {
  readonly kind: MappingStore['kind'];
  readonly #base: MappingStore;
  readonly #scope: string;

  constructor(base: MappingStore, scope: string) {
    this.kind = base.kind;
    this.#base = base;
    this.#scope = scope;
  }

  /** Every value key and map name the scope has written, so `drop` can find them all. */
  get #registry() {
    return `${this.#scope}:keys`;
  }

  #name(kind: 'rec' | 'idx' | 'deleted' | 'value' | 'map' | 'lock' | 'write' | 'stream' | 'window', ...parts: string[]): string {
    return [this.#scope, kind, ...parts].join(':');
  }

  async #register(kind: 'value' | 'map', name: string): Promise<void> {
    await this.#base.putEntry(this.#registry, name, kind);
  }

  async get(kind: ResourceKind, id: string, options: ReadOptions = {}): Promise<StoredResource | null> {
    const record = (await this.#base.getValue(this.#name('rec', kind, id))) as StoredResource | undefined;
    if (record && !options.members) delete record.members;
    return record ?? null;
  }

  async getMany(kind: ResourceKind, ids: readonly string[], options: ReadOptions = {}): Promise<Map<string, StoredResource>> {
    const found = await Promise.all(ids.map((id) => this.get(kind, id, options)));
    return new Map(found.flatMap((r, i) => (r ? [[ids[i], r] as const] : [])));
  }

  #writing<T>(kind: ResourceKind, id: string, fn: () => Promise<T>): Promise<T> {
    return this.#base.withLock(this.#name('write', kind, id), fn);
  }

  put(resource: StoredResource): Promise<void> {
    return this.#writing(resource.kind, resource.id, () => this.#put(resource));
  }

  async #put(resource: StoredResource): Promise<void> {
    await this.#dropIndexes(await this.get(resource.kind, resource.id));
    for (const [index, value] of indexEntries(resource)) await this.#setValue(this.#name('idx', resource.kind, index, value), resource.id);
    await this.#setValue(this.#name('rec', resource.kind, resource.id), resource);
    const deleted = this.#name('deleted', resource.kind);
    if (resource.deleted) {
      await this.#register('map', deleted);
      await this.#base.putEntry(deleted, resource.id, true);
    } else await this.#base.deleteEntry(deleted, resource.id);
  }

  remove(kind: ResourceKind, id: string): Promise<void> {
    return this.#writing(kind, id, async () => {
      await this.#dropIndexes(await this.get(kind, id));
      await this.#base.deleteValue(this.#name('rec', kind, id));
      await this.#base.deleteEntry(this.#name('deleted', kind), id);
    });
  }

  async #setValue(key: string, value: unknown): Promise<void> {
    await this.#register('value', key);
    await this.#base.setValue(key, value);
  }

  /** Drops what `previous` indexed, except entries another resource has claimed since. */
  async #dropIndexes(previous: StoredResource | null): Promise<void> {
    if (!previous) return;
    for (const [index, value] of indexEntries(previous)) {
      const key = this.#name('idx', previous.kind, index, value);
      if ((await this.#base.getValue(key)) === previous.id) await this.#base.deleteValue(key);
    }
  }

  async deletedIds(kind: ResourceKind): Promise<string[]> {
    return Object.keys(await this.#base.getEntries(this.#name('deleted', kind)));
  }

  async findId(kind: ResourceKind, index: IndexName, value: string): Promise<string | null> {
    return ((await this.#base.getValue(this.#name('idx', kind, index, normalizeIndexValue(index, value)))) as string | undefined) ?? null;
  }

  withLock<T>(key: string, fn: () => Promise<T>, options?: Parameters<MappingStore['withLock']>[2]): Promise<T> {
    return this.#base.withLock(this.#name('lock', key), fn, options);
  }

  putToken(...args: Parameters<MappingStore['putToken']>) {
    return this.#base.putToken(...args);
  }

  listTokens() {
    return this.#base.listTokens();
  }

  deleteToken(name: string) {
    return this.#base.deleteToken(name);
  }

  append(stream: string, value: unknown, retention: StreamRetention) {
    return this.#base.append(this.#name('stream', stream), value, retention);
  }

  readStream(stream: string, query: StreamQuery) {
    return this.#base.readStream(this.#name('stream', stream), query);
  }

  admit(window: string, request: WindowRequest) {
    return this.#base.admit(this.#name('window', window), request);
  }

  countWindow(window: string, nowMs: number, windowMs: number) {
    return this.#base.countWindow(this.#name('window', window), nowMs, windowMs);
  }

  clearWindow(window: string) {
    return this.#base.clearWindow(this.#name('window', window));
  }

  getValue(key: string) {
    return this.#base.getValue(this.#name('value', key));
  }

  async setValue(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await this.#register('value', this.#name('value', key));
    await this.#base.setValue(this.#name('value', key), value, ttlMs);
  }

  deleteValue(key: string) {
    return this.#base.deleteValue(this.#name('value', key));
  }

  async putEntry(map: string, field: string, value: unknown): Promise<void> {
    await this.#register('map', this.#name('map', map));
    await this.#base.putEntry(this.#name('map', map), field, value);
  }

  getEntries(map: string) {
    return this.#base.getEntries(this.#name('map', map));
  }

  deleteEntry(map: string, field: string) {
    return this.#base.deleteEntry(this.#name('map', map), field);
  }

  ping() {
    return this.#base.ping();
  }

  /** The base store belongs to its owner. */
  async close(): Promise<void> {}

  /** Forgets everything the scope holds (its streams and windows expire by their own retention). */
  async drop(): Promise<void> {
    const written = (await this.#base.getEntries(this.#registry)) as Record<string, 'value' | 'map'>;
    for (const [name, kind] of Object.entries(written)) {
      if (kind === 'value') await this.#base.deleteValue(name);
      else for (const field of Object.keys(await this.#base.getEntries(name))) await this.#base.deleteEntry(name, field);
      await this.#base.deleteEntry(this.#registry, name);
    }
  }
}
