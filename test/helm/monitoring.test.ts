// The chart's opt-in monitoring objects on rendered manifests: the PrometheusRule and the Grafana dashboard ConfigMap.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chartDir,
  ci,
  findHelm,
  findManifest,
  HELM_INSTALL_HINT,
  kinds,
  must,
  render as renderWith,
  type Manifest,
  type RenderOptions,
} from '../support/helm.ts';

const helm = findHelm();
if (!helm && !process.env.CI) console.warn(`helm chart tests skipped: ${HELM_INSTALL_HINT}`);

const defaults = { valuesFiles: ['ci/default-values.yaml'] };
const render = (options: RenderOptions): Manifest[] => renderWith(helm!, options);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (ms: Manifest[]): Rule[] => must(findManifest(ms, 'PrometheusRule'), 'PrometheusRule').spec.groups.flatMap((g: { rules: Rule[] }) => g.rules);
const dashboardOf = (ms: Manifest[]) =>
  must(
    ms.find((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard')),
    'dashboard ConfigMap',
  );
const dashboardJson = (ms: Manifest[]) => JSON.parse(dashboardOf(ms).data!['bi-scim.json']!);

describe.skipIf(!helm)('helm/bi-scim PrometheusRule', () => {
  it('is off by default, like the dashboard', () => {
    expect(kinds(render(defaults))).not.toContain('PrometheusRule');
    expect(render(defaults).filter((m) => m.kind === 'ConfigMap')).toHaveLength(1);
  });

  it('scopes every alert to this release as a ServiceMonitor scrapes it, and carries the selecting labels', () => {
    const ms = render(ci('prometheusrule'));
    const rule = must(findManifest(ms, 'PrometheusRule'), 'PrometheusRule');
    expect(rule.metadata).toMatchObject({ name: 'scim-bi-scim', namespace: 'identity', labels: { release: 'kube-prometheus-stack' } });
    const alerts = rulesOf(ms).filter((r) => r.alert);
    expect(alerts.length).toBe(10);
    for (const alert of alerts) expect(alert.expr, alert.alert).toContain('job="scim-bi-scim", namespace="identity"');
  });

  it('points every alert at its README section, and links it when a runbook base URL is given', () => {
    const sections = (values: Record<string, unknown>) =>
      rulesOf(render({ ...defaults, values: { prometheusRule: { enabled: true, ...values } } }))
        .filter((r) => r.alert)
        .map((r) => [r.annotations?.runbook, r.annotations?.runbook_url]);
    for (const [runbook, url] of sections({})) {
      expect(runbook).toMatch(/^bi-scim README, section "(Operations|When provisioning fails)"$/);
      expect(url).toBeUndefined();
    }
    const linked = sections({ runbookBaseUrl: 'https://docs.example.com/README.md' }).map(([, url]) => url);
    expect(new Set(linked)).toEqual(new Set(['https://docs.example.com/README.md#operations', 'https://docs.example.com/README.md#when-provisioning-fails']));
  });

  it('takes its thresholds and selector from values and appends extra rules after its own', () => {
    const ms = render({
      ...defaults,
      values: {
        prometheusRule: { enabled: true, selector: 'service="scim"', tokenExpiryDays: 2.5, scim5xxRatio: 0.2, rules: [{ alert: 'Mine', expr: 'vector(1)' }] },
      },
    });
    const byName = new Map(rulesOf(ms).map((r) => [r.alert ?? r.record, r]));
    expect(byName.get('BiScimTokenExpiringSoon')?.expr).toBe('min by (namespace, job, token) (bi_scim_token_expires_in_seconds{service="scim"}) < 216000');
    expect(byName.get('BiScimScimErrors')?.expr).toMatch(/> 0\.2$/);
    expect(rulesOf(ms).at(-1)).toEqual({ alert: 'Mine', expr: 'vector(1)' });
  });

  it('passes alert templates through to Prometheus rather than rendering them in Helm', () => {
    const expiring = rulesOf(render(ci('prometheusrule'))).find((r) => r.alert === 'BiScimTokenExpiringSoon');
    expect(expiring?.annotations?.summary).toBe('Bearer token {{ $labels.token }} expires soon');
    expect(expiring?.annotations?.description).toContain('{{ $value | humanizeDuration }}');
  });
});

describe.skipIf(!helm)('helm/bi-scim Grafana dashboard', () => {
  it('is a ConfigMap the Grafana sidecar picks up, in its namespace and folder', () => {
    const configMap = dashboardOf(render(ci('dashboard')));
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1', release: 'kube-prometheus-stack' });
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Identity' });
    expect(Object.keys(configMap.data!)).toEqual(['bi-scim.json']);
  });

  it('carries the label a differently configured sidecar selects by, instead of the default one', () => {
    const configMap = dashboardOf(
      render({ ...ci('dashboard'), values: { grafanaDashboard: { sidecarLabel: 'grafana.example.com/dashboard', sidecarLabelValue: 'bi' } } }),
    );
    expect(configMap.metadata.labels?.['grafana.example.com/dashboard']).toBe('bi');
    expect(configMap.metadata.labels).not.toHaveProperty('grafana_dashboard');
  });

  it('holds dashboards/bi-scim.json unchanged, so the same file imports into a Grafana without the sidecar', () => {
    const file = JSON.parse(readFileSync(join(chartDir, 'dashboards/bi-scim.json'), 'utf8'));
    expect(dashboardJson(render(ci('dashboard')))).toEqual(file);
    expect(file.uid).toBe('bi-scim');
  });

  it('lays out panels without overlap, every query on the chosen data source, namespace and job', () => {
    const dashboard = dashboardJson(render(ci('dashboard')));
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual(['datasource', 'namespace', 'job']);
    const cells = new Set<string>();
    for (const { gridPos: g } of dashboard.panels) {
      expect(g.x + g.w, 'a panel reaches past the 24 columns').toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `panels overlap at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
    const targets = dashboard.panels.flatMap((p: { targets?: unknown[] }) => p.targets ?? []);
    expect(targets.length).toBeGreaterThan(20);
    for (const t of targets) {
      expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(t.expr).toContain('namespace="$namespace", job="$job"');
    }
  });

  it('has a panel for each operations signal', () => {
    const dashboard = dashboardJson(render(ci('dashboard')));
    const exprs = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of [
      'bi_scim_http_request_duration_seconds_count',
      'bi_scim_http_request_duration_seconds_bucket',
      'bi_scim_bi_call_duration_seconds_count',
      'bi_scim_bi_call_duration_seconds_bucket',
      'bi_scim_provisioning_events_total',
      'bi_scim_target_up',
      'bi_scim_store_up',
      'bi_scim_guard_tripped',
      'bi_scim_guard_trips_total',
      'bi_scim_verify_failures_total',
      'bi_scim_alerts_total',
      'bi_scim_drift_findings',
      'bi_scim_token_age_seconds',
      'bi_scim_token_expires_in_seconds',
      'bi_scim_process_resident_memory_bytes',
      'bi_scim_process_cpu_seconds_total',
      'bi_scim_store_errors_total',
      'bi_scim_lock_wait_seconds_bucket',
    ])
      expect(exprs, metric).toContain(metric);
    expect(exprs).toMatch(/histogram_quantile\(0\.99, sum by \(le\) \(rate\(bi_scim_http_request_duration_seconds_bucket/);
    expect(exprs).toContain('sum by (status) (rate(bi_scim_http_request_duration_seconds_count');
    expect(exprs).toContain('max by (kind, severity) (bi_scim_drift_findings');
  });
});
