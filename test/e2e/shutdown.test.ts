// Graceful shutdown of the real process: readiness fails at once, serving goes on through the grace period,
// in-flight requests finish, the process exits within its bound, and a second signal exits at once.
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';

const TOKEN = 'shutdown-token';
let double: MetabaseDouble;
let sidecar: SidecarProcess;

async function start(graceSeconds: number, timeoutSeconds: number): Promise<SidecarProcess> {
  return startSidecarProcess({
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
    BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS: String(timeoutSeconds),
  });
}

const scim = (path: string) => fetch(`${sidecar.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

beforeEach(async () => {
  double = await startMetabaseDouble();
});

afterEach(async () => {
  sidecar?.child.kill('SIGKILL');
  await double.close();
});

describe('SIGTERM', () => {
  it('fails readiness at once, keeps serving through the grace period, lets a slow request finish, and exits 0', async () => {
    sidecar = await start(2, 10);
    const exited = once(sidecar.child, 'exit');
    const started = Date.now();
    sidecar.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const ready = await fetch(`${sidecar.origin}/readyz`);
    expect([ready.status, ready.headers.get('connection')]).toEqual([503, 'close']);
    expect((await scim('/Users?count=1')).status).toBe(200);

    // Started inside the grace period, still running when the listener closes at its end.
    double.setDelay(2_500);
    const slow = scim('/Users?count=1');
    expect((await slow).status).toBe(200);

    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sidecar.logs.some((l) => l.includes('"msg":"draining"'))).toBe(true);
  });

  it('exits at once on a second signal while draining', async () => {
    sidecar = await start(30, 30);
    const exited = once(sidecar.child, 'exit');
    sidecar.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    sidecar.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
