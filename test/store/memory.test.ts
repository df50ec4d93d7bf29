// The in-memory store: the MappingStore contract, its stream cap, and its selection by the factory.
import { describe, expect, it } from 'vitest';
import { createStore, MEMORY_STORE_WARNING } from '../../src/store/index.ts';
import { LocalLocks } from '../../src/store/local-locks.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { MEMORY_STREAM_CAP } from '../../src/store/memory-ops.ts';
import { describeStoreContract } from './contract.ts';

describeStoreContract('memory', async () => {
  // A second store sharing the locks stands for another replica; the dead one takes a lock and never renews it.
  const locks = new LocalLocks();
  return {
    store: new MemoryStore({ locks }),
    takeLockAndDie: async (key, ttlMs) => {
      await locks.acquire(key, 0, ttlMs);
    },
  };
});

describe('memory store', () => {
  it('keeps only the newest 10,000 entries of a stream, whatever the retention asks', async () => {
    const store = new MemoryStore();
    const total = MEMORY_STREAM_CAP + 5;
    const retention = { maxEntries: 1_000_000, maxAgeMs: 86_400_000 };
    for (let n = 1; n <= total; n++) await store.append('audit', { n }, retention);
    const trail = await store.readStream('audit', { limit: total, order: 'newest' });
    expect(trail).toHaveLength(10_000);
    expect(trail[0].value).toEqual({ n: total });
    expect(trail.at(-1)!.value).toEqual({ n: 6 });
  });

  it('is what the factory builds without a Redis URL, with a warning that it suits one replica only', async () => {
    const warnings: string[] = [];
    const store = await createStore({ redisUrl: null, logger: { warn: (msg) => warnings.push(msg) } });
    expect(store.kind).toBe('memory');
    expect(warnings).toEqual([MEMORY_STORE_WARNING]);
    expect(MEMORY_STORE_WARNING).toMatch(/single replica/);
    expect(MEMORY_STORE_WARNING).toMatch(/on restart/);
    await store.close();
  });
});
