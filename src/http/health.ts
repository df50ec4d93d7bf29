// Liveness never looks at dependencies; readiness checks the store and the BI tool and fails while draining.
import { Hono } from 'hono';
import type { MappingStore } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';

export interface Readiness {
  draining: boolean;
}

export function healthRoutes(store: MappingStore, target: Target, readiness: Readiness): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (readiness.draining) return c.json({ status: 'draining' }, 503);
    const checks = await Promise.allSettled([store.ping(), target.checkHealth()]);
    const [storeCheck, targetCheck] = checks.map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as Error).message)));
    const ready = checks.every((r) => r.status === 'fulfilled');
    return c.json({ status: ready ? 'ready' : 'not ready', store: storeCheck, target: targetCheck }, ready ? 200 : 503);
  });
  return app;
}
