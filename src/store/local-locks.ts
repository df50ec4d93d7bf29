// Per-key FIFO locks inside one process, with the Redis lock's semantics: the memory store's locks.
import type { LockBackend } from './lock-renewal.ts';
import { LockTimeoutError } from './mapping-store.ts';

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
