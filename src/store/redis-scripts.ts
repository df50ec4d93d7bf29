// The Redis store's Lua scripts: each runs atomically on the one server that holds its keys.

/**
 * Writes (ARGV[1]) or removes (ARGV[1] = '') one record together with its declared members and index entries,
 * atomically. KEYS: the record, the list of index keys its stored version holds, the kind's set of tombstoned ids,
 * the record's members, then the new version's index keys. ARGV: the record's JSON ('' to remove), its id, the new
 * index keys, '1' if tombstoned, the members' JSON ('' for none).
 * The previous entries are read from that list, so a put needs no prior read; each one is dropped only while it
 * still points at this id, because another resource may have claimed the value since, and the new entries are
 * set afterwards, so a value both versions hold survives. The previous entries are not in KEYS, which Redis
 * Cluster allows only because every key shares one hash tag, hence one slot (redis-keys.ts).
 */
const WRITE_RECORD_LUA = `
local id = ARGV[2]
local held = redis.call('GET', KEYS[2])
if held then
  for _, key in ipairs(cjson.decode(held)) do
    if redis.call('GET', key) == id then redis.call('DEL', key) end
  end
end
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
  redis.call('SREM', KEYS[3], id)
  return 1
end
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], id) else redis.call('SREM', KEYS[3], id) end
for i = 5, #KEYS do redis.call('SET', KEYS[i], id) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[5] == '' then redis.call('DEL', KEYS[4]) else redis.call('SET', KEYS[4], ARGV[5]) end
return 1
`;

/** Deletes a lock only while it still holds the caller's token, so an expired holder cannot free a successor's lock. */
const RELEASE_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Extends a lock's ttl (ARGV[2] ms) only while it still holds the caller's token (ARGV[1]): 1 if extended, else 0. */
const RENEW_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * A sliding window as a sorted set of event times: drops what has left the window, then adds ARGV[4] events at
 * ARGV[1] when they fit within ARGV[3] (or ARGV[5] = '1' forces them in). Answers {admitted (1/0), events in window}.
 * Atomic, so replicas sharing one budget can never overrun it between a count and an add.
 */
const ADMIT_LUA = `
local now, window, budget, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZCARD', KEYS[1])
if ARGV[5] ~= '1' and held + count > budget then return {0, held} end
local seq = redis.call('INCR', KEYS[1] .. ':seq')
for i = 1, count do redis.call('ZADD', KEYS[1], now, seq .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[1] .. ':seq', window)
return {1, held + count}
`;

/** For ioredis defineCommand; writeRecord takes its key count first, as EVAL does. */
export const STORE_SCRIPTS = {
  writeRecord: { lua: WRITE_RECORD_LUA },
  releaseLock: { numberOfKeys: 1, lua: RELEASE_LOCK_LUA },
  renewLock: { numberOfKeys: 1, lua: RENEW_LOCK_LUA },
  admit: { numberOfKeys: 1, lua: ADMIT_LUA },
};

export interface StoreScripts {
  writeRecord(numKeys: number, ...keysThenArgs: string[]): Promise<number>;
  releaseLock(key: string, token: string): Promise<number>;
  renewLock(key: string, token: string, ttlMs: number): Promise<number>;
  admit(key: string, nowMs: number, windowMs: number, budget: number, count: number, force: '0' | '1'): Promise<[number, number]>;
}
