// The Redis store's streams (XADD/XRANGE), sliding windows (a sorted set and one script), values and maps.
import type { ChainableCommander } from 'ioredis';
import type { StreamEntry, StreamQuery, StreamRetention, WindowRequest } from './mapping-store.ts';
import type { RedisClient } from './redis-client.ts';
import type { KeyLayout } from './redis-keys.ts';
import type { StoreScripts } from './redis-scripts.ts';

export interface RedisOpsContext {
  redis: RedisClient & StoreScripts;
  keys: KeyLayout;
  /** Sends one write (confirmed by a replica where the store asks for that) and answers its reply. */
  confirmed<T>(write: (pipeline: ChainableCommander) => ChainableCommander): Promise<T>;
}

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));
const msOf = (id: string) => Number(id.split('-')[0]);

export function redisOps({ redis, keys, confirmed }: RedisOpsContext) {
  return {
    /** `~` lets Redis trim whole macro nodes: cheap, and the stream stays near both bounds. */
    async append(stream: string, value: unknown, { maxEntries, maxAgeMs }: StreamRetention): Promise<string> {
      const key = keys.stream(stream);
      const id = await confirmed<string>((p) => p.xadd(key, 'MAXLEN', '~', maxEntries, '*', 'data', JSON.stringify(value)));
      await redis.xtrim(key, 'MINID', '~', String(msOf(id) - maxAgeMs));
      return id;
    },

    async read(stream: string, { fromMs, toMs, after, before, limit, order }: StreamQuery): Promise<StreamEntry[]> {
      if (limit <= 0) return [];
      const start = after ? `(${after}` : fromMs !== undefined ? String(fromMs) : '-';
      const end = before ? `(${before}` : toMs !== undefined ? `${toMs}-18446744073709551615` : '+';
      const key = keys.stream(stream);
      const rows = order === 'newest' ? await redis.xrevrange(key, end, start, 'COUNT', limit) : await redis.xrange(key, start, end, 'COUNT', limit);
      return rows
        .filter(([id]) => (fromMs === undefined || msOf(id) >= fromMs) && (toMs === undefined || msOf(id) <= toMs))
        .map(([id, fields]) => ({ id, at: msOf(id), value: parse(fields[fields.indexOf('data') + 1]) }));
    },

    async admit(window: string, { nowMs, windowMs, budget, count, force }: WindowRequest): Promise<{ admitted: boolean; inWindow: number }> {
      const [admitted, inWindow] = await confirmed<[number, number]>(
        (p) => (p as unknown as StoreScripts).admit(keys.window(window), nowMs, windowMs, budget, count, force ? '1' : '0') as unknown as ChainableCommander,
      );
      return { admitted: admitted === 1, inWindow };
    },

    async count(window: string, nowMs: number, windowMs: number): Promise<number> {
      return redis.zcount(keys.window(window), `(${nowMs - windowMs}`, '+inf');
    },

    async clear(window: string): Promise<void> {
      await confirmed((p) => p.del(keys.window(window)));
    },

    async getValue(key: string): Promise<unknown> {
      return parse(await redis.get(keys.value(key)));
    },

    async setValue(key: string, value: unknown, ttlMs?: number): Promise<void> {
      const json = JSON.stringify(value);
      await confirmed((p) => (ttlMs === undefined ? p.set(keys.value(key), json) : p.set(keys.value(key), json, 'PX', Math.max(1, Math.ceil(ttlMs)))));
    },

    async deleteValue(key: string): Promise<void> {
      await confirmed((p) => p.del(keys.value(key)));
    },

    async putEntry(map: string, field: string, value: unknown): Promise<void> {
      await confirmed((p) => p.hset(keys.map(map), field, JSON.stringify(value)));
    },

    async getEntries(map: string): Promise<Record<string, unknown>> {
      const raw = await redis.hgetall(keys.map(map));
      return Object.fromEntries(Object.entries(raw).map(([field, json]) => [field, parse(json)]));
    },

    async deleteEntry(map: string, field: string): Promise<void> {
      await confirmed((p) => p.hdel(keys.map(map), field));
    },
  };
}
