// One small cache of promises with a time to live and an injectable clock; a load that fails is forgotten at once.

interface Entry<V> {
  at: number;
  value: Promise<V>;
}

export interface CacheOptions {
  /** How long a value is reused; Infinity keeps it for the life of the process. */
  ttlMs?: number;
  /** Milliseconds, like Date.now. */
  now?: () => number;
}

/** Concurrent callers of a missing key share one load (single flight), and a rejected load is never served again. */
export class PromiseCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor({ ttlMs = Number.POSITIVE_INFINITY, now = Date.now }: CacheOptions = {}) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.value;
    return this.#keep(key, { at: this.#now(), value: load() });
  }

  /** Changes a cached value in place, keeping its age: a write this process has just made needs no re-read. */
  update(key: K, change: (value: V) => V): void {
    const hit = this.#entries.get(key);
    if (hit) this.#keep(key, { at: hit.at, value: hit.value.then(change) });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  #keep(key: K, entry: Entry<V>): Promise<V> {
    this.#entries.set(key, entry);
    entry.value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.value;
  }
}
