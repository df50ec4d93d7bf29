// The production start path: the bundled build output alone, `bi-scim serve`; health, readiness, metrics.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';

const TOKEN = 'production-path-token';
/** Made by `.ci/prod-build.sh <dir>` (CI runs it before the tests); a developer can run it by hand. */
const dir = process.env.BI_SCIM_PROD_DIR;
let double: MetabaseDouble;
let sidecar: SidecarProcess;

if (process.env.CI && !dir) {
  it('has the production build CI makes', () => {
    throw new Error('BI_SCIM_PROD_DIR is not set: .ci/run builds it with .ci/prod-build.sh before npm test');
  });
}

beforeAll(async () => {
  if (!dir) return;
  double = await startMetabaseDouble();
  sidecar = await startSidecarProcess(
    { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: double.url, BI_SCIM_TARGET_API_KEY: double.apiKey, BI_SCIM_TOKENS: TOKEN, NODE_ENV: 'production' },
    [process.execPath, join(dir, 'bin', 'bi-scim.js'), 'serve'],
  );
}, 60_000);

afterAll(async () => {
  await sidecar?.stop();
  await double?.close();
});

describe.skipIf(!dir)('the production build', () => {
  it('is the bundle alone: no node_modules and no TypeScript source, yet it runs (the tests below)', () => {
    const root = dir as string;
    expect(existsSync(join(root, 'node_modules'))).toBe(false);
    expect(existsSync(join(root, 'src'))).toBe(false);
    expect(existsSync(join(root, 'dist', 'main.js'))).toBe(true);
  });

  it('answers /healthz without looking at dependencies', async () => {
    const res = await fetch(`${sidecar.origin}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready while the store and Metabase answer, and not ready when Metabase is down', async () => {
    const ready = await fetch(`${sidecar.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: 'ok', target: 'ok' });

    // One check answers probes for 5 s (so probes multiply no BI calls): the failure shows once that has passed.
    double.failNext({ pathPrefix: '/api/health' }, 503);
    let down = await fetch(`${sidecar.origin}/readyz`);
    for (let tries = 0; down.status === 200 && tries < 40; tries++) {
      await new Promise((r) => setTimeout(r, 250));
      down = await fetch(`${sidecar.origin}/readyz`);
    }
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not ready', store: 'ok' });
  });

  it('serves SCIM and counts requests and BI calls in Prometheus metrics on its own port', async () => {
    const scim = await fetch(`${sidecar.url}/Users?count=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scim.status).toBe(200);
    const metrics = await (await fetch(sidecar.metricsUrl)).text();
    expect(metrics).toMatch(/bi_scim_http_request_duration_seconds_count\{method="GET",route="\/scim\/v2\/Users",status="200"\} 1/);
    expect(metrics).toMatch(/bi_scim_bi_call_duration_seconds_count\{method="GET",endpoint="\/api\/user",status="200"\} [1-9]/);
    expect(metrics).toContain('bi_scim_process_resident_memory_bytes');
    expect((await fetch(`${sidecar.origin}/metrics`)).status).toBe(404);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    expect(await sidecar.stop()).toBe(0);
    expect(sidecar.logs.some((l) => l.includes('"msg":"draining"'))).toBe(true);
  });
});
