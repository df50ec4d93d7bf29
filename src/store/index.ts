// Chooses the MappingStore: Redis when a URL is configured, otherwise the in-memory store for a single replica.
import type { MappingStore } from './mapping-store.ts';
import { MemoryStore } from './memory.ts';
import { RedisStore, type StoreLogger } from './redis.ts';

export interface StoreOptions {
  /** BI_SCIM_REDIS_URL, with the passwords from their own variables already applied (config.ts). */
  redisUrl: string | null;
  logger: StoreLogger;
  /** The hash tag of every key in Redis (default `bi-scim`, keys `{bi-scim}:…`); ignored by the in-memory store. */
  namespace?: string;
}

export const MEMORY_STORE_WARNING =
  'No Redis configured (BI_SCIM_REDIS_URL): the in-memory store suits a single replica only and loses its state ' +
  '(tokens created at run time, tombstones, original-case attributes, audit) on restart';

/** Never waits for Redis: an unreachable Redis shows up as StoreError from ping() and every operation. */
export async function createStore(options: StoreOptions): Promise<MappingStore> {
  if (options.redisUrl === null) {
    options.logger.warn(MEMORY_STORE_WARNING);
    return new MemoryStore();
  }
  return new RedisStore({ url: options.redisUrl, logger: options.logger, namespace: options.namespace });
}
