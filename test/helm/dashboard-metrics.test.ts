// Every metric the chart's dashboard and alerts query is one the real bi-scim process exports: names read from its live /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHelm, findManifest, HELM_INSTALL_HINT, must, render, type Manifest } from '../support/helm.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { exposedSeriesNames, grafanaVariableExpr, interpolateGrafana, parsePromql } from '../support/promql.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';

const helm = findHelm();
if (!helm && !process.env.CI) console.warn(`helm chart tests skipped: ${HELM_INSTALL_HINT}`);

const TOKEN = 'dashboard-metrics-token';

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression of the rendered dashboard (panels and variables) and alert rules, as Prometheus receives it. */
function chartQueries(manifests: Manifest[]): Query[] {
  const configMap = must(
    manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard')),
    'dashboard ConfigMap',
  );
  const dashboard = JSON.parse(configMap.data!['bi-scim.json']!);
  const panels = dashboard.panels.flatMap((p: { title: string; targets?: { refId: string; expr: string }[] }) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: interpolateGrafana(t.expr) })),
  );
  const variables = dashboard.templating.list
    .filter((v: { type: string }) => v.type === 'query')
    .map((v: { name: string; query: string }) => ({
      where: `variable $${v.name}`,
      expr: grafanaVariableExpr(v.query) ?? expect.fail(`$${v.name} queries no metric`),
    }));
  const rules = must(findManifest(manifests, 'PrometheusRule'), 'PrometheusRule').spec.groups.flatMap((g: { rules: { alert: string; expr: string }[] }) =>
    g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  );
  return [...panels, ...variables, ...rules];
}

/**
 * The real process on free ports. Other suites on this machine take ports too, so a port freed by the probe can be
 * gone before the sidecar binds it: try again, a bounded number of times.
 */
async function startOnFreePorts(env: Record<string, string>, attempts = 3): Promise<SidecarProcess> {
  try {
    return await startSidecarProcess(env);
  } catch (err) {
    if (!String(err).includes('EADDRINUSE') || attempts <= 1) throw err;
    return startOnFreePorts(env, attempts - 1);
  }
}

describe.skipIf(!helm)('helm/bi-scim dashboard and alerts against the live /metrics of the real process', () => {
  let double: MetabaseDouble;
  let sidecar: SidecarProcess;
  let exposition: string;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    sidecar = await startOnFreePorts({
      BI_SCIM_TARGET: 'metabase',
      BI_SCIM_TARGET_URL: double.url,
      BI_SCIM_TARGET_API_KEY: double.apiKey,
      BI_SCIM_TOKENS: TOKEN,
      BI_SCIM_CONFIG: await guardOffConfig(),
    });
    // A write, a read, an unknown id and a wrong token: request, BI call, provisioning and error series carry samples.
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' };
    const user = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'grafana.check@example.com',
      name: { givenName: 'Grafana', familyName: 'Check' },
      emails: [{ value: 'grafana.check@example.com', primary: true }],
    };
    expect((await fetch(`${sidecar.url}/Users`, { method: 'POST', headers, body: JSON.stringify(user) })).status).toBe(201);
    expect((await fetch(`${sidecar.url}/Users?count=1`, { headers })).status).toBe(200);
    expect((await fetch(`${sidecar.url}/Users/999999`, { headers })).status).toBe(404);
    expect((await fetch(`${sidecar.url}/Users`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    exposition = await (await fetch(sidecar.metricsUrl)).text();
  });

  afterAll(async () => {
    await sidecar?.stop();
    await double?.close();
  });

  it('exposes the SCIM request histogram with the samples of the requests just made', () => {
    expect(exposition).toContain('# TYPE bi_scim_http_request_duration_seconds histogram');
    expect(exposition).toMatch(/^bi_scim_http_request_duration_seconds_count\{[^}]*status="401"[^}]*\} 1$/m);
  });

  it('names in every panel, variable and alert only metrics the running process exports, in valid PromQL', () => {
    const manifests = render(helm!, {
      valuesFiles: ['ci/default-values.yaml'],
      values: { grafanaDashboard: { enabled: true }, prometheusRule: { enabled: true } },
    });
    const queries = chartQueries(manifests).map((q) => ({ ...q, ...parsePromql(q.expr) }));
    expect(queries.filter((q) => q.where.startsWith('panel')).length).toBeGreaterThan(20);
    expect(
      queries.filter((q) => q.problems.length > 0).map((q) => `${q.where}: ${q.problems.join('; ')}`),
      'queries Prometheus would not parse',
    ).toEqual([]);
    for (const q of queries) expect(q.metrics, `${q.where} selects no metric`).not.toEqual([]);
    const exported = exposedSeriesNames(exposition);
    const missing = [...new Set(queries.flatMap((q) => q.metrics).filter((name) => !exported.has(name)))].sort();
    const usedBy = missing.map(
      (name) =>
        `${name} (${queries
          .filter((q) => q.metrics.includes(name))
          .map((q) => q.where)
          .join('; ')})`,
    );
    expect(usedBy, 'metrics the chart queries that /metrics does not export').toEqual([]);
  });
});
