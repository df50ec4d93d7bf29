// The scoped store view over the Redis store: the same MappingStore contract, its keys under the scope.
import { afterAll, beforeAll, inject } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { RedisClient } from '../../src/store/redis-client.ts';
import { keyLayout } from '../../src/store/redis-keys.ts';
import { ScopedStore } from '../../src/store/scoped.ts';
import { describeStoreContract } from './contract.ts';
import { rawClient, recordingLogger, uniqueNamespace } from './redis-contract.ts';

const SCOPE = 'dry-run:okta-trial';
/** Another client, standing for a replica that takes a lock and is killed before it renews or releases it. */
let other: RedisClient;
beforeAll(() => {
  other = rawClient(inject('redisUrl'));
});
afterAll(() => other?.disconnect());

describeStoreContract('scoped view over redis', async () => {
  const namespace = uniqueNamespace();
  return {
    store: new ScopedStore(await createStore({ redisUrl: inject('redisUrl'), logger: recordingLogger(), namespace }), SCOPE),
    takeLockAndDie: async (key, ttlMs) => {
      await other.set(keyLayout(namespace).lock(`${SCOPE}:lock:${key}`), 'killed-replica', 'PX', ttlMs, 'NX');
    },
  };
});
