// The real sidecar process (`node src/main.ts serve`) over HTTP, on a password-protected Redis, logging at debug.
import type { Secret } from '../support/log-secrets.ts';
import type { MetabaseDouble } from '../support/metabase-double.ts';
import { guardOffConfig, startSidecarProcess } from '../support/sidecar-process.ts';
import { FuzzHarness, metabaseDoubleSecrets, TOKEN } from './harness.ts';
import { startPasswordRedis } from './password-redis.ts';

/** The BI tool the process talks to: its settings, where it lives, and its credentials. */
export interface BiTool {
  env: Record<string, string>;
  url: string;
  secrets: () => Secret[];
  double?: MetabaseDouble;
  /** Stops what was started for it (the double), after the sidecar. */
  close?: () => Promise<void>;
}

/** The Metabase double, logged in to with its admin's password; the sessions it hands out are secrets too. */
export function metabaseDoubleTool(double: MetabaseDouble, password = double.adminPassword): BiTool {
  const secrets = metabaseDoubleSecrets(double);
  return {
    env: { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: double.url, BI_SCIM_TARGET_USERNAME: double.adminEmail, BI_SCIM_TARGET_PASSWORD: password },
    url: double.url,
    secrets: () => [...secrets(), { name: 'password given to bi-scim', value: password }],
    double,
    close: () => double.close(),
  };
}

export async function startAsProcess(tool: BiTool, enforceTime: boolean): Promise<FuzzHarness> {
  const redis = await startPasswordRedis();
  try {
    const sidecar = await startSidecarProcess({
      ...tool.env,
      BI_SCIM_TOKENS: TOKEN,
      BI_SCIM_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      BI_SCIM_REDIS_PASSWORD: redis.password,
      BI_SCIM_LOG_LEVEL: 'debug',
      BI_SCIM_CONFIG: await guardOffConfig(),
    });
    return new FuzzHarness({
      request: (path, init) => fetch(`${sidecar.origin}${path}`, init),
      biOrigin: new URL(tool.url).host,
      logLines: sidecar.logs,
      secrets: () => [...tool.secrets(), { name: 'Redis password', value: redis.password }],
      enforceTime,
      double: tool.double,
      close: async () => {
        await sidecar.stop();
        await redis.stop();
        await tool.close?.();
      },
    });
  } catch (err) {
    await redis.stop();
    await tool.close?.();
    throw err;
  }
}
