// A provisioning set-up on Redis Sentinel for fault tests: Sentinel, the Metabase double, the real sidecar, a retrying IdP.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../../src/tokens.ts';
import { createStore } from '../../src/store/index.ts';
import type { MappingStore } from '../../src/store/mapping-store.ts';
import { startMetabaseDouble, type MetabaseDouble } from './metabase-double.ts';
import { startRedisSentinel, type RunningSentinel } from './redis-sentinel.ts';
import { stopAll } from './redis-server.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from './sidecar-process.ts';

export interface ScimAnswer {
  status: number;
  body: any;
  /** How many earlier attempts failed and were retried. */
  retries: number;
}

export interface RetryingScim {
  request(method: string, path: string, body?: unknown): Promise<ScimAnswer>;
  /** Requests answered only after at least one retry, so far. */
  readonly retried: number;
}

export interface SentinelSidecar {
  sentinel: RunningSentinel;
  double: MetabaseDouble;
  sidecar: SidecarProcess;
  /** A bearer token that exists only in the store: each authenticated request proves the token survived. */
  token: string;
  scim: RetryingScim;
  /** A store on the same Redis, for reading bi-scim's state directly. */
  store: MappingStore;
  stop(): Promise<void>;
}

/** An IdP retries 5xx and 429 answers and lost connections; these bound each request's retries in count and time. */
const RETRY = { attempts: 200, withinMs: 45_000, delayMs: 200 };
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** Retries as an IdP does; each retry waits Retry-After (at most 2 s) or 200 ms. */
export function retryingScimClient(baseUrl: string, token: string): RetryingScim {
  let retried = 0;
  const once = (method: string, path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  return {
    get retried() {
      return retried;
    },
    async request(method, path, body) {
      const deadline = Date.now() + RETRY.withinMs;
      for (let attempt = 0; attempt < RETRY.attempts && Date.now() < deadline; attempt++) {
        const response = await once(method, path, body).catch(() => null);
        if (response && !RETRYABLE.has(response.status)) {
          if (attempt > 0) retried++;
          const text = await response.text();
          return { status: response.status, body: text ? JSON.parse(text) : null, retries: attempt };
        }
        await response?.body?.cancel();
        const retryAfter = Number(response?.headers.get('retry-after'));
        await sleep(retryAfter > 0 ? Math.min(retryAfter * 1000, 2_000) : RETRY.delayMs);
      }
      throw new Error(`${method} ${path} still failed after retrying for ${RETRY.withinMs} ms`);
    },
  };
}

/** Starts everything on 127.0.0.1; the token is written to the store before the sidecar starts (no BI_SCIM_TOKENS). */
export async function startSentinelSidecar(): Promise<SentinelSidecar> {
  const parts: Partial<SentinelSidecar> = {};
  const stop = async () => {
    await parts.sidecar?.stop();
    await parts.store?.close();
    await stopAll([parts.double && { stop: () => parts.double!.close() }, parts.sentinel]);
  };
  try {
    parts.sentinel = await startRedisSentinel();
    parts.double = await startMetabaseDouble();
    parts.store = await createStore({ redisUrl: parts.sentinel.url, logger: { warn: () => undefined } });
    const token = `bscim_${randomBytes(24).toString('base64url')}`;
    await parts.store.putToken({ name: 'idp', sha256: sha256Hex(token), createdAt: new Date().toISOString(), expiresAt: null });
    parts.sidecar = await startSidecarProcess({
      BI_SCIM_TARGET: 'metabase',
      BI_SCIM_TARGET_URL: parts.double.url,
      BI_SCIM_TARGET_API_KEY: parts.double.apiKey,
      BI_SCIM_REDIS_URL: parts.sentinel.url,
      BI_SCIM_CONFIG: await guardOffConfig(),
    });
    const scim = retryingScimClient(parts.sidecar.url, token);
    return { ...(parts as Required<typeof parts>), token, scim, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
