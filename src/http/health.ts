// Liveness never looks at dependencies; readiness checks the store and the BI tool and fails while draining.
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { PromiseCache } from '../cache.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';

export interface Readiness {
  draining: boolean;
}

export interface DependencyHealth {
  store: boolean;
  target: boolean;
}

/** How long one check answers readiness probes and metric scrapes alike, so neither multiplies BI calls. */
const HEALTH_TTL_MS = 5_000;

/** Checks the store and the BI tool; the reasons (hosts, drivers) go to the log, never to an open endpoint. */
export function dependencyHealth(store: MappingStore, target: Target, logger: Logger, now: () => number = Date.now): () => Promise<DependencyHealth> {
  const cache = new PromiseCache<'health', DependencyHealth>({ ttlMs: HEALTH_TTL_MS, now });
  return () =>
    cache.get('health', async () => {
      const [storeCheck, targetCheck] = await Promise.allSettled([store.ping(), target.checkHealth()]);
      for (const [what, check] of [
        ['store', storeCheck],
        ['target', targetCheck],
      ] as const) {
        if (check.status === 'rejected') logger.warn({ err: check.reason, check: what }, `readiness: the ${what} check failed`);
      }
      return { store: storeCheck.status === 'fulfilled', target: targetCheck.status === 'fulfilled' };
    });
}

export function healthRoutes(health: () => Promise<DependencyHealth>, readiness: Readiness): Hono {
  const app = new Hono({ strict: false });
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (readiness.draining) return c.json({ status: 'draining' }, 503);
    const { store, target } = await health();
    const state = (ok: boolean) => (ok ? 'ok' : 'failing');
    const ready = store && target;
    return c.json({ status: ready ? 'ready' : 'not ready', store: state(store), target: state(target) }, ready ? 200 : 503);
  });
  return app;
}
