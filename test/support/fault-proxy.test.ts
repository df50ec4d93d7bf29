// The fault proxy passes calls through untouched, fails writes before the double sees them, loses answers after it applied them, and slows answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { startMetabaseDouble, type MetabaseDouble } from './metabase-double.ts';
import { seededRandom } from './seeded-random.ts';

let double: MetabaseDouble;
let proxy: FaultProxy;

beforeEach(async () => {
  double = await startMetabaseDouble();
  proxy = await startFaultProxy({ upstream: double.url, random: seededRandom(7) });
});

afterEach(async () => {
  await proxy.close();
  await double.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${proxy.url}${path}`, {
    method,
    headers: { 'x-api-key': double.apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('fault proxy', () => {
  it('passes calls and answers through unchanged when no fault is switched on', async () => {
    const created = await call('POST', '/api/permissions/group', { name: 'Analysts' });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ name: 'Analysts' });
    const missing = await call('GET', '/api/user/999');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('Not found.');
    expect(proxy.counts()).toEqual({ forwarded: 2, failedBefore: 0, lostAfter: 0, slowed: 0 });
  });

  it('answers writes 503 without applying them, and lets reads through', async () => {
    proxy.set({ ...NO_FAULTS, failBefore: 1 });
    const refused = await call('POST', '/api/permissions/group', { name: 'Analysts' });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toBe('Metabase is still initializing. Please sit tight...');
    expect(double.state.groupByName('Analysts')).toBeUndefined();
    expect((await call('GET', '/api/permissions/group')).status).toBe(200);
    expect(proxy.counts().failedBefore).toBe(1);
  });

  it('applies a write and then loses its answer', async () => {
    proxy.set({ ...NO_FAULTS, loseAfter: 1 });
    await expect(call('POST', '/api/permissions/group', { name: 'Analysts' })).rejects.toThrow();
    expect(double.state.groupByName('Analysts')).toBeDefined();
    expect(proxy.counts().lostAfter).toBe(1);
  });

  it('holds slow answers back by the configured time', async () => {
    proxy.set({ ...NO_FAULTS, slowShare: 1, slowMs: 150 });
    const started = performance.now();
    expect((await call('GET', '/api/permissions/group')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(proxy.counts().slowed).toBe(1);
  });

  it('makes the same decisions in the same order for the same seed', async () => {
    const statuses = async (p: FaultProxy, prefix: string) => {
      p.set({ ...NO_FAULTS, failBefore: 0.5 });
      const seen: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${p.url}/api/permissions/group`, {
          method: 'POST',
          headers: { 'x-api-key': double.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `${prefix}-${i}` }),
        });
        seen.push(res.status);
      }
      return seen;
    };
    const twin = await startFaultProxy({ upstream: double.url, random: seededRandom(11) });
    const again = await startFaultProxy({ upstream: double.url, random: seededRandom(11) });
    try {
      const first = await statuses(twin, 'a');
      expect(first).toContain(503);
      expect(first).toContain(200);
      expect(await statuses(again, 'b')).toEqual(first);
    } finally {
      await twin.close();
      await again.close();
    }
  });
});
