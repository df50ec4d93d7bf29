// A throwaway redis-server that requires a password, for runs whose logs are scanned for it.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { spawnRedisProcess } from '../support/redis-server.ts';

export interface PasswordRedis {
  port: number;
  password: string;
  stop(): Promise<void>;
}

/** The password is set once the server answers PING: set from the start, it would refuse the readiness probe. */
export async function startPasswordRedis(): Promise<PasswordRedis> {
  const server = await spawnRedisProcess({});
  const password = `fz-redis-${randomBytes(12).toString('hex')}`;
  const client = new Redis({ host: '127.0.0.1', port: server.port });
  try {
    await client.config('SET', 'requirepass', password);
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    client.disconnect();
  }
  return { port: server.port, password, stop: server.stop };
}
