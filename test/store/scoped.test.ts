// The scoped store view: the MappingStore contract over a memory store, isolation from the base, and dropping a scope.
import { describe, expect, it } from 'vitest';
import { LocalLocks } from '../../src/store/local-locks.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { ScopedStore } from '../../src/store/scoped.ts';
import { describeStoreContract } from './contract.ts';

const SCOPE = 'dry-run:okta-trial';

describeStoreContract('scoped view', async () => {
  const locks = new LocalLocks();
  return {
    store: new ScopedStore(new MemoryStore({ locks }), SCOPE),
    // The view's locks are the base store's, under the scope's keys.
    takeLockAndDie: async (key, ttlMs) => {
      await locks.acquire(`${SCOPE}:lock:${key}`, 0, ttlMs);
    },
  };
});

const alice = {
  id: '7',
  kind: 'User' as const,
  attributes: { userName: 'Alice@Example.com' },
  created: '2026-01-01T00:00:00Z',
  lastModified: '2026-01-01T00:00:00Z',
};

describe('scoped view', () => {
  it('keeps records and indexes apart from the base store and from other scopes', async () => {
    const base = new MemoryStore();
    const scoped = new ScopedStore(base, SCOPE);
    await scoped.put(alice);
    expect(await base.get('User', '7')).toBeNull();
    expect(await base.findId('User', 'userName', 'alice@example.com')).toBeNull();
    expect(await new ScopedStore(base, 'dry-run:other').findId('User', 'userName', 'alice@example.com')).toBeNull();
    await base.put({ ...alice, id: '8' });
    expect(await scoped.findId('User', 'userName', 'alice@example.com')).toBe('7');
    expect(await base.findId('User', 'userName', 'alice@example.com')).toBe('8');
  });

  it('drops everything it holds, and nothing of the base', async () => {
    const base = new MemoryStore();
    const scoped = new ScopedStore(base, SCOPE);
    await base.put(alice);
    await scoped.put({ ...alice, deleted: true });
    await scoped.setValue('k', 1);
    await scoped.putEntry('m', 'f', { x: 1 });
    await scoped.drop();
    expect(await scoped.get('User', '7')).toBeNull();
    expect(await scoped.findId('User', 'userName', 'alice@example.com')).toBeNull();
    expect(await scoped.deletedIds('User')).toEqual([]);
    expect(await scoped.getValue('k')).toBeNull();
    expect(await scoped.getEntries('m')).toEqual({});
    expect(await base.get('User', '7')).toEqual(alice);
    expect(await base.findId('User', 'userName', 'alice@example.com')).toBe('7');
  });
});
