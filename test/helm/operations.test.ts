// The chart's operations features on rendered manifests: the console port, Redis Sentinel and Cluster, alerts, dashboard.
import { describe, expect, it } from 'vitest';
import {
  ci,
  decoded,
  deployment,
  envOf,
  findHelm,
  findManifest,
  HELM_INSTALL_HINT,
  must,
  plainEnv,
  render as renderWith,
  renderChart,
  renderNotes,
  secretRef,
  server,
  type Manifest,
  type RenderOptions,
} from '../support/helm.ts';

const helm = findHelm();
if (!helm && !process.env.CI) console.warn(`helm chart tests skipped: ${HELM_INSTALL_HINT}`);

const defaults = { valuesFiles: ['ci/default-values.yaml'] };
const render = (options: RenderOptions): Manifest[] => renderWith(helm!, options);
const refused = (values: Record<string, unknown>) => {
  const result = renderChart(helm!, { ...defaults, values });
  expect(result.status, 'helm template should have failed').not.toBe(0);
  return result.stderr;
};
const ingressNamed = (ms: Manifest[], suffix: string) => ms.find((m) => m.kind === 'Ingress' && m.metadata.name.endsWith(suffix));
const ingressPorts = (ms: Manifest[]) =>
  ms.filter((m) => m.kind === 'Ingress').flatMap((m) => m.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service.port.number)));

describe.skipIf(!helm)('helm/bi-scim console', () => {
  it('is off by default: no admin port, env or Service port', () => {
    const ms = render(defaults);
    expect(server(ms).ports.map((p: { name: string }) => p.name)).toEqual(['http', 'metrics']);
    expect([...envOf(server(ms)).keys()].filter((n) => n.startsWith('BI_SCIM_ADMIN'))).toEqual([]);
  });

  it('stays out of the pod, the Service and the Secret while disabled, even with admin tokens given', () => {
    const ms = render({
      ...defaults,
      values: { tokens: { existingSecret: '', values: ['idp-token'] }, console: { existingSecret: 'bi-scim-admin', tokens: ['a:b'] } },
    });
    expect(server(ms).ports.map((p: { name: string }) => p.name)).toEqual(['http', 'metrics']);
    expect([...envOf(server(ms)).keys()].filter((n) => n.startsWith('BI_SCIM_ADMIN'))).toEqual([]);
    expect(decoded(must(findManifest(ms, 'Secret'), 'Secret'))).toEqual({ tokens: 'idp-token' });
    expect(must(findManifest(ms, 'Service'), 'Service').spec.ports.map((p: { name: string }) => p.name)).toEqual(['http', 'metrics']);
  });

  it('moves the container port, the Service port, BI_SCIM_ADMIN_PORT and its Ingress together with console.port', () => {
    const ms = render({ ...ci('console'), values: { console: { port: 9443 } } });
    expect(server(ms).ports.find((p: { name: string }) => p.name === 'admin')?.containerPort).toBe(9443);
    expect(plainEnv(ms).BI_SCIM_ADMIN_PORT).toBe('9443');
    expect(must(findManifest(ms, 'Service'), 'Service').spec.ports.find((p: { name: string }) => p.name === 'admin')?.port).toBe(9443);
    expect(ingressPorts(ms).sort()).toEqual([8080, 9443]);
  });

  it('serves on a port named admin in the pod and the Service, with the admin tokens read from their Secret', () => {
    const ms = render(ci('console'));
    expect(server(ms).ports.find((p: { name: string }) => p.name === 'admin')).toEqual({ name: 'admin', containerPort: 8082, protocol: 'TCP' });
    expect(plainEnv(ms).BI_SCIM_ADMIN_PORT).toBe('8082');
    expect(secretRef(ms, 'BI_SCIM_ADMIN_TOKENS')).toEqual({ name: 'bi-scim-admin', key: 'admin-tokens' });
    const service = must(findManifest(ms, 'Service'), 'Service');
    expect(service.spec.ports.find((p: { name: string }) => p.name === 'admin')).toEqual({ name: 'admin', port: 8082, targetPort: 'admin', protocol: 'TCP' });
  });

  it('keeps development admin tokens in the chart Secret, apart from the IdP tokens', () => {
    const ms = render({
      ...defaults,
      values: { tokens: { existingSecret: '', values: ['idp-token'] }, console: { enabled: true, tokens: ['alice:console-secret'] } },
    });
    const secret = must(findManifest(ms, 'Secret'), 'Secret');
    expect(decoded(secret)).toEqual({ tokens: 'idp-token', 'admin-tokens': 'alice:console-secret' });
    expect(JSON.stringify(deployment(ms))).not.toContain('console-secret');
  });

  it('is never routed by the SCIM Ingress; its own Ingress publishes it only when asked', () => {
    const scimOnly = render({ ...ci('console'), values: { console: { ingress: { enabled: false } } } });
    expect(ingressPorts(scimOnly)).toEqual([8080]);
    const both = render(ci('console'));
    const consoleIngress = must(ingressNamed(both, '-console'), 'console Ingress');
    expect(consoleIngress.spec.ingressClassName).toBe('nginx-internal');
    expect(consoleIngress.spec.rules).toEqual([
      {
        host: 'scim-console.internal.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: deployment(both).metadata.name, port: { number: 8082 } } } }] },
      },
    ]);
    expect(consoleIngress.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8' });
    expect(ingressPorts(both).sort()).toEqual([8080, 8082]);
  });

  it('admits the admin port from adminFrom, or from the release namespace only when that is empty', () => {
    const adminFrom = (ms: Manifest[]) =>
      must(findManifest(ms, 'NetworkPolicy'), 'NetworkPolicy').spec.ingress.find((r: any) => r.ports[0].port === 'admin')?.from;
    expect(adminFrom(render(ci('console')))).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx-internal' } } }]);
    expect(adminFrom(render({ ...ci('console'), values: { networkPolicy: { adminFrom: [] } } }))).toEqual([{ podSelector: {} }]);
    expect(adminFrom(render(ci('networkpolicy')))).toBeUndefined();
  });

  it('refuses to run without admin tokens, and a console Ingress without the console', () => {
    expect(refused({ console: { enabled: true } })).toContain(
      'BI_SCIM_ADMIN_TOKENS has no source: set console.existingSecret (production) or console.tokens (development only)',
    );
    expect(refused({ console: { ingress: { enabled: true } } })).toContain('console.ingress.enabled needs console.enabled=true');
  });
});

describe.skipIf(!helm)('helm/bi-scim Redis Sentinel and Cluster', () => {
  it('writes the Sentinel URL with TLS, master and db, and takes both passwords from Secrets', () => {
    const ms = render(ci('sentinel'));
    const sentinels = ['redis-sentinel-0', 'redis-sentinel-1', 'redis-sentinel-2'].map((h) => `${h}.redis-sentinel.redis.svc:26379`).join(',');
    expect(plainEnv(ms).BI_SCIM_REDIS_URL).toBe(`rediss+sentinel://${sentinels}/bi-scim/2`);
    expect(secretRef(ms, 'BI_SCIM_REDIS_PASSWORD')).toEqual({ name: 'redis-auth', key: 'password' });
    expect(secretRef(ms, 'BI_SCIM_REDIS_SENTINEL_PASSWORD')).toEqual({ name: 'redis-auth', key: 'sentinel-password' });
    expect(deployment(ms).spec.replicas).toBe(2);
  });

  it('writes the Cluster URL from the seed nodes and counts it as Redis for autoscaling', () => {
    const ms = render(ci('cluster'));
    expect(plainEnv(ms).BI_SCIM_REDIS_URL).toBe(
      'redis+cluster://redis-cluster-0.redis-cluster.redis.svc:6379,redis-cluster-1.redis-cluster.redis.svc:6379,redis-cluster-2.redis-cluster.redis.svc:6379',
    );
    expect(secretRef(ms, 'BI_SCIM_REDIS_PASSWORD')).toEqual({ name: 'redis-cluster', key: 'redis-password' });
    expect(envOf(server(ms)).has('BI_SCIM_REDIS_SENTINEL_PASSWORD')).toBe(false);
    expect(findManifest(ms, 'HorizontalPodAutoscaler')).toBeDefined();
  });

  it('plain URLs without TLS or db, and no password env unless a Secret is named', () => {
    const sentinel = render({ ...defaults, values: { replicaCount: 3, externalRedis: { sentinel: { hosts: ['s:26379'], masterName: 'm' } } } });
    expect(plainEnv(sentinel).BI_SCIM_REDIS_URL).toBe('redis+sentinel://s:26379/m');
    expect(envOf(server(sentinel)).has('BI_SCIM_REDIS_PASSWORD')).toBe(false);
    const cluster = render({ ...defaults, values: { externalRedis: { cluster: { nodes: ['n:7000'], tls: true } } } });
    expect(plainEnv(cluster).BI_SCIM_REDIS_URL).toBe('rediss+cluster://n:7000');
  });

  it('lets the network policy reach the sentinels on their own port as well as the data nodes', () => {
    const policy = must(findManifest(render(ci('sentinel')), 'NetworkPolicy'), 'NetworkPolicy');
    const redisRule = policy.spec.egress.find((r: any) => r.ports.some((p: any) => p.port === 26379));
    expect(redisRule.ports.map((p: { port: number }) => p.port)).toEqual([6379, 26379]);
    expect(redisRule.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'redis' } } }]);
  });

  it.each([
    [
      'url and sentinel',
      { url: 'redis://r:6379', sentinel: { hosts: ['s:26379'], masterName: 'm' } },
      'externalRedis takes exactly one of url, existingSecret, sentinel, cluster; set: url, sentinel',
    ],
    ['existingSecret and cluster', { existingSecret: 'r', cluster: { nodes: ['n:6379'] } }, 'set: existingSecret, cluster'],
    [
      'sentinel hosts without masterName',
      { sentinel: { hosts: ['s:26379'] } },
      'externalRedis.sentinel needs both hosts (host:port of each sentinel) and masterName',
    ],
    ['masterName without hosts', { sentinel: { masterName: 'm' } }, 'externalRedis.sentinel needs both hosts'],
    [
      'a sentinel password on a cluster',
      { cluster: { nodes: ['n:6379'] }, sentinelPasswordSecret: { name: 's' } },
      'sentinelPasswordSecret applies to externalRedis.sentinel only',
    ],
    ['a password Secret with no external form', { passwordSecret: { name: 'p' } }, 'externalRedis.passwordSecret is set but no externalRedis form is'],
  ])('refuses %s, saying what to set', (_label, externalRedis, message) => {
    expect(refused({ externalRedis })).toContain(message);
  });

  it('refuses bundled Redis next to an external form, and more than one replica with neither', () => {
    expect(refused({ redis: { enabled: true }, externalRedis: { cluster: { nodes: ['n:6379'] } } })).toContain(
      'Choose one Redis: redis.enabled (bundled) or externalRedis (set: cluster), not both',
    );
    expect(refused({ replicaCount: 2, externalRedis: { sentinel: { hosts: [] } } })).toMatch(/must run as a single replica/);
  });

  it('rejects sentinel hosts that are not host:port, through the schema', () => {
    expect(refused({ externalRedis: { sentinel: { hosts: ['sentinel-without-port'], masterName: 'm' } } })).toMatch(/sentinel\/hosts\/0/);
  });
});

describe.skipIf(!helm)('helm/bi-scim install notes', () => {
  it('tell how to reach the console and which Secret holds its tokens', () => {
    const notes = renderNotes(helm!, ci('console'));
    expect(notes).toContain('port-forward svc/scim-bi-scim 8082');
    expect(notes).toContain('bi-scim-admin, key admin-tokens');
    expect(notes).toContain('https://scim-console.internal.example.com/');
  });

  it('ask for config.publicUrl behind an Ingress until it or trustProxy is set', () => {
    expect(renderNotes(helm!, ci('networkpolicy'))).toContain('set config.publicUrl');
    expect(renderNotes(helm!, ci('console'))).not.toContain('set config.publicUrl');
    expect(renderNotes(helm!, { ...ci('networkpolicy'), values: { config: { trustProxy: true } } })).not.toContain('set config.publicUrl');
  });
});
