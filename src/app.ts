// createApp(deps): the Hono application — middleware, SCIM routes, health, SCIM-shaped errors everywhere.
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import { bearerAuth } from './http/auth.ts';
import { errorHandler, renderError } from './http/error-handler.ts';
import { dependencyHealth, healthRoutes, type DependencyHealth, type Readiness } from './http/health.ts';
import { maxBody, rateLimit } from './http/limits.ts';
import { requestMetrics } from './http/metrics.ts';
import { requestLog } from './http/request-log.ts';
import type { Provisioning } from './provisioning/context.ts';
import { DryRuns } from './provisioning/dry-run.ts';
import { searchAll } from './provisioning/search.ts';
import { methodNotAllowed, wantsMembers, type AppEnv } from './routes/context.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { groupRoutes } from './routes/groups.ts';
import { searchHandler } from './routes/list.ts';
import { userRoutes } from './routes/users.ts';
import { ScimError } from './scim/errors.ts';
import type { TokenUsage } from './operations/tokens.ts';
import type { NamedToken } from './tokens.ts';

export interface AppDeps {
  provisioning: Provisioning;
  logger: Logger;
  basePath: string;
  tokens: NamedToken[];
  maxBodyBytes: number;
  /** Requests per second per token; 0 turns the limit off. */
  rateLimitRps: number;
  readiness?: Readiness;
  /** Believe X-Forwarded-Proto/-Host (only behind a proxy that sets them). */
  trustProxy?: boolean;
  /** The absolute URL IdPs use, for Location and meta.location. */
  publicUrl?: string | null;
  /** Shared with the metrics' up gauges; by default a check of its own. */
  health?: () => Promise<DependencyHealth>;
  /** Records each token's last use. */
  tokenUsage?: TokenUsage;
  /** Told of every authenticated or refused SCIM request: the token's name (null when refused), user agent, status. */
  onCallerRequest?: (tokenName: string | null, userAgent: string | null, status: number) => void;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { provisioning, logger, basePath, tokens, maxBodyBytes, rateLimitRps, readiness = { draining: false } } = deps;
  // strict: false accepts `/Users/` as `/Users` (Microsoft's SCIM validator sends the slash).
  const app = new Hono<AppEnv>({ strict: false });
  const options = { basePath, trustProxy: deps.trustProxy ?? false, publicUrl: deps.publicUrl ?? null };
  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(requestLog(logger), requestMetrics(provisioning.metrics));
  app.use(async function closeWhileDraining(c, next) {
    await next();
    // Kept-alive clients reconnect, and the load balancer sends them to a replica that stays.
    if (readiness.draining) c.header('Connection', 'close');
  });
  app.onError(errorHandler(logger));
  app.notFound((c) => renderError(c, new ScimError('notFound', `No endpoint at ${c.req.method} ${c.req.path}`)));
  app.route('/', healthRoutes(deps.health ?? dependencyHealth(provisioning.store, provisioning.target, logger), readiness));

  const scim = new Hono<AppEnv>({ strict: false });
  scim.route('/', discoveryRoutes(options));
  const limits = rateLimit({ perSecond: rateLimitRps });
  const onAccepted = deps.tokenUsage ? (name: string, userAgent: string | null) => deps.tokenUsage!.touch(name, userAgent) : undefined;
  const onCallerRequest = deps.onCallerRequest;
  if (onCallerRequest) {
    scim.use(async function countCallerRequest(c, next) {
      await next();
      onCallerRequest(c.get('tokenName') ?? null, c.req.header('user-agent') ?? null, c.res.status);
    });
  }
  scim.use(maxBody(maxBodyBytes), bearerAuth({ tokens, store: provisioning.store, onRefused: limits.refused, onAccepted }), limits.perToken);
  // A dry-run token is served by its own use cases: same answers, but its writes become its plan.
  const dryRuns = new DryRuns(provisioning);
  scim.use(async function chooseProvisioning(c, next) {
    c.set('provisioning', c.get('dryRun') ? dryRuns.for(c.get('tokenName')) : provisioning);
    await next();
  });
  scim.route('/Users', userRoutes(options));
  scim.route('/Groups', groupRoutes(options));
  // POST /.search on the root searches Users then Groups (RFC 7644 §3.4.3).
  scim.post(
    '/.search',
    searchHandler(options, (p, ctx, query, projection) => searchAll(p, ctx, query, wantsMembers(projection))),
  );
  for (const collection of ['/Users', '/Groups']) {
    scim.all(collection, methodNotAllowed(['GET', 'POST']));
    scim.all(`${collection}/.search`, methodNotAllowed(['POST']));
    scim.all(`${collection}/:id`, methodNotAllowed(['GET', 'PUT', 'PATCH', 'DELETE']));
  }
  app.route(basePath, scim);
  return app;
}
