// The chart's wiring, on manifests rendered by helm: env contract, secrets by reference, probes, security, Redis, extras.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ci,
  decoded,
  deployment,
  envOf,
  findHelm,
  findManifest,
  HELM_INSTALL_HINT,
  kinds,
  must,
  plainEnv,
  podSpec,
  render as renderWith,
  renderChart,
  renderNotes,
  secretRef,
  server,
  type EnvVar,
  type Manifest,
  type RenderOptions,
} from '../support/helm.ts';

const helm = findHelm();
if (!helm && !process.env.CI) console.warn(`helm chart tests skipped: ${HELM_INSTALL_HINT}`);

/** The app's runtime contract, spelled exactly. */
const CONTRACT_ENV = [
  'BI_SCIM_TARGET',
  'BI_SCIM_TARGET_URL',
  'BI_SCIM_TARGET_API_KEY',
  'BI_SCIM_TARGET_USERNAME',
  'BI_SCIM_TARGET_PASSWORD',
  'BI_SCIM_TOKENS',
  'BI_SCIM_REDIS_URL',
  'BI_SCIM_REDIS_PASSWORD',
  'BI_SCIM_REDIS_SENTINEL_PASSWORD',
  'BI_SCIM_HOST',
  'BI_SCIM_PORT',
  'BI_SCIM_METRICS_PORT',
  'BI_SCIM_BASE_PATH',
  'BI_SCIM_LOG_LEVEL',
  'BI_SCIM_CONFIG',
  'BI_SCIM_MAX_BODY_BYTES',
  'BI_SCIM_RATE_LIMIT_RPS',
  'BI_SCIM_SHUTDOWN_GRACE_SECONDS',
  'BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS',
  'BI_SCIM_TRUST_PROXY',
  'BI_SCIM_PUBLIC_URL',
  'BI_SCIM_ADMIN_PORT',
  'BI_SCIM_ADMIN_TOKENS',
];
const SECRET_ENV = [
  'BI_SCIM_TARGET_API_KEY',
  'BI_SCIM_TARGET_USERNAME',
  'BI_SCIM_TARGET_PASSWORD',
  'BI_SCIM_TOKENS',
  'BI_SCIM_REDIS_PASSWORD',
  'BI_SCIM_REDIS_SENTINEL_PASSWORD',
  'BI_SCIM_ADMIN_TOKENS',
];
const defaults = { valuesFiles: ['ci/default-values.yaml'] };
const render = (options: RenderOptions): Manifest[] => renderWith(helm!, options);

describe('helm binary', () => {
  it.runIf(process.env.CI)('is available in CI', () => {
    expect(helm, HELM_INSTALL_HINT).not.toBeNull();
  });
});

describe.skipIf(!helm)('helm/bi-scim environment', () => {
  it('passes every plain setting under its BI_SCIM_* name, whole numbers without exponents', () => {
    const config = {
      host: '::',
      port: 8081,
      metricsPort: 9100,
      basePath: '/idp/scim',
      logLevel: 'debug',
      maxBodyBytes: 2097152,
      rateLimitRps: 2.5,
      shutdownGraceSeconds: 15,
      shutdownTimeoutSeconds: 45,
      trustProxy: true,
      publicUrl: 'https://scim.example.com',
    };
    expect(plainEnv(render({ ...defaults, values: { config } }))).toEqual({
      BI_SCIM_TARGET: 'metabase',
      BI_SCIM_TARGET_URL: 'http://metabase.metabase.svc:3000',
      BI_SCIM_HOST: '::',
      BI_SCIM_PORT: '8081',
      BI_SCIM_METRICS_PORT: '9100',
      BI_SCIM_BASE_PATH: '/idp/scim',
      BI_SCIM_LOG_LEVEL: 'debug',
      BI_SCIM_MAX_BODY_BYTES: '2097152',
      BI_SCIM_RATE_LIMIT_RPS: '2.5',
      BI_SCIM_CONFIG: '/etc/bi-scim/config.yaml',
      BI_SCIM_SHUTDOWN_GRACE_SECONDS: '15',
      BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS: '45',
      BI_SCIM_TRUST_PROXY: 'true',
      BI_SCIM_PUBLIC_URL: 'https://scim.example.com',
    });
  });

  it('leaves optional settings out rather than passing them empty', () => {
    const env = plainEnv(render(defaults));
    expect(env).toMatchObject({ BI_SCIM_SHUTDOWN_GRACE_SECONDS: '10', BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS: '20', BI_SCIM_TRUST_PROXY: 'false' });
    for (const name of ['BI_SCIM_PUBLIC_URL', 'BI_SCIM_ADMIN_PORT', 'BI_SCIM_REDIS_URL']) expect(env).not.toHaveProperty(name);
  });

  it('uses only names of the runtime contract, and every one of them across the CI values', () => {
    const files = ['default', 'superset', 'bundled-redis', 'external-redis', 'sentinel', 'console'];
    const seen = new Set(files.flatMap((name) => server(render(ci(name))).env.map((e: EnvVar) => e.name)));
    expect([...seen].filter((n) => !CONTRACT_ENV.includes(n))).toEqual([]);
    expect(CONTRACT_ENV.filter((n) => !seen.has(n))).toEqual([]);
  });

  it('mounts config.file from the ConfigMap at the path BI_SCIM_CONFIG names', () => {
    const file = { groupMappings: [{ idpGroup: 'bi-admins', target: 'Administrators' }], protectedUsers: ['root@example.com'] };
    const ms = render({ ...defaults, values: { config: { file } } });
    const mount = server(ms).volumeMounts.find((m: { name: string }) => m.name === 'config');
    const volume = podSpec(ms).volumes.find((v: { name: string }) => v.name === 'config');
    const configMap = must(findManifest(ms, 'ConfigMap', volume.configMap.name), 'ConfigMap');
    expect(`${mount.mountPath}/config.yaml`).toBe(plainEnv(ms).BI_SCIM_CONFIG);
    expect(parse(configMap.data!['config.yaml'])).toMatchObject(file);
  });
});

describe.skipIf(!helm)('helm/bi-scim secrets', () => {
  it('keeps inline development credentials out of the pods and reads them from the chart Secret', () => {
    const secrets = { apiKey: 'mb_inline_key_1', tokens: ['token-one', 'token-two'], url: 'redis://:hunter2@redis.example:6379' };
    const ms = render({
      values: { target: { url: 'http://mb:3000', apiKey: secrets.apiKey }, tokens: { values: secrets.tokens }, externalRedis: { url: secrets.url } },
    });
    const pods = JSON.stringify([deployment(ms), findManifest(ms, 'Pod')]);
    for (const value of [secrets.apiKey, ...secrets.tokens, 'hunter2']) expect(pods).not.toContain(value);
    const secret = must(findManifest(ms, 'Secret'), 'Secret');
    expect(secretRef(ms, 'BI_SCIM_TARGET_API_KEY')).toEqual({ name: secret.metadata.name, key: 'api-key' });
    expect(secretRef(ms, 'BI_SCIM_TOKENS')).toEqual({ name: secret.metadata.name, key: 'tokens' });
    expect(secretRef(ms, 'BI_SCIM_REDIS_URL')).toEqual({ name: secret.metadata.name, key: 'redis-url' });
    expect(decoded(secret)).toEqual({ 'api-key': secrets.apiKey, tokens: 'token-one,token-two', 'redis-url': secrets.url });
  });

  it('reads credentials from existing Secrets under the configured keys and renders no Secret', () => {
    const ms = render(ci('superset'));
    expect(secretRef(ms, 'BI_SCIM_TARGET_USERNAME')).toEqual({ name: 'superset-credentials', key: 'user' });
    expect(secretRef(ms, 'BI_SCIM_TARGET_PASSWORD')).toEqual({ name: 'superset-credentials', key: 'pass' });
    expect(secretRef(ms, 'BI_SCIM_TOKENS')).toEqual({ name: 'bi-scim-tokens', key: 'tokens' });
    expect(envOf(server(ms)).has('BI_SCIM_TARGET_API_KEY')).toBe(false);
    expect(findManifest(ms, 'Secret')).toBeUndefined();
  });

  it('gives every credential a secretKeyRef and never a literal value', () => {
    for (const name of ['default', 'superset', 'bundled-redis', 'networkpolicy', 'sentinel', 'cluster', 'console']) {
      const credentials = server(render(ci(name))).env.filter((e: EnvVar) => SECRET_ENV.includes(e.name));
      expect(credentials.length).toBeGreaterThan(0);
      for (const e of credentials) expect(e, `${name}: ${e.name}`).toEqual({ name: e.name, valueFrom: { secretKeyRef: expect.any(Object) } });
    }
  });

  it('refuses to render without a token source, naming the values to set', () => {
    const result = renderChart(helm!, { values: { target: { url: 'http://mb:3000', existingSecret: 'mb' } } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('BI_SCIM_TOKENS has no source: set tokens.existingSecret (production) or tokens.values');
  });
});

describe.skipIf(!helm)('helm/bi-scim pod', () => {
  it('probes /healthz for liveness and startup and /readyz for readiness, on the SCIM port', () => {
    const container = server(render(defaults));
    const paths = Object.fromEntries(['livenessProbe', 'startupProbe', 'readinessProbe'].map((p) => [p, container[p]?.httpGet]));
    expect(paths).toEqual({
      livenessProbe: { path: '/healthz', port: 'http' },
      startupProbe: { path: '/healthz', port: 'http' },
      readinessProbe: { path: '/readyz', port: 'http' },
    });
    expect(container.ports.find((p: { name: string }) => p.name === 'http').containerPort).toBe(8080);
  });

  it('runs non-root on a read-only root filesystem with no capabilities and no service-account token', () => {
    const ms = render(defaults);
    const pod = podSpec(ms);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(server(ms).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(must(findManifest(ms, 'ServiceAccount'), 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it('gives SIGTERM the server grace plus its shutdown timeout plus 5 s before SIGKILL, with no preStop hook by default', () => {
    const ms = render(defaults);
    expect(podSpec(ms).terminationGracePeriodSeconds).toBe(10 + 20 + 5);
    expect(server(ms).lifecycle).toBeUndefined();
  });

  it('adds an optional preStop sleep to the computed grace period', () => {
    const ms = render({ ...defaults, values: { preStopSleepSeconds: 5, config: { shutdownGraceSeconds: 15, shutdownTimeoutSeconds: 30 } } });
    expect(server(ms).lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(podSpec(ms).terminationGracePeriodSeconds).toBe(5 + 15 + 30 + 5);
  });

  it('keeps an explicit grace period that covers the shutdown and refuses one that does not', () => {
    expect(podSpec(render({ ...defaults, values: { terminationGracePeriodSeconds: 90 } })).terminationGracePeriodSeconds).toBe(90);
    const short = renderChart(helm!, { ...defaults, values: { terminationGracePeriodSeconds: 30 } });
    expect(short.status).not.toBe(0);
    expect(short.stderr).toContain(
      'terminationGracePeriodSeconds=30 is shorter than preStopSleepSeconds (0) + config.shutdownGraceSeconds (10) + config.shutdownTimeoutSeconds (20) + 5 s: raise it to at least 35',
    );
  });

  it('serves /metrics on its own port in the pod and the Service', () => {
    const ms = render({ ...defaults, values: { config: { metricsPort: 9100 }, service: { metricsPort: 9200 } } });
    expect(server(ms).ports.find((p: { name: string }) => p.name === 'metrics').containerPort).toBe(9100);
    expect(plainEnv(ms).BI_SCIM_METRICS_PORT).toBe('9100');
    const service = must(findManifest(ms, 'Service'), 'Service');
    expect(service.spec.ports.find((p: { name: string }) => p.name === 'metrics')).toMatchObject({ port: 9200, targetPort: 'metrics' });
  });

  it('rolls pods when the config file or a development secret changes, and only then', () => {
    const annotations = (values: Record<string, unknown>) =>
      deployment(render({ values: { target: { url: 'http://mb:3000', apiKey: 'k' }, tokens: { values: ['a'] }, ...values } })).spec.template.metadata
        .annotations;
    const base = annotations({});
    const otherFile = annotations({ config: { file: { protectedUsers: ['root@example.com'] } } });
    const otherToken = annotations({ tokens: { values: ['b'] } });
    expect(base['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations({ replicaCount: 1 })).toEqual(base);
    expect(otherFile['checksum/config']).not.toBe(base['checksum/config']);
    expect(otherFile['checksum/secret']).toBe(base['checksum/secret']);
    expect(otherToken['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(otherToken['checksum/config']).toBe(base['checksum/config']);
  });

  it('runs `bi-scim check` as a helm test hook with the server env and config', () => {
    const ms = render(ci('bundled-redis'));
    const pod = must(findManifest(ms, 'Pod'), 'test Pod');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(pod.spec.containers[0].args).toEqual(['check']);
    expect(pod.spec.containers[0].env).toEqual(server(ms).env);
    expect(pod.spec.volumes).toEqual(podSpec(ms).volumes);
    expect(pod.spec.restartPolicy).toBe('Never');
  });
});

describe.skipIf(!helm)('helm/bi-scim Redis', () => {
  it('bundled: a pinned official image with AOF on a PVC, reached through its Service with the password by reference', () => {
    const ms = render(ci('bundled-redis'));
    const statefulSet = must(findManifest(ms, 'StatefulSet'), 'StatefulSet');
    const redis = statefulSet.spec.template.spec.containers[0];
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+(-[a-z0-9.]+)?$/);
    expect(redis.args.join(' ')).toContain('--appendonly yes');
    expect(redis.args.join(' ')).toContain('--requirepass $(REDIS_PASSWORD)');
    expect(envOf(redis).get('REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'bi-scim-redis', key: 'redis-password' });
    expect(statefulSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    const service = must(findManifest(ms, 'Service', `${statefulSet.metadata.name}`), 'Redis Service');
    expect(plainEnv(ms).BI_SCIM_REDIS_URL).toBe(`redis://${service.metadata.name}:6379/0`);
    expect(secretRef(ms, 'BI_SCIM_REDIS_PASSWORD')).toEqual({ name: 'bi-scim-redis', key: 'redis-password' });
  });

  it('bundled without a password: the URL carries none', () => {
    const ms = render({ ...defaults, values: { redis: { enabled: true } } });
    expect(plainEnv(ms).BI_SCIM_REDIS_URL).toBe('redis://scim-bi-scim-redis:6379/0');
    expect(envOf(server(ms)).has('BI_SCIM_REDIS_PASSWORD')).toBe(false);
  });

  it('external: the whole URL comes from the existing Secret and no Redis is deployed', () => {
    const ms = render(ci('external-redis'));
    expect(secretRef(ms, 'BI_SCIM_REDIS_URL')).toEqual({ name: 'bi-scim-redis', key: 'url' });
    expect(findManifest(ms, 'StatefulSet')).toBeUndefined();
    expect(deployment(ms).spec.replicas).toBe(2);
  });

  it('refuses bundled and external Redis at once', () => {
    const result = renderChart(helm!, { ...defaults, values: { redis: { enabled: true }, externalRedis: { existingSecret: 'r' } } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Choose one Redis');
  });

  it.each([
    ['replicaCount=2', { replicaCount: 2 }],
    ['autoscaling.enabled', { autoscaling: { enabled: true } }],
  ])('refuses %s without Redis, saying why', (_label, values) => {
    const result = renderChart(helm!, { ...defaults, values });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/must run as a single replica: set redis\.enabled=true or externalRedis/);
  });
});

describe.skipIf(!helm)('helm/bi-scim optional objects', () => {
  it('renders only the server, its config and its test pod by default', () => {
    expect(kinds(render(defaults))).toEqual(['ConfigMap', 'Deployment', 'Pod', 'Service', 'ServiceAccount']);
  });

  it('autoscales the Deployment with an autoscaling/v2 HPA and leaves replicas to it', () => {
    const ms = render(ci('hpa'));
    const hpa = must(findManifest(ms, 'HorizontalPodAutoscaler'), 'HPA');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment(ms).metadata.name });
    expect(hpa.spec.metrics.map((m: { resource: { name: string } }) => m.resource.name).sort()).toEqual(['cpu', 'memory']);
    expect(deployment(ms).spec.replicas).toBeUndefined();
  });

  it('budgets disruptions over the server pods only', () => {
    const ms = render(ci('pdb'));
    const pdb = must(findManifest(ms, 'PodDisruptionBudget'), 'PDB');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.maxUnavailable).toBeUndefined();
    expect(pdb.spec.selector.matchLabels).toEqual(deployment(ms).spec.selector.matchLabels);
  });

  it('limits traffic: SCIM from the configured sources, metrics from monitoring, egress to DNS, the BI tool and Redis', () => {
    const ms = render(ci('networkpolicy'));
    const policy = must(findManifest(ms, 'NetworkPolicy', deployment(ms).metadata.name), 'NetworkPolicy');
    const from = (port: string) => policy.spec.ingress.find((r: { ports: { port: string }[] }) => r.ports[0].port === port).from;
    expect(from('http')).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);
    expect(from('metrics')).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    expect(policy.spec.egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))).toEqual([53, 53, 3000, 6379]);
    expect(findManifest(ms, 'NetworkPolicy', `${deployment(ms).metadata.name}-redis`)?.spec.ingress[0].ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
    const https = render({ ...ci('networkpolicy'), values: { target: { url: 'https://bi.example.com' } } });
    expect(findManifest(https, 'NetworkPolicy', deployment(https).metadata.name)?.spec.egress[1].ports[0].port).toBe(443);
  });

  it('scrapes /metrics through a ServiceMonitor that selects the Service and its metrics port', () => {
    const ms = render(ci('servicemonitor'));
    const monitor = must(findManifest(ms, 'ServiceMonitor'), 'ServiceMonitor');
    const service = must(findManifest(ms, 'Service'), 'Service');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('routes config.basePath through the Ingress and prints that URL for the IdP with the token command', () => {
    const options = { ...ci('networkpolicy'), values: { config: { basePath: '/idp/scim' } } };
    const ingress = must(findManifest(render(options), 'Ingress'), 'Ingress');
    expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: '/idp/scim', pathType: 'Prefix', backend: { service: { port: { number: 8080 } } } });
    const notes = renderNotes(helm!, options);
    expect(notes).toContain('https://scim.example.com/idp/scim');
    expect(notes).toContain("get secret bi-scim-tokens -o jsonpath='{.data.tokens}' | base64 -d");
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds on a minor-pinned official Node 24 image and ships the bundle without node_modules', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+-(bookworm-slim|alpine)$/m);
    expect(dockerfile).toMatch(/^RUN npm run build/m);
    expect(finalStage).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(finalStage).toMatch(/^ENV NODE_ENV=production$/m);
    expect(finalStage).not.toMatch(/npm (ci|install)|node_modules/);
  });

  it('runs bi-scim serve as a non-root numeric user with both ports exposed', () => {
    expect(finalStage).toMatch(/^USER 10001:10001$/m);
    expect(finalStage).toMatch(/^ENTRYPOINT \["bi-scim"\]$/m);
    expect(finalStage).toMatch(/^CMD \["serve"\]$/m);
    expect(finalStage).toMatch(/^EXPOSE 8080 9090$/m);
    expect(finalStage).toMatch(/ln -s \/app\/bin\/bi-scim\.js \/usr\/local\/bin\/bi-scim/);
  });
});
