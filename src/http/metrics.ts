// Prometheus metrics (served on their own port): the Metrics port recorded with prom-client, and the request timer.
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../metrics.ts';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): Metrics & { registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bi_scim_' });
  const requests = new Histogram({
    name: 'bi_scim_http_request_duration_seconds',
    help: 'SCIM requests by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const biCalls = new Histogram({
    name: 'bi_scim_bi_call_duration_seconds',
    help: 'Calls to the BI tool by endpoint and status',
    labelNames: ['method', 'endpoint', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const storeErrors = new Counter({ name: 'bi_scim_store_errors_total', help: 'Failed store operations', labelNames: ['operation'], registers: [registry] });
  const lockWaits = new Histogram({
    name: 'bi_scim_lock_wait_seconds',
    help: 'Time spent waiting for per-resource locks',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const events = new Counter({
    name: 'bi_scim_provisioning_events_total',
    help: 'Provisioning events by action, resource type and outcome',
    labelNames: ['action', 'resource_type', 'outcome'],
    registers: [registry],
  });
  const unverified = new Counter({
    name: 'bi_scim_verify_failures_total',
    help: 'Removals the BI tool did not show when read back',
    labelNames: ['action'],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'bi_scim_alerts_total',
    help: 'Webhook alerts by sink and result (delivered, failed, dropped)',
    labelNames: ['sink', 'result'],
    registers: [registry],
  });
  const trips = new Counter({
    name: 'bi_scim_guard_trips_total',
    help: 'Times the deprovisioning guard started holding deprovisioning',
    registers: [registry],
  });
  return {
    registry,
    observeRequest: (method, route, status, seconds) => requests.observe({ method, route, status: String(status) }, seconds),
    observeBiCall: ({ method, route, status, seconds }) => biCalls.observe({ method, endpoint: route, status: String(status) }, seconds),
    storeError: (operation) => storeErrors.inc({ operation }),
    lockWait: (seconds) => lockWaits.observe(seconds),
    provisioningEvent: (e) => {
      events.inc({ action: e.action, resource_type: e.resourceType, outcome: e.outcome });
      if (e.verified === false) unverified.inc({ action: e.action });
      if (e.action === 'guard.tripped') trips.inc();
    },
    alertDelivery: (sink, result) => alerts.inc({ sink, result }),
  };
}

/** Labels by the matched route pattern (`/scim/v2/Users/:id`), never the concrete path, so series stay bounded. */
export function requestMetrics(metrics: Metrics): MiddlewareHandler {
  return async function requestMetricsMiddleware(c, next) {
    const started = performance.now();
    await next();
    metrics.observeRequest(c.req.method, routePath(c) || 'unmatched', c.res.status, (performance.now() - started) / 1000);
  };
}

export function serveMetrics(registry: Registry, host: string, port: number): Promise<ServerType> {
  const app = new Hono();
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once('error', reject);
  });
}
