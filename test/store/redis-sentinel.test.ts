// The Redis store on a real Sentinel set-up: the MappingStore contract, and no acknowledged write lost in a failover.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { StoreError, type MappingStore, type StoredResource } from '../../src/store/mapping-store.ts';
import { redisServerAvailable } from '../support/redis-server.ts';
import { startRedisSentinel } from '../support/redis-sentinel.ts';
import { recordingLogger, uniqueNamespace, useRedisServers, waitForRecovery } from './redis-contract.ts';

/** Writes keep coming during the failover: at most this many, one every WRITE_EVERY_MS. */
const MAX_WRITES = 2_000;
const WRITE_EVERY_MS = 5;
const available = await redisServerAvailable();

const user = (n: number): StoredResource => ({
  id: String(n),
  kind: 'User',
  attributes: { userName: `person-${n}@example.com` },
  created: '2025-03-01T10:00:00.000Z',
  lastModified: '2025-03-01T10:00:00.000Z',
  ...(n % 3 === 0 ? { deleted: true } : {}),
});

describe.skipIf(!available)('redis store on a Sentinel set-up', () => {
  const sentinel = useRedisServers('redis sentinel', startRedisSentinel);

  describe('failover', () => {
    let store: MappingStore;
    const logger = recordingLogger();
    beforeAll(async () => {
      store = await createStore({ redisUrl: sentinel().url, logger, namespace: uniqueNamespace() });
      await store.ping();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('keeps every write it acknowledged across a forced failover, and follows the new primary by itself', async () => {
      const acknowledged: number[] = [];
      let refused = 0;
      let failingOver = true;
      const writer = (async () => {
        for (let n = 1; n <= MAX_WRITES && failingOver; n++) {
          await store.put(user(n)).then(
            () => acknowledged.push(n),
            (err: unknown) => {
              expect(err).toBeInstanceOf(StoreError);
              refused++;
            },
          );
          await sleep(WRITE_EVERY_MS);
        }
      })();
      await sleep(300);
      const { from, to } = await sentinel().failover();
      failingOver = false;
      await writer;
      expect(await sentinel().primaryPort()).toBe(to);
      expect(to).not.toBe(from);

      await waitForRecovery(store);
      const stored = await store.getMany('User', acknowledged.map(String));
      expect(acknowledged.filter((n) => !stored.has(String(n)))).toEqual([]);
      expect(acknowledged.length).toBeGreaterThan(20);
      const tombstones = new Set(await store.deletedIds('User'));
      expect(acknowledged.filter((n) => n % 3 === 0 && !tombstones.has(String(n)))).toEqual([]);
      const last = acknowledged.at(-1)!;
      expect(await store.findId('User', 'userName', `PERSON-${last}@example.com`)).toBe(String(last));
      // The old primary rejoins as the new one's replica a moment after the switch; until then no write is confirmed.
      for (let attempt = 1; ; attempt++) {
        const put = await store.put(user(MAX_WRITES + 1)).then(
          () => null,
          (err: unknown) => err,
        );
        if (!put) break;
        if (!(put instanceof StoreError) || attempt === 20) throw put;
        await sleep(200);
      }
      expect(await store.get('User', String(MAX_WRITES + 1))).toEqual(user(MAX_WRITES + 1));
      console.info(`failover ${from} → ${to}: ${acknowledged.length} writes acknowledged, ${refused} refused while it ran`);
    }, 60_000);
  });
});
