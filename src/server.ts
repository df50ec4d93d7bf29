// Builds and runs the sidecar from a parsed Config: store → target → app → HTTP servers, with graceful shutdown.
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { Readiness } from './http/health.ts';
import { createMetrics, serveMetrics } from './http/metrics.ts';
import { createProvisioning } from './provisioning/context.ts';
import { createStore } from './store/index.ts';
import { instrumentStore } from './store/instrumented.ts';
import type { MappingStore } from './store/mapping-store.ts';
import { createTarget } from './targets/index.ts';
import type { Target } from './targets/target.ts';

export interface Sidecar {
  url: string;
  metricsUrl: string;
  store: MappingStore;
  target: Target;
  /** Stops accepting requests, lets in-flight ones finish, then closes the store and the BI client. */
  shutdown(): Promise<void>;
}

function listen(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

const close = (server: ServerType) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function startSidecar(config: Config, logger: Logger): Promise<Sidecar> {
  const metrics = createMetrics();
  const store = instrumentStore(await createStore({ redisUrl: config.redisUrl, logger }), metrics);
  if (config.tokens.length === 0 && (await store.listTokens()).length === 0) {
    await store.close();
    throw new Error('No bearer token is configured: set BI_SCIM_TOKENS or run `bi-scim token create --name <name>`');
  }
  const target = await createTarget(config, { withLock: (key, fn) => store.withLock(key, fn), onCall: metrics.observeBiCall });
  const provisioning = createProvisioning({
    store,
    target,
    logger,
    metrics,
    options: {
      groupMappings: config.groupMappings,
      protectedUsers: config.protectedUsers,
      usernameTemplate: config.target.kind === 'superset' ? config.superset.usernameTemplate : null,
      hardDelete: config.target.kind === 'superset' && config.superset.hardDelete,
    },
  });
  const readiness: Readiness = { draining: false };
  const app = createApp({ provisioning, logger, readiness, basePath: config.basePath, tokens: config.tokens, maxBodyBytes: config.maxBodyBytes, rateLimitRps: config.rateLimitRps });
  const { server, port } = await listen(app.fetch, config.host, config.port);
  const metricsServer = await serveMetrics(metrics.registry, config.host, config.metricsPort);
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const address = metricsServer.address();
  const sidecar = {
    url: `http://${host}:${port}${config.basePath === '/' ? '' : config.basePath}`,
    metricsUrl: `http://${host}:${typeof address === 'object' && address ? address.port : config.metricsPort}/metrics`,
    store,
    target,
    shutdown: async () => {
      readiness.draining = true;
      await Promise.all([close(server), close(metricsServer)]);
      await target.close();
      await store.close();
    },
  };
  logger.info({ url: sidecar.url, metrics: sidecar.metricsUrl, target: config.target.kind, store: store.kind }, 'bi-scim listening');
  return sidecar;
}
