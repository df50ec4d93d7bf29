// Builds and runs the sidecar from a parsed Config: store → target → app → HTTP server, with graceful shutdown.
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { Readiness } from './http/health.ts';
import type { Provisioning } from './provisioning/context.ts';
import { createStore } from './store/index.ts';
import type { MappingStore } from './store/mapping-store.ts';
import { createTarget } from './targets/index.ts';
import type { Target } from './targets/target.ts';

export interface Sidecar {
  url: string;
  store: MappingStore;
  target: Target;
  /** Stops accepting requests, lets in-flight ones finish, then closes the store and the BI client. */
  shutdown(): Promise<void>;
}

export async function buildProvisioning(config: Config, logger: Logger): Promise<Provisioning> {
  const store = await createStore({ redisUrl: config.redisUrl, logger });
  const target = createTarget(config, { withLock: (key, fn) => store.withLock(key, fn) });
  return {
    store,
    target,
    logger,
    options: {
      groupMappings: config.groupMappings,
      protectedUsers: config.protectedUsers,
      usernameTemplate: config.target.kind === 'superset' ? config.superset.usernameTemplate : null,
      hardDelete: config.target.kind === 'superset' && config.superset.hardDelete,
    },
  };
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

export async function startSidecar(config: Config, logger: Logger): Promise<Sidecar> {
  const provisioning = await buildProvisioning(config, logger);
  const { store, target } = provisioning;
  if (config.tokens.length === 0 && (await store.listTokens()).length === 0) {
    await store.close();
    throw new Error('No bearer token is configured: set BI_SCIM_TOKENS or run `bi-scim token create --name <name>`');
  }
  const readiness: Readiness = { draining: false };
  const app = createApp({ provisioning, logger, readiness, basePath: config.basePath, tokens: config.tokens, maxBodyBytes: config.maxBodyBytes, rateLimitRps: config.rateLimitRps });
  const { server, port } = await listen(app, config.host, config.port);
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}${config.basePath}`;
  logger.info({ url, target: config.target.kind, store: store.kind }, 'bi-scim listening');
  return {
    url,
    store,
    target,
    shutdown: async () => {
      readiness.draining = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await target.close();
      await store.close();
    },
  };
}
