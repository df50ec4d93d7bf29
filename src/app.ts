// createApp(deps): the Hono application — middleware, SCIM routes, health, SCIM-shaped errors everywhere.
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import { bearerAuth } from './http/auth.ts';
import { errorHandler, renderError } from './http/error-handler.ts';
import { healthRoutes, type Readiness } from './http/health.ts';
import { maxBody, rateLimit } from './http/limits.ts';
import { requestMetrics } from './http/metrics.ts';
import { requestLog } from './http/request-log.ts';
import type { Provisioning } from './provisioning/context.ts';
import { searchAll } from './provisioning/search.ts';
import type { AppEnv } from './routes/context.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { groupRoutes } from './routes/groups.ts';
import { searchHandler } from './routes/list.ts';
import { userRoutes } from './routes/users.ts';
import { ScimError } from './scim/errors.ts';
import type { NamedToken } from './tokens.ts';
import { wantsMembers } from './routes/context.ts';

export interface AppDeps {
  provisioning: Provisioning;
  logger: Logger;
  basePath: string;
  tokens: NamedToken[];
  maxBodyBytes: number;
  rateLimitRps: number;
  readiness?: Readiness;
}

export function createApp({ provisioning, logger, basePath, tokens, maxBodyBytes, rateLimitRps, readiness = { draining: false } }: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const options = { basePath };
  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(requestLog(logger), requestMetrics(provisioning.metrics));
  app.onError(errorHandler(logger));
  app.notFound((c) => renderError(c, new ScimError('notFound', `No endpoint at ${c.req.method} ${c.req.path}`)));
  app.route('/', healthRoutes(provisioning.store, provisioning.target, readiness));

  const scim = new Hono<AppEnv>();
  scim.route('/', discoveryRoutes(options));
  scim.use(maxBody(maxBodyBytes), rateLimit({ perSecond: rateLimitRps }), bearerAuth({ tokens, store: provisioning.store }));
  scim.route('/Users', userRoutes(provisioning, options));
  scim.route('/Groups', groupRoutes(provisioning, options));
  // POST /.search on the root searches Users then Groups (RFC 7644 §3.4.3).
  scim.post('/.search', searchHandler(options, (ctx, query, projection) => searchAll(provisioning, ctx, query, wantsMembers(projection))));
  for (const collection of ['/Users', '/Groups']) {
    scim.all(collection, () => {
      throw new ScimError('methodNotAllowed', 'Method not allowed on a collection');
    });
  }
  app.route(basePath, scim);
  return app;
}
