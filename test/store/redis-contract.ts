// Runs the MappingStore contract on a Redis store at a URL (server, Sentinel or Cluster), each test in a namespace of its own.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { StoreError, type MappingStore } from '../../src/store/mapping-store.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.ts';
import { keyLayout } from '../../src/store/redis-keys.ts';
import { parseRedisUrl } from '../../src/store/redis-url.ts';
import { describeStoreContract } from './contract.ts';

export const uniqueNamespace = () => `bi-scim-test:${randomUUID()}`;

export function recordingLogger() {
  const lines: string[] = [];
  const record = (msg: string) => lines.push(msg);
  return { lines, info: record, warn: record, error: (_obj: unknown, msg?: string) => lines.push(msg ?? '') };
}

/** A plain ioredis client of the URL's kind, for looking at keys the way the store cannot be asked to. */
export function rawClient(url: string): RedisClient {
  const client = createRedisClient(parseRedisUrl(url).connection!);
  // Outage tests stop the servers under it; its reconnection errors are expected and not the subject.
  client.on('error', () => undefined);
  return client;
}

/** A request must fail within ~2 s while Redis is unreachable; the margin absorbs a busy test machine. */
const FAILS_WITHIN_MS = 2_500;

/** Each attempt rejects with StoreError, and promptly. */
export async function expectPromptStoreErrors(attempts: Array<() => Promise<unknown>>): Promise<void> {
  for (const attempt of attempts) {
    const started = performance.now();
    const error = await attempt().then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(performance.now() - started).toBeLessThan(FAILS_WITHIN_MS);
  }
}

/** Polls ping until the store answers again; bounded to 100 tries over about 20 s. */
export async function waitForRecovery(store: MappingStore): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await store.ping().then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(200);
  }
  throw new Error('the store did not reconnect within 20 s');
}

/** Starts servers before the enclosing suite, stops them after it, and runs the contract on their URL. */
export function useRedisServers<T extends { url: string; stop(): Promise<void> }>(name: string, start: () => Promise<T>): () => T {
  let servers: T;
  beforeAll(async () => {
    servers = await start();
  });
  afterAll(async () => {
    await servers?.stop();
  });
  describeRedisContract(name, () => servers.url);
  return () => servers;
}

/** Registers the contract suite; `url()` is read once the servers are up (in beforeAll). */
export function describeRedisContract(name: string, url: () => string): void {
  /** Another client, standing for a replica that takes a lock and is killed before it renews or releases it. */
  let other: RedisClient;
  beforeAll(() => {
    other = rawClient(url());
  });
  afterAll(() => other?.disconnect());

  describeStoreContract(name, async () => {
    const namespace = uniqueNamespace();
    return {
      store: await createStore({ redisUrl: url(), logger: recordingLogger(), namespace }),
      takeLockAndDie: async (key, ttlMs) => {
        await other.set(keyLayout(namespace).lock(key), 'killed-replica', 'PX', ttlMs, 'NX');
      },
    };
  });
}
