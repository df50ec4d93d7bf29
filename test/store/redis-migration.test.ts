// Upgrading a deployment that ran before the hash-tagged key layout: its keys are moved once, at start-up, and nothing is lost.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { MappingStore, StoredResource } from '../../src/store/mapping-store.ts';
import { recordingLogger, uniqueNamespace } from './redis-contract.ts';

const AT = '2025-03-01T10:00:00.000Z';
const alice: StoredResource = { id: '1', kind: 'User', attributes: { userName: 'Alice@Example.com', externalId: 'okta-1' }, created: AT, lastModified: AT };
const gone: StoredResource = { id: '9', kind: 'User', attributes: { userName: 'gone@example.com' }, created: AT, lastModified: AT, deleted: true };
const token = { name: 'okta', sha256: 'a'.repeat(64), createdAt: AT, expiresAt: null };
const event = { at: AT, action: 'user.create', resourceType: 'User', resourceId: '1', outcome: 'success' };

/** What the store wrote before the hash-tagged layout: every key under `<namespace>:`, index lists naming full keys. */
async function writeOldLayout(raw: Redis, ns: string): Promise<void> {
  const index = (kind: string, name: string, value: string) => `${ns}:idx:${kind}:${name}:${value}`;
  const aliceIndexes = [index('User', 'userName', 'alice@example.com'), index('User', 'externalId', 'okta-1')];
  const goneIndexes = [index('User', 'userName', 'gone@example.com')];
  await raw
    .multi()
    .set(`${ns}:User:1`, JSON.stringify(alice))
    .set(`${ns}:idxof:User:1`, JSON.stringify(aliceIndexes))
    .set(aliceIndexes[0], '1')
    .set(aliceIndexes[1], '1')
    .set(`${ns}:User:9`, JSON.stringify(gone))
    .set(`${ns}:idxof:User:9`, JSON.stringify(goneIndexes))
    .set(goneIndexes[0], '9')
    .sadd(`${ns}:deleted:User`, '9')
    .hset(`${ns}:tokens`, 'okta', JSON.stringify(token))
    .xadd(`${ns}:audit`, '*', 'data', JSON.stringify(event))
    .set(`${ns}:lock:user:bob`, 'old holder', 'PX', 60_000)
    .exec();
}

describe('redis store upgrading a deployment from the layout before hash tags', () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(inject('redisUrl'));
  });
  afterAll(() => raw?.disconnect());

  const open = (namespace: string, logger = recordingLogger()) => createStore({ redisUrl: inject('redisUrl'), logger, namespace });

  it('serves the old records, indexes, tombstones, tokens and audit, and leaves no old key behind', async () => {
    const ns = uniqueNamespace();
    await writeOldLayout(raw, ns);
    const logger = recordingLogger();
    const store = await open(ns, logger);
    try {
      expect(await store.get('User', '1')).toEqual(alice);
      expect(await store.findId('User', 'userName', 'ALICE@example.com')).toBe('1');
      expect(await store.findId('User', 'externalId', 'okta-1')).toBe('1');
      expect(await store.findId('User', 'userName', 'gone@example.com')).toBe('9');
      expect(await store.deletedIds('User')).toEqual(['9']);
      expect(await store.listTokens()).toEqual([token]);
      expect((await store.readStream('audit', { limit: 10, order: 'newest' })).map((e) => e.value)).toEqual([event]);
      expect(await raw.keys(`${ns}:*`)).toEqual([]);
      expect(await raw.pttl(`{${ns}}:lock:user:bob`)).toBeGreaterThan(50_000);
      expect(logger.lines).toEqual([`Moved 11 Redis keys from ${ns}:… to {${ns}}:… (the hash-tagged layout)`]);
    } finally {
      await store.close();
    }
  });

  it("rewrites each record's list of index keys, so a rename after the upgrade drops the old entries", async () => {
    const ns = uniqueNamespace();
    await writeOldLayout(raw, ns);
    const store = await open(ns);
    try {
      await store.put({ ...alice, attributes: { userName: 'alice.smith@example.com' } });
      expect(await store.findId('User', 'userName', 'alice@example.com')).toBeNull();
      expect(await store.findId('User', 'externalId', 'okta-1')).toBeNull();
      expect(await store.findId('User', 'userName', 'alice.smith@example.com')).toBe('1');
    } finally {
      await store.close();
    }
  });

  it('migrates once when several replicas start together, and not again on the next start', async () => {
    const ns = uniqueNamespace();
    await writeOldLayout(raw, ns);
    const loggers = [recordingLogger(), recordingLogger(), recordingLogger()];
    const stores: MappingStore[] = await Promise.all(loggers.map((logger) => open(ns, logger)));
    try {
      const seen = await Promise.all(stores.map((store) => store.get('User', '1')));
      expect(seen).toEqual([alice, alice, alice]);
      expect(loggers.flatMap((logger) => logger.lines).filter((line) => line.startsWith('Moved'))).toHaveLength(1);
      const later = recordingLogger();
      stores.push(await open(ns, later));
      expect(await stores.at(-1)!.listTokens()).toEqual([token]);
      expect(later.lines).toEqual([]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
