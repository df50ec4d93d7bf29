// Locks: part of the MappingStore contract every store passes. The cases wait on real time (ttls, waits, renewals),
// so each takes a store of its own and they run side by side.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LockTimeoutError, type MappingStore, StoreError } from '../../src/store/mapping-store.ts';

export interface StoreUnderTest {
  store: MappingStore;
  /** Takes `key` as a replica that is killed at once would leave it: never renewed, never released. */
  takeLockAndDie(key: string, ttlMs: number): Promise<void>;
}

export function describeLockContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  const lockCase = (title: string, body: (under: StoreUnderTest) => Promise<void>) =>
    it(title, async () => {
      const under = await makeStore();
      try {
        await body(under);
      } finally {
        await under.store.close();
      }
    });

  describe.concurrent(`${name} store locks (MappingStore contract)`, () => {
    lockCase("passes the function's result through", async ({ store }) => {
      expect(await store.withLock('user:alice', async () => ({ id: '1' }))).toEqual({ id: '1' });
    });

    lockCase('serialises holders of one key, so 20 concurrent read-yield-write increments lose nothing', async ({ store }) => {
      let counter = 0;
      const increment = () =>
        store.withLock('counter', async () => {
          const seen = counter;
          await sleep(2);
          counter = seen + 1;
        });
      await Promise.all(Array.from({ length: 20 }, increment));
      expect(counter).toBe(20);
    });

    lockCase("passes the function's error through and releases the lock", async ({ store }) => {
      const failure = new Error('BI tool refused');
      await expect(store.withLock('group:7', async () => Promise.reject(failure))).rejects.toBe(failure);
      await expect(store.withLock('group:7', async () => 'next', { waitMs: 200 })).resolves.toBe('next');
    });

    lockCase('fails a waiter with LockTimeoutError once waitMs passes while the lock is held', async ({ store }) => {
      const holder = store.withLock('group:1', () => sleep(700, 'holder done'));
      await sleep(20);
      const started = performance.now();
      const waiterError = await store
        .withLock('group:1', async () => 'never', { waitMs: 150 })
        .then(
          () => null,
          (err: unknown) => err,
        );
      const waited = performance.now() - started;
      expect(waiterError).toBeInstanceOf(LockTimeoutError);
      expect(waiterError).toBeInstanceOf(StoreError);
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(waited).toBeLessThan(600);
      expect(await holder).toBe('holder done');
    });

    lockCase('does not make holders of different keys wait for each other, even keys that differ only in lone surrogates', async ({ store }) => {
      const holders = [store.withLock('group:1', () => sleep(500)), store.withLock('user:\ud800', () => sleep(500))];
      await sleep(20);
      await expect(store.withLock('group:2', async () => 'free', { waitMs: 150 })).resolves.toBe('free');
      await expect(store.withLock('user:\udc00', async () => 'free', { waitMs: 150 })).resolves.toBe('free');
      await Promise.all(holders);
    });

    lockCase('keeps the lock for a holder that works for several ttls, and frees it as soon as the holder is done', async ({ store }) => {
      const holder = store.withLock('user:bob', () => sleep(1_200, 'holder done'), { ttlMs: 300 });
      await sleep(900);
      await expect(store.withLock('user:bob', async () => 'stolen', { waitMs: 150 })).rejects.toBeInstanceOf(LockTimeoutError);
      expect(await holder).toBe('holder done');
      await expect(store.withLock('user:bob', async () => 'next', { waitMs: 100 })).resolves.toBe('next');
    });

    lockCase("frees a dead holder's lock within its ttl", async ({ store, takeLockAndDie }) => {
      await takeLockAndDie('user:carol', 500);
      const started = performance.now();
      await expect(store.withLock('user:carol', async () => 'taken over', { waitMs: 5_000 })).resolves.toBe('taken over');
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(1_500);
    });

    lockCase("after a dead holder's lock frees, lets one waiter in at a time, each working past the ttl", async ({ store, takeLockAndDie }) => {
      await takeLockAndDie('user:dan', 300);
      let inside = 0;
      let most = 0;
      const waiter = () =>
        store.withLock(
          'user:dan',
          async () => {
            most = Math.max(most, ++inside);
            await sleep(400);
            inside--;
          },
          { waitMs: 5_000, ttlMs: 200 },
        );
      await Promise.all([waiter(), waiter(), waiter()]);
      expect(most).toBe(1);
    });
  });
}
