// Builds and runs the sidecar from a parsed Config: store → target → app → HTTP servers, with a graceful drain.
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { Readiness } from './http/health.ts';
import type { Server } from 'node:http';
import { answerClientErrors } from './http/client-errors.ts';
import { dependencyHealth } from './http/health.ts';
import { createMetrics, serveMetrics } from './http/metrics.ts';
import { registerStateGauges } from './http/state-metrics.ts';
import { recordBiCall } from './operations/audit.ts';
import { DriftMonitor } from './operations/drift-monitor.ts';
import { createOperations, provisioningOptions } from './operations/setup.ts';
import { createProvisioning } from './provisioning/context.ts';
import { createStore } from './store/index.ts';
import { instrumentStore } from './store/instrumented.ts';
import type { MappingStore } from './store/mapping-store.ts';
import { createTarget } from './targets/index.ts';
import type { Target } from './targets/target.ts';
import { VERSION } from './version.ts';
import { createConsoleApp } from './admin/app.ts';
import { readReplicas, ReplicaHeartbeat } from './admin/replicas.ts';

export interface Sidecar {
  url: string;
  metricsUrl: string;
  /** The operator console's address; null when no admin token is configured. */
  consoleUrl: string | null;
  store: MappingStore;
  target: Target;
  /**
   * Fails readiness at once, keeps serving for the grace period (so load balancers stop sending), then stops
   * accepting and gives in-flight requests until the timeout. Resolves true when everything finished in time.
   */
  shutdown(): Promise<boolean>;
}

function listen(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, () => resolve(server));
    server.once('error', reject);
    answerClientErrors(server as Server);
  });
}

/** Stops accepting; idle keep-alive connections close now, busy ones when their request ends. */
function close(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

const portOf = (server: ServerType, fallback: number) => {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : fallback;
};

/** How often tokens are checked for rotation and expiry (token.expiring is raised once per token). */
const TOKEN_CHECK_EVERY_MS = 3_600_000;

/** The console must never open with an IdP's token: BI_SCIM_TOKENS is checked with the config, the store's here. */
async function refuseIdpTokensAsAdmin(config: Config, store: MappingStore): Promise<void> {
  if (config.admin.tokens.length === 0) return;
  const stored = new Set((await store.listTokens()).map((t) => t.sha256));
  const shared = config.admin.tokens.filter((t) => stored.has(t.sha256)).map((t) => t.name);
  if (shared.length > 0) throw new Error(`BI_SCIM_ADMIN_TOKENS: ${shared.join(', ')} is also an IdP token in the store; an admin token must be its own`);
}

/** `env` is where webhook secrets are read (alerts.webhooks[].secretEnv): main.ts passes process.env. */
export async function startSidecar(config: Config, logger: Logger, env: Record<string, string | undefined> = {}): Promise<Sidecar> {
  const metrics = createMetrics();
  const store = instrumentStore(await createStore({ redisUrl: config.redisUrl, logger }), metrics);
  const servers: ServerType[] = [];
  let target: Target | null = null;
  /** Stopped on shutdown, after the listeners close and before the clients do. */
  const stoppers: Array<() => Promise<void> | void> = [];
  const release = async () => {
    await Promise.all(servers.map(close));
    for (const stop of stoppers) await stop();
    await target?.close();
    await store.close();
  };
  try {
    if (config.idpTokens.length === 0 && (await store.listTokens()).length === 0) {
      throw new Error('No bearer token is configured: set BI_SCIM_TOKENS or run `bi-scim token create --name <name>`');
    }
    await refuseIdpTokensAsAdmin(config, store);
    target = await createTarget(config, {
      withLock: (key, fn) => store.withLock(key, fn),
      onCall: (sample) => {
        metrics.observeBiCall(sample);
        recordBiCall(sample);
      },
    });
    const ops = createOperations({ config, store, target, logger, metrics, env });
    const tokenCheck = setInterval(() => void ops.warnAboutTokens().catch((err: unknown) => logger.warn({ err }, 'token check failed')), TOKEN_CHECK_EVERY_MS);
    tokenCheck.unref();
    void ops.warnAboutTokens().catch((err: unknown) => logger.warn({ err }, 'token check failed'));
    // Pending alerts get a few seconds to go out; what is left is counted as dropped.
    stoppers.push(
      () => clearInterval(tokenCheck),
      () => ops.alerts.close(Math.min(5_000, config.shutdown.timeoutMs)),
    );
    const health = dependencyHealth(store, target, logger);
    const provisioning = createProvisioning({
      store,
      target,
      logger,
      metrics,
      audit: ops.audit,
      guard: ops.guard,
      options: provisioningOptions(config),
    });
    const drift = new DriftMonitor({ p: provisioning, settings: config.drift, logger });
    drift.start();
    // First to stop: a round in progress still records its audit events and alerts before those close.
    stoppers.unshift(() => drift.stop());
    registerStateGauges(metrics.registry, {
      version: VERSION,
      target: config.target.kind,
      health,
      guard: () => ops.guard.state(),
      tokens: () => ops.tokens(),
      drift: () => drift.summary(),
    });
    // Every replica beats when the console is on, so any replica's console lists them all with their callers.
    const heartbeat = config.admin.tokens.length > 0 ? new ReplicaHeartbeat(store, VERSION) : null;
    if (heartbeat) {
      heartbeat.start((err) => logger.warn({ err }, 'replica heartbeat failed'));
      stoppers.push(() => heartbeat.stop().catch((err: unknown) => logger.warn({ err }, 'replica heartbeat failed')));
    }
    const readiness: Readiness = { draining: false };
    const app = createApp({
      provisioning,
      logger,
      readiness,
      health,
      tokenUsage: ops.tokenUsage,
      basePath: config.basePath,
      tokens: config.idpTokens,
      maxBodyBytes: config.maxBodyBytes,
      rateLimitRps: config.rateLimitRps,
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
      onCallerRequest: heartbeat ? (token, userAgent, status) => heartbeat.countRequest(token, userAgent, status) : undefined,
    });
    const scim = await listen(app.fetch, config.host, config.port);
    servers.push(scim);
    const metricsServer = await serveMetrics(metrics.registry, config.host, config.metricsPort);
    servers.push(metricsServer);
    const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    let consoleUrl: string | null = null;
    if (heartbeat) {
      const consoleApp = createConsoleApp({
        config,
        provisioning,
        logger,
        health,
        guard: ops.guard,
        tokens: () => ops.tokens(),
        drift,
        replicas: async () => {
          await heartbeat.beat();
          return readReplicas(store);
        },
        adminTokens: config.admin.tokens,
        trustProxy: config.trustProxy,
      });
      const consoleServer = await listen(consoleApp.fetch, config.host, config.admin.port);
      servers.push(consoleServer);
      consoleUrl = `http://${host}:${portOf(consoleServer, config.admin.port)}`;
    }
    const sidecar: Sidecar = {
      url: `http://${host}:${portOf(scim, config.port)}${config.basePath === '/' ? '' : config.basePath}`,
      metricsUrl: `http://${host}:${portOf(metricsServer, config.metricsPort)}/metrics`,
      consoleUrl,
      store,
      target,
      shutdown: async () => {
        readiness.draining = true;
        await sleep(config.shutdown.graceMs);
        const finished = await Promise.race([release().then(() => true), sleep(config.shutdown.timeoutMs, false)]);
        if (!finished) for (const server of servers) if ('closeAllConnections' in server) server.closeAllConnections();
        return finished;
      },
    };
    logger.info({ url: sidecar.url, metrics: sidecar.metricsUrl, console: consoleUrl, target: config.target.kind, store: store.kind }, 'bi-scim listening');
    return sidecar;
  } catch (err) {
    // Nothing half-started stays behind: a listener that came up is closed again with the clients.
    await release();
    throw err;
  }
}
