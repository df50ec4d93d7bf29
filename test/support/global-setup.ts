// Vitest globalSetup: one real Redis for the whole run, handed to tests as inject('redisUrl').
// Importing 'vitest' (types only) brings the module into scope, so ProvidedContext can be augmented below.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startRedis } from './redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test Redis; each suite isolates itself with its own key prefix. */
    redisUrl: string;
  }
}

export default async function startSharedRedis(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async function stopSharedRedis() {
    await redis.stop();
  };
}
