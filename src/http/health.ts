// Liveness never looks at dependencies; readiness checks the store and the BI tool and fails while draining.
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { MappingStore } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';

export interface Readiness {
  draining: boolean;
}

export function healthRoutes(store: MappingStore, target: Target, readiness: Readiness, logger: Logger): Hono {
  const app = new Hono({ strict: false });
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (readiness.draining) return c.json({ status: 'draining' }, 503);
    const [storeCheck, targetCheck] = await Promise.allSettled([store.ping(), target.checkHealth()]);
    // The reasons name hosts and drivers: they go to the log, the open endpoint only says what failed.
    for (const [what, check] of [['store', storeCheck], ['target', targetCheck]] as const) {
      if (check.status === 'rejected') logger.warn({ err: check.reason, check: what }, `readiness: the ${what} check failed`);
    }
    const state = (check: PromiseSettledResult<void>) => (check.status === 'fulfilled' ? 'ok' : 'failing');
    const ready = storeCheck.status === 'fulfilled' && targetCheck.status === 'fulfilled';
    return c.json({ status: ready ? 'ready' : 'not ready', store: state(storeCheck), target: state(targetCheck) }, ready ? 200 : 503);
  });
  return app;
}
