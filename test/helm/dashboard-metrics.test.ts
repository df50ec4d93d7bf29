// Every metric the chart's dashboard and alerts query is one a running bi-scim exports: names read from a live /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startSidecar, type Sidecar } from '../../src/server.ts';
import { findHelm, findManifest, HELM_INSTALL_HINT, must, render, type Manifest } from '../support/helm.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { freePort } from '../support/ports.ts';

const helm = findHelm();
if (!helm && !process.env.CI) console.warn(`helm chart tests skipped: ${HELM_INSTALL_HINT}`);

const TOKEN = 'dashboard-metrics-token';
/** Suffixes prom-client writes under a histogram's (or summary's) one `# TYPE` line. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression of the rendered dashboard (panels and variables) and alert rules, with where it is. */
function chartQueries(manifests: Manifest[]): Query[] {
  const configMap = must(
    manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1'),
    'dashboard ConfigMap',
  );
  const dashboard = JSON.parse(Object.values(configMap.data!)[0]!);
  const panels = dashboard.panels.flatMap((p: { title: string; targets?: { expr: string }[] }) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
  );
  const variables = dashboard.templating.list
    .filter((v: { type: string }) => v.type === 'query')
    .map((v: { name: string; query: string }) => ({ where: `variable $${v.name}`, expr: v.query }));
  const rules = must(findManifest(manifests, 'PrometheusRule'), 'PrometheusRule').spec.groups.flatMap((g: { rules: { alert: string; expr: string }[] }) =>
    g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  );
  return [...panels, ...variables, ...rules];
}

/** Metric names in PromQL: all of bi-scim's carry the bi_scim_ prefix, which no function, label or keyword has. */
const metricNames = (expr: string): string[] => expr.match(/\bbi_scim_[A-Za-z0-9_]+/g) ?? [];

/** `# TYPE` lines of a Prometheus text exposition, name → type. */
function exportedTypes(exposition: string): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** A queried name exists when it has its own TYPE line, or is a histogram/summary series of one. */
function isExported(name: string, types: Map<string, string>): boolean {
  if (types.has(name)) return true;
  const suffix = SERIES_SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix ? name.slice(0, -suffix.length) : '';
  return ['histogram', 'summary'].includes(types.get(base) ?? '');
}

/**
 * The sidecar on two free ports. Other suites on this machine take ports too, so a port freed by the probe can be
 * gone before the sidecar binds it: try again, a bounded number of times.
 */
async function startOnFreePorts(double: MetabaseDouble, attempts = 3): Promise<Sidecar> {
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const config = loadConfig({
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_HOST: '127.0.0.1',
    BI_SCIM_PORT: String(port),
    BI_SCIM_METRICS_PORT: String(metricsPort),
  });
  try {
    return await startSidecar(config, createLogger('silent'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempts <= 1) throw err;
    return startOnFreePorts(double, attempts - 1);
  }
}

describe('metric names in PromQL', () => {
  it('are the bi_scim_ names, with histogram series suffixes kept for the lookup', () => {
    const expr = 'histogram_quantile(0.95, sum by (le) (rate(bi_scim_lock_wait_seconds_bucket{job="$job"}[5m]))) / time() - max(bi_scim_guard_budget)';
    expect(metricNames(expr)).toEqual(['bi_scim_lock_wait_seconds_bucket', 'bi_scim_guard_budget']);
    const types = new Map([
      ['bi_scim_lock_wait_seconds', 'histogram'],
      ['bi_scim_store_errors_total', 'counter'],
    ]);
    expect(
      ['bi_scim_lock_wait_seconds_bucket', 'bi_scim_store_errors_total', 'bi_scim_store_errors_total_count', 'bi_scim_guard_budget'].map((n) =>
        isExported(n, types),
      ),
    ).toEqual([true, true, false, false]);
  });
});

describe.skipIf(!helm)('helm/bi-scim dashboard and alerts against a live /metrics', () => {
  let double: MetabaseDouble;
  let sidecar: Sidecar;
  let exposition: string;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    sidecar = await startOnFreePorts(double);
    // One write and one read, so request, BI call and provisioning series carry samples too.
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' };
    const user = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'grafana.check@example.com',
      name: { givenName: 'Grafana', familyName: 'Check' },
      emails: [{ value: 'grafana.check@example.com', primary: true }],
    };
    expect((await fetch(`${sidecar.url}/Users`, { method: 'POST', headers, body: JSON.stringify(user) })).status).toBe(201);
    expect((await fetch(`${sidecar.url}/Users?count=1`, { headers })).status).toBe(200);
    exposition = await (await fetch(sidecar.metricsUrl)).text();
  });

  afterAll(async () => {
    await sidecar?.shutdown();
    await double?.close();
  });

  it('names in every panel, variable and alert only metrics the running sidecar exports', () => {
    const manifests = render(helm!, {
      valuesFiles: ['ci/default-values.yaml'],
      values: { grafanaDashboard: { enabled: true }, prometheusRule: { enabled: true } },
    });
    const queries = chartQueries(manifests);
    for (const q of queries) expect(metricNames(q.expr), `${q.where} names no bi_scim_ metric`).not.toEqual([]);
    const types = exportedTypes(exposition);
    expect(types.get('bi_scim_http_request_duration_seconds')).toBe('histogram');
    const missing = [...new Set(queries.flatMap((q) => metricNames(q.expr)).filter((name) => !isExported(name, types)))].sort();
    const usedBy = missing.map(
      (name) =>
        `${name} (${queries
          .filter((q) => metricNames(q.expr).includes(name))
          .map((q) => q.where)
          .join('; ')})`,
    );
    expect(usedBy, 'metrics the chart queries that /metrics does not export').toEqual([]);
  });
});
