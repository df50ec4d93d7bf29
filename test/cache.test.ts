// PromiseCache: reuse within the time to live, one load for concurrent callers, failures forgotten, in-place updates.
import { describe, expect, it } from 'vitest';
import { PromiseCache } from '../src/cache.ts';

function counter() {
  let loads = 0;
  return {
    load: async () => ++loads,
    get loads() {
      return loads;
    },
  };
}

describe('PromiseCache', () => {
  it('reuses a value until its time to live has passed on the injected clock', async () => {
    let now = 1_000;
    const cache = new PromiseCache<string, number>({ ttlMs: 100, now: () => now });
    const source = counter();
    expect(await cache.get('k', source.load)).toBe(1);
    now += 99;
    expect(await cache.get('k', source.load)).toBe(1);
    now += 1;
    expect(await cache.get('k', source.load)).toBe(2);
  });

  it('shares one load among concurrent callers', async () => {
    const cache = new PromiseCache<string, number>();
    const source = counter();
    expect(await Promise.all([cache.get('k', source.load), cache.get('k', source.load)])).toEqual([1, 1]);
    expect(source.loads).toBe(1);
  });

  it('forgets a failed load so the next caller tries again', async () => {
    const cache = new PromiseCache<string, number>();
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });

  it('updates a cached value without renewing its age, and does nothing for a missing key', async () => {
    let now = 0;
    const cache = new PromiseCache<string, number[]>({ ttlMs: 10, now: () => now });
    await cache.get('k', async () => [1]);
    cache.update('k', (list) => [...list, 2]);
    cache.update('other', (list) => [...list, 3]);
    expect(await cache.get('k', async () => [])).toEqual([1, 2]);
    now = 10;
    expect(await cache.get('k', async () => [9])).toEqual([9]);
    expect(await cache.get('other', async () => [])).toEqual([]);
  });
});
