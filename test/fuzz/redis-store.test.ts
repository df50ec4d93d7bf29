// Fuzzing the app on a real, password-protected Redis, logging in to the Metabase double with a password (sessions).
import { randomUUID } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import { RedisStore } from '../../src/store/redis.ts';
import { startInProcess } from './in-process.ts';
import { startPasswordRedis, type PasswordRedis } from './password-redis.ts';
import { describeFuzzSuite, STORE_PROPERTIES } from './properties.ts';

let redis: PasswordRedis | undefined;

afterAll(async () => {
  await redis?.stop();
});

describe('fuzzed requests on a real Redis store', () => {
  describeFuzzSuite('redis', STORE_PROPERTIES, async (enforceTime) => {
    redis = await startPasswordRedis();
    const url = `redis://:${redis.password}@127.0.0.1:${redis.port}`;
    return startInProcess({
      store: (logger) => new RedisStore({ url, logger, namespace: `bi-scim-fuzz:${randomUUID()}` }),
      sessionLogin: true,
      storeSecrets: [{ name: 'Redis password', value: redis.password }],
      enforceTime,
    });
  });
});
