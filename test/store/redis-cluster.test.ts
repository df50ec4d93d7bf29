// The Redis store on a real 3-master Redis Cluster: the MappingStore contract, one slot per deployment, and outages.
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { MappingStore } from '../../src/store/mapping-store.ts';
import { startRedisCluster } from '../support/redis-cluster.ts';
import { redisServerAvailable } from '../support/redis-server.ts';
import { expectPromptStoreErrors, rawClient, recordingLogger, uniqueNamespace, useRedisServers } from './redis-contract.ts';

const available = await redisServerAvailable();
const AT = '2025-03-01T10:00:00.000Z';

describe.skipIf(!available)('redis store on a Redis Cluster', () => {
  const cluster = useRedisServers('redis cluster', startRedisCluster);

  describe('keys and outages', () => {
    let store: MappingStore;
    let raw: Cluster;
    const namespace = uniqueNamespace();
    beforeAll(async () => {
      store = await createStore({ redisUrl: cluster().url, logger: recordingLogger(), namespace });
      raw = rawClient(cluster().url) as Cluster;
    });
    afterAll(async () => {
      await store?.close();
      raw?.disconnect();
    });

    it("keeps all of a deployment's keys in the one slot of its hash tag, on one master", async () => {
      await store.put({ id: '1', kind: 'User', attributes: { userName: 'alice', externalId: 'okta-1' }, created: AT, lastModified: AT });
      await store.putToken({ name: 'okta', sha256: 'a'.repeat(64), createdAt: AT, expiresAt: null });
      await store.append('audit', { at: AT, action: 'user.create' }, { maxEntries: 10, maxAgeMs: 60_000 });
      await store.admit('guard', { nowMs: Date.now(), windowMs: 60_000, budget: 5, count: 1, force: false });
      await store.withLock('user:alice', async () => undefined);
      const masters = raw.nodes('master');
      const holders = await Promise.all(masters.map((node) => node.keys(`{${namespace}}:*`)));
      const holder = holders.findIndex((keys) => keys.length > 0);
      expect(holders.filter((keys) => keys.length > 0)).toHaveLength(1);
      expect(holders[holder].length).toBeGreaterThanOrEqual(6);
      const slot = Number(await masters[holder].cluster('KEYSLOT', `{${namespace}}`));
      expect(await masters[holder].cluster('COUNTKEYSINSLOT', slot)).toBe(holders[holder].length);
    });

    // Last: it stops the cluster.
    it('rejects promptly with StoreError once every node is gone', async () => {
      await store.ping();
      await cluster().stop();
      await expectPromptStoreErrors([() => store.get('User', '1'), () => store.ping(), () => store.withLock('user:bob', async () => 'ran', { waitMs: 5_000 })]);
    });
  });
});
