// End to end against a real Superset: each IdP sequence through a dry-run token makes no BI write, and its plan lists
// exactly the BI writes the same sequence then makes through a real token (Superset's calls seen by a recording proxy).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PlanReport } from '../../src/operations/plan.ts';
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../support/recording-proxy.ts';
import { listFixtures, loadFixture, replayFixture, uniqueVars, type Fixture } from '../support/replay.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';
import { supersetState } from '../support/superset-state.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const url = inject('supersetUrl');
const admin = { username: inject('supersetUsername') ?? '', password: inject('supersetPassword') ?? '' };
const REAL_TOKEN = 'e2e-superset-dry-run-real-token';
/** Redis databases of their own: the dry run's and the real run's. */
const DRY_DB = 13;
const REAL_DB = 14;
const CLI_TIMEOUT_MS = 60_000;
/** Logging in is how bi-scim reads Superset at all, not a change to it. */
const SESSION_ROUTES = new Set(['/api/v1/security/login', '/api/v1/security/refresh']);

async function flush(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
}

/** A BI write as method and route template: concrete ids become `:id`. */
const writesOf = (calls: RecordedRequest[]) =>
  calls.filter((c) => c.method !== 'GET' && !SESSION_ROUTES.has(c.path)).map((c) => `${c.method} ${c.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`);

/** No state checks through a dry-run token here: Superset is not what it changes (test/e2e/dry-run.test.ts reads its overlay). */
const withoutStates = (fixture: Fixture): Fixture => ({ ...fixture, steps: fixture.steps.map((s) => ({ ...s, state: undefined })) });

describe.skipIf(!url)('a dry-run token against a real Superset', () => {
  let proxy: RecordingProxy;
  let dry: SidecarProcess;
  let real: SidecarProcess;
  let env: Record<string, string>;

  const sidecarEnv = (redisUrl: string, config: string) => ({
    BI_SCIM_TARGET: 'superset',
    BI_SCIM_TARGET_URL: proxy.url,
    BI_SCIM_TARGET_USERNAME: admin.username,
    BI_SCIM_TARGET_PASSWORD: admin.password,
    BI_SCIM_TOKENS: `real:${REAL_TOKEN}`,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_CONFIG: config,
  });
  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, ['src/main.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: CLI_TIMEOUT_MS });

  beforeAll(async () => {
    proxy = await startRecordingProxy(url!);
    const [dryRedis, realRedis] = [`${inject('redisUrl')}/${DRY_DB}`, `${inject('redisUrl')}/${REAL_DB}`];
    await Promise.all([flush(dryRedis), flush(realRedis)]);
    env = sidecarEnv(dryRedis, await guardOffConfig());
    dry = await startSidecarProcess(env);
    real = await startSidecarProcess(sidecarEnv(realRedis, await guardOffConfig()));
  });

  afterAll(async () => {
    await dry?.stop();
    await real?.stop();
    await proxy?.close();
  });

  it.each(listFixtures())('%s through a dry-run token makes no Superset write, and its plan lists the writes a real token makes', async (name) => {
    const tokenName = `trial-${name}`;
    const token = (await cli(['token', 'create', '--name', tokenName, '--dry-run'])).stdout.trim();
    // The sidecar rereads the store's tokens every few seconds: wait (bounded) until it accepts the new one.
    for (let i = 0; i < 50 && (await fetch(`${dry.url}/Users?count=1`, { headers: { authorization: `Bearer ${token}` } })).status === 401; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const fixture = loadFixture(name);
    const vars = uniqueVars(fixture, `dry${Date.now().toString(36)}`);
    proxy.calls.splice(0);
    await replayFixture(withoutStates(fixture), { baseUrl: dry.url, token, readState: supersetState(url!, admin), vars });
    expect(writesOf(proxy.calls)).toEqual([]);

    const plan = JSON.parse((await cli(['plan', '--token', tokenName, '--format', 'json'])).stdout) as PlanReport;
    proxy.calls.splice(0);
    await replayFixture(fixture, { baseUrl: real.url, token: REAL_TOKEN, readState: supersetState(url!, admin), vars });
    const planned = plan.calls.map((c) => `${c.method} ${c.route}`);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned).toEqual(writesOf(proxy.calls));
  });
});
