// The store's streams, sliding windows, values and maps: part of the MappingStore contract every store passes.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { MappingStore } from '../../src/store/mapping-store.ts';

const FOREVER = { maxEntries: 1_000, maxAgeMs: 86_400_000 };

export function describeOpsContract(store: () => MappingStore): void {
  describe('streams', () => {
    it('reads nothing from an empty stream, and nothing for a limit of 0', async () => {
      expect(await store().readStream('s-empty', { limit: 10, order: 'newest' })).toEqual([]);
      await store().append('s-empty', { n: 1 }, FOREVER);
      expect(await store().readStream('s-empty', { limit: 0, order: 'newest' })).toEqual([]);
    });

    it('returns entries newest or oldest first, exactly as appended, with increasing ids and their times', async () => {
      const before = Date.now();
      const ids = [];
      for (const n of [1, 2, 3, 4]) ids.push(await store().append('s-order', { n, nested: { list: [n] } }, FOREVER));
      const newest = await store().readStream('s-order', { limit: 2, order: 'newest' });
      expect(newest.map((e) => e.value)).toEqual([
        { n: 4, nested: { list: [4] } },
        { n: 3, nested: { list: [3] } },
      ]);
      expect(newest.map((e) => e.id)).toEqual([ids[3], ids[2]]);
      expect(newest[0].at).toBeGreaterThanOrEqual(before);
      expect((await store().readStream('s-order', { limit: 10, order: 'oldest' })).map((e) => (e.value as { n: number }).n)).toEqual([1, 2, 3, 4]);
    });

    it('gives back entries of any shape and text exactly, whatever came first', async () => {
      const values = [
        { big: 'x'.repeat(100_000), tail: 'ü'.repeat(5_000) },
        { n: 0 },
        { name: 'Zoë Ångström 日本語 😀', quote: '"\\\n', list: [1.5, null, true, { deep: 'é' }] },
        { big: 'y'.repeat(100_000), tail: 'ü'.repeat(5_000) },
        'a bare string',
        [],
      ];
      for (const value of values) await store().append('s-shapes', value, FOREVER);
      expect((await store().readStream('s-shapes', { limit: 10, order: 'oldest' })).map((e) => e.value)).toEqual(values);
    });

    it('pages with after and before ids, and filters by time', async () => {
      const ids = [];
      for (const n of [1, 2, 3]) ids.push(await store().append('s-page', { n }, FOREVER));
      expect((await store().readStream('s-page', { after: ids[0], limit: 10, order: 'oldest' })).map((e) => e.id)).toEqual([ids[1], ids[2]]);
      expect((await store().readStream('s-page', { before: ids[2], limit: 10, order: 'newest' })).map((e) => e.id)).toEqual([ids[1], ids[0]]);
      const later = Date.now() + 60_000;
      expect(await store().readStream('s-page', { fromMs: later, limit: 10, order: 'newest' })).toEqual([]);
      expect(await store().readStream('s-page', { toMs: 0, limit: 10, order: 'newest' })).toEqual([]);
    });

    it('drops entries beyond the retention count (approximately) and age', async () => {
      for (let n = 0; n < 300; n++) await store().append('s-count', { n }, { maxEntries: 50, maxAgeMs: 86_400_000 });
      const kept = await store().readStream('s-count', { limit: 1_000, order: 'newest' });
      expect(kept.length).toBeGreaterThanOrEqual(50);
      expect(kept.length).toBeLessThan(300);
      await store().append('s-age', { old: true }, FOREVER);
      await sleep(30);
      await store().append('s-age', { old: false }, { maxEntries: 1_000, maxAgeMs: 10 });
      expect((await store().readStream('s-age', { limit: 10, order: 'newest' })).map((e) => e.value)).toContainEqual({ old: false });
    });
  });

  describe('sliding windows', () => {
    it('admits events while they fit the budget, refuses the rest unless forced, and counts what is in the window', async () => {
      const at = Date.now();
      const request = { nowMs: at, windowMs: 60_000, budget: 3, force: false };
      expect(await store().admit('w-budget', { ...request, count: 2 })).toEqual({ admitted: true, inWindow: 2 });
      expect(await store().admit('w-budget', { ...request, count: 2 })).toEqual({ admitted: false, inWindow: 2 });
      expect(await store().admit('w-budget', { ...request, count: 1 })).toEqual({ admitted: true, inWindow: 3 });
      expect(await store().admit('w-budget', { ...request, count: 1, force: true })).toEqual({ admitted: true, inWindow: 4 });
      expect(await store().countWindow('w-budget', at, 60_000)).toBe(4);
      expect(await store().countWindow('w-budget', at + 60_001, 60_000)).toBe(0);
    });

    it('forgets events once they leave the window, and on clear', async () => {
      const at = Date.now();
      await store().admit('w-slide', { nowMs: at, windowMs: 1_000, budget: 1, count: 1, force: false });
      expect((await store().admit('w-slide', { nowMs: at + 500, windowMs: 1_000, budget: 1, count: 1, force: false })).admitted).toBe(false);
      expect((await store().admit('w-slide', { nowMs: at + 1_001, windowMs: 1_000, budget: 1, count: 1, force: false })).admitted).toBe(true);
      await store().clearWindow('w-slide');
      expect(await store().countWindow('w-slide', at + 1_001, 1_000)).toBe(0);
    });

    it('never lets concurrent callers overrun one budget', async () => {
      const at = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => store().admit('w-race', { nowMs: at, windowMs: 60_000, budget: 7, count: 1, force: false })),
      );
      expect(answers.filter((a) => a.admitted)).toHaveLength(7);
    });
  });

  describe('values and maps', () => {
    it('keeps values as JSON, forgets them after their ttl, and deletes them', async () => {
      expect(await store().getValue('v-missing')).toBeNull();
      await store().setValue('v-kept', { until: 'later', list: [1] });
      expect(await store().getValue('v-kept')).toEqual({ until: 'later', list: [1] });
      await store().setValue('v-short', 'gone soon', 20);
      await sleep(60);
      expect(await store().getValue('v-short')).toBeNull();
      await store().deleteValue('v-kept');
      expect(await store().getValue('v-kept')).toBeNull();
    });

    it('keeps map entries by field, and deletes one', async () => {
      expect(await store().getEntries('m')).toEqual({});
      await store().putEntry('m', 'okta', { lastUsedAt: 'x' });
      await store().putEntry('m', 'entra', { lastUsedAt: 'y' });
      await store().putEntry('m', 'okta', { lastUsedAt: 'z' });
      expect(await store().getEntries('m')).toEqual({ okta: { lastUsedAt: 'z' }, entra: { lastUsedAt: 'y' } });
      await store().deleteEntry('m', 'okta');
      expect(await store().getEntries('m')).toEqual({ entra: { lastUsedAt: 'y' } });
    });
  });
}
