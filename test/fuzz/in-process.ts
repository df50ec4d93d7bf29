// The sidecar in process: createApp over a given store and the Metabase double, logging at debug into memory.
import { createApp } from '../../src/app.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { noMetrics } from '../../src/metrics.ts';
import { createProvisioning } from '../../src/provisioning/context.ts';
import type { MappingStore } from '../../src/store/mapping-store.ts';
import { MetabaseTarget } from '../../src/targets/metabase/adapter.ts';
import type { MetabaseCredentials } from '../../src/targets/metabase/session.ts';
import { parseConfiguredTokens } from '../../src/tokens.ts';
import { collectLogLines, type Secret } from '../support/log-secrets.ts';
import { startMetabaseDouble } from '../support/metabase-double.ts';
import { BASE_PATH, FuzzHarness, metabaseDoubleSecrets, TOKEN } from './harness.ts';

export interface InProcessOptions {
  /** Made after the logger, so the store logs into the same lines. */
  store: (logger: Logger) => MappingStore;
  /** Log in with the double's admin password (sessions) instead of its API key. */
  sessionLogin: boolean;
  /** Secrets of the store (a Redis password) to scan the logs for. */
  storeSecrets: Secret[];
  enforceTime: boolean;
}

export async function startInProcess(options: InProcessOptions): Promise<FuzzHarness> {
  const { destination, lines } = collectLogLines();
  const logger = createLogger('debug', destination);
  const double = await startMetabaseDouble();
  const doubleSecrets = metabaseDoubleSecrets(double);
  const credentials: MetabaseCredentials = options.sessionLogin ? { username: double.adminEmail, password: double.adminPassword } : { apiKey: double.apiKey };
  const store = options.store(logger);
  const target = new MetabaseTarget({ url: double.url, credentials, timeoutMs: 5_000 });
  const provisioning = createProvisioning({
    store,
    target,
    logger,
    metrics: noMetrics,
    options: { groupMappings: [], protectedUsers: [], usernameTemplate: null, hardDelete: false },
  });
  const app = createApp({ provisioning, logger, basePath: BASE_PATH, tokens: parseConfiguredTokens(TOKEN, 'env'), maxBodyBytes: 1_048_576, rateLimitRps: 0 });
  return new FuzzHarness({
    request: async (path, init) => app.request(path, init),
    biOrigin: new URL(double.url).host,
    logLines: lines,
    secrets: () => [...doubleSecrets(), ...options.storeSecrets],
    enforceTime: options.enforceTime,
    double,
    close: async () => {
      await target.close();
      await store.close();
      await double.close();
    },
  });
}
