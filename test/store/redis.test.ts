// The Redis store on one redis-server: the MappingStore contract, its key layout and round trips, and outages.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { MappingStore, StoredResource } from '../../src/store/mapping-store.ts';
import { type RunningRedis, startRedis } from '../support/redis-server.ts';
import { describeRedisContract, expectPromptStoreErrors, recordingLogger, uniqueNamespace, waitForRecovery } from './redis-contract.ts';

const user = (id: string, userName: string, externalId?: string): StoredResource => ({
  id,
  kind: 'User',
  attributes: externalId ? { userName, externalId } : { userName },
  created: '2025-03-01T10:00:00.000Z',
  lastModified: '2025-03-01T10:00:00.000Z',
});

describe('redis store on the shared test Redis', () => {
  describeRedisContract('redis', () => inject('redisUrl'));
});

describe('redis store on the wire', () => {
  let redis: RunningRedis;
  let raw: Redis;
  let store: MappingStore;
  const namespace = uniqueNamespace();
  const prefix = `{${namespace}}:`;
  const logger = recordingLogger();

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
    store = await createStore({ redisUrl: redis.url, logger, namespace });
    await store.ping();
  });
  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  const commandCalls = async (command: string): Promise<number> => {
    const stats = await raw.info('commandstats');
    return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  };

  it('lays keys out under one hash tag: JSON records, their index entries, a token hash, an audit stream', async () => {
    await store.put(user('1', 'Alice@Example.com', 'okta-1'));
    await store.putToken({ name: 'okta', sha256: 'f'.repeat(64), createdAt: '2025-03-01T10:00:00.000Z', expiresAt: null });
    await store.append('audit', { action: 'user.create' }, { maxEntries: 10, maxAgeMs: 60_000 });
    expect((await raw.keys(`${prefix}*`)).sort()).toEqual([
      `${prefix}User:1`,
      `${prefix}idx:User:externalId:okta-1`,
      `${prefix}idx:User:userName:alice@example.com`,
      `${prefix}idxof:User:1`,
      `${prefix}layout`,
      `${prefix}stream:audit`,
      `${prefix}tokens`,
    ]);
    expect(JSON.parse((await raw.get(`${prefix}User:1`))!)).toEqual(user('1', 'Alice@Example.com', 'okta-1'));
    expect(await raw.get(`${prefix}idx:User:userName:alice@example.com`)).toBe('1');
    expect(JSON.parse((await raw.get(`${prefix}idxof:User:1`))!)).toEqual([
      `${prefix}idx:User:userName:alice@example.com`,
      `${prefix}idx:User:externalId:okta-1`,
    ]);
    expect(await raw.type(`${prefix}tokens`)).toBe('hash');
    expect(await raw.type(`${prefix}stream:audit`)).toBe('stream');
  });

  it('spells an index value with lone surrogates with \\uXXXX escapes, under a key segment of its own', async () => {
    await store.put(user('40', '\ud83d\ude00\ud800\\@x.io'));
    expect(await raw.get(`${prefix}idx:User:userName-escaped:\ud83d\ude00\\ud800\\\\@x.io`)).toBe('40');
    await store.put(user('41', '\ud83d\ude00@x.io'));
    expect(await raw.get(`${prefix}idx:User:userName:\ud83d\ude00@x.io`)).toBe('41');
  });

  it('holds a lock as one expiring key under the hash tag and deletes it on release', async () => {
    const seenInside = await store.withLock('user:alice', async () => raw.pttl(`${prefix}lock:user:alice`), { ttlMs: 5_000 });
    expect(seenInside).toBeGreaterThan(0);
    expect(seenInside).toBeLessThanOrEqual(5_000);
    expect(await raw.exists(`${prefix}lock:user:alice`)).toBe(0);
  });

  it("stops renewing a lock another holder has since taken, leaves that holder's lock alone, and says so", async () => {
    const lockKey = `${prefix}lock:user:erin`;
    await store.withLock(
      'user:erin',
      async () => {
        // As if this holder's lock had expired while Redis was out of reach, and another replica had taken it.
        await raw.set(lockKey, 'other replica', 'PX', 5_000);
        await sleep(400);
      },
      { ttlMs: 300 },
    );
    expect(await raw.get(lockKey)).toBe('other replica');
    expect(await raw.pttl(lockKey)).toBeGreaterThan(4_000);
    expect(logger.lines).toContain('Redis lock "user:erin" may have been lost while its holder worked: it expired and another holder has it');
  });

  it("keeps a Group's declared members under a key of their own, and still reads a record that holds them itself", async () => {
    const group = (id: string, members?: string[]) => ({
      id,
      kind: 'Group' as const,
      attributes: { displayName: `g${id}` },
      created: 'c',
      lastModified: 'm',
      ...(members ? { members } : {}),
    });
    await store.put(group('40', ['1', '2']));
    expect(JSON.parse((await raw.get(`${prefix}Group:40`))!)).toEqual(group('40'));
    expect(JSON.parse((await raw.get(`${prefix}members:Group:40`))!)).toEqual(['1', '2']);
    // A record written by an earlier version, members inline.
    await raw.set(`${prefix}Group:41`, JSON.stringify(group('41', ['3'])));
    expect(await store.get('Group', '41', { members: true })).toEqual(group('41', ['3']));
    expect(await store.get('Group', '41')).toEqual(group('41'));
    await store.put(group('41', ['3', '4']));
    expect(JSON.parse((await raw.get(`${prefix}Group:41`))!)).toEqual(group('41'));
    await store.remove('Group', '40');
    expect(await raw.exists(`${prefix}Group:40`, `${prefix}members:Group:40`)).toBe(0);
  });

  it('fetches many records in a single MGET, not one GET per id', async () => {
    const ids = Array.from({ length: 50 }, (_, n) => `m${n}`);
    for (const id of ids.slice(0, 25)) await store.put(user(id, `user-${id}`));
    const [mgetBefore, getBefore] = [await commandCalls('mget'), await commandCalls('get')];
    const found = await store.getMany('User', ids);
    expect(found.size).toBe(25);
    expect(await commandCalls('mget')).toBe(mgetBefore + 1);
    expect(await commandCalls('get')).toBe(getBefore);
  });

  it('appends to a stream with XADD MAXLEN ~ <maxEntries>, so the stream stays near its cap', async () => {
    const monitor = await raw.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
    const xadd = () => seen.find((args) => args[0].toLowerCase() === 'xadd');
    try {
      await store.append('audit', { action: 'token.revoke' }, { maxEntries: 100_000, maxAgeMs: 86_400_000 });
      for (let attempt = 0; attempt < 40 && !xadd(); attempt++) await sleep(50);
    } finally {
      monitor.disconnect();
    }
    expect(xadd()!.slice(1, 7)).toEqual([`${prefix}stream:audit`, 'MAXLEN', '~', '100000', '*', 'data']);
  });
});

describe('redis store when Redis goes away', () => {
  it('rejects promptly with StoreError while Redis is down, and reconnects by itself when it returns', async () => {
    const first = await startRedis();
    const logger = recordingLogger();
    const store = await createStore({ redisUrl: first.url, logger, namespace: uniqueNamespace() });
    let second: RunningRedis | undefined;
    try {
      await store.put(user('1', 'alice'));
      await first.stop();

      await expectPromptStoreErrors([
        () => store.get('User', '1'),
        () => store.ping(),
        () => store.withLock('user:alice', async () => 'ran', { waitMs: 5_000 }),
      ]);

      second = await startRedis({ port: first.port });
      await waitForRecovery(store);
      await store.put(user('2', 'bob'));
      expect(await store.findId('User', 'userName', 'BOB')).toBe('2');
      expect(logger.lines.some((line) => /unreachable/.test(line))).toBe(true);
      expect(logger.lines.at(-1)).toMatch(/reachable again/);
    } finally {
      await store.close();
      await second?.stop();
      await first.stop();
    }
  });

  it.each([
    ['one server', 'redis://127.0.0.1:1'],
    ['sentinels', 'redis+sentinel://127.0.0.1:1,127.0.0.1:2/nobody'],
    ['cluster nodes', 'redis+cluster://127.0.0.1:1,127.0.0.1:2'],
  ])('is created without waiting for unreachable %s, and its ping fails promptly with StoreError', async (_, url) => {
    const store = await createStore({ redisUrl: url, logger: recordingLogger(), namespace: uniqueNamespace() });
    try {
      await expectPromptStoreErrors([() => store.ping()]);
    } finally {
      await store.close();
    }
  });
});
