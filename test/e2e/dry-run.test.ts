// End to end: each IdP sequence replayed through a dry-run token makes no BI write, and its plan lists exactly the
// BI writes the same sequence makes through a real token (the real process, real Redis, the Metabase double, the CLI).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PlanReport } from '../../src/operations/plan.ts';
import { startMetabaseDouble, type CallRecord, type MetabaseDouble } from '../support/metabase-double.ts';
import { metabaseState } from '../support/metabase-state.ts';
import { listFixtures, loadFixture, replayFixture, type Fixture, type NeutralState } from '../support/replay.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REAL_TOKEN = 'e2e-dry-run-real-token';
/** Redis databases of their own: the dry run's, and the real run's (flushed before each fixture). */
const DRY_DB = 11;
const REAL_DB = 12;
const CLI_TIMEOUT_MS = 30_000;
const FIXTURES = listFixtures();

let double: MetabaseDouble;
let sidecar: SidecarProcess;
let env: Record<string, string>;

async function flush(url: string): Promise<void> {
  const redis = new Redis(url);
  await redis.flushdb();
  redis.disconnect();
}

function sidecarEnv(biUrl: string, apiKey: string, redisUrl: string, config: string): Record<string, string> {
  return {
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: biUrl,
    BI_SCIM_TARGET_API_KEY: apiKey,
    BI_SCIM_TOKENS: `real:${REAL_TOKEN}`,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_CONFIG: config,
  };
}

/** The bi-scim CLI as an operator runs it. */
async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['src/main.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: CLI_TIMEOUT_MS });
}

/** What the BI tool would hold as the dry-run token reads it over SCIM: the overlay, not Metabase. */
function stateThroughScim(token: string): () => Promise<NeutralState> {
  const get = async (path: string) => {
    const res = await fetch(`${sidecar.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as { Resources: Array<Record<string, any>> };
  };
  return async () => {
    const [users, groups] = [(await get('/Users?count=1000')).Resources, (await get('/Groups?count=1000')).Resources];
    const emailOf = (id: string) => users.find((u) => u.id === id)?.emails?.[0]?.value as string;
    return {
      users: users.map((u) => ({
        email: u.emails?.[0]?.value,
        active: u.active,
        firstName: u.name?.givenName ?? null,
        lastName: u.name?.familyName ?? null,
        groups: (u.groups ?? []).map((g: { display: string }) => g.display),
      })),
      groups: groups.map((g) => ({ name: g.displayName, members: (g.members ?? []).map((m: { value: string }) => emailOf(m.value)) })),
    };
  };
}

/**
 * SCIM answers 404 for a DELETEd person, so reads through SCIM cannot show the deactivated account the BI tool keeps:
 * the dry run's state checks stop at the first DELETE of a User (its answers are still checked, and so are its calls).
 */
function statesUntilUserDelete(fixture: Fixture): Fixture {
  const first = fixture.steps.findIndex((s) => s.request.method === 'DELETE' && s.request.path.startsWith('/Users/'));
  return { ...fixture, steps: fixture.steps.map((s, i) => (first >= 0 && i >= first ? { ...s, state: undefined } : s)) };
}

/** A BI write as method and route template: concrete ids (Metabase's numbers) become `:id`. */
const writesOf = (calls: CallRecord[]) => calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`);

beforeAll(async () => {
  double = await startMetabaseDouble();
  const redisUrl = `${inject('redisUrl')}/${DRY_DB}`;
  await flush(redisUrl);
  env = sidecarEnv(double.url, double.apiKey, redisUrl, await guardOffConfig());
  sidecar = await startSidecarProcess(env);
});

afterAll(async () => {
  await sidecar?.stop();
  await double?.close();
});

/** Replays `name` through a real token against a fresh double and store; answers the BI writes it made. */
async function realWrites(name: string): Promise<string[]> {
  const fresh = await startMetabaseDouble();
  const redisUrl = `${inject('redisUrl')}/${REAL_DB}`;
  await flush(redisUrl);
  const real = await startSidecarProcess(sidecarEnv(fresh.url, fresh.apiKey, redisUrl, await guardOffConfig()));
  try {
    fresh.resetCalls();
    await replayFixture(loadFixture(name), { baseUrl: real.url, token: REAL_TOKEN, readState: metabaseState(fresh) });
    return writesOf(fresh.calls);
  } finally {
    await real.stop();
    await fresh.close();
  }
}

describe('a dry-run token in the real process', () => {
  it.each(FIXTURES)('%s through a dry-run token makes no BI write, and its plan lists the writes a real token makes', async (name) => {
    const tokenName = `trial-${name}`;
    const created = await cli(['token', 'create', '--name', tokenName, '--dry-run']);
    const token = created.stdout.trim();
    expect(created.stderr).toContain('dry run');
    // The sidecar rereads the store's tokens every few seconds: wait (bounded) until it accepts the new one.
    for (let i = 0; i < 50 && (await fetch(`${sidecar.url}/Users?count=1`, { headers: { authorization: `Bearer ${token}` } })).status === 401; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    double.resetCalls();
    await replayFixture(statesUntilUserDelete(loadFixture(name)), { baseUrl: sidecar.url, token, readState: stateThroughScim(token) });
    expect(writesOf(double.calls)).toEqual([]);

    const plan = JSON.parse((await cli(['plan', '--token', tokenName, '--format', 'json'])).stdout) as PlanReport;
    const planned = plan.calls.map((c) => `${c.method} ${c.route}`);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned).toEqual(await realWrites(name));
    expect(plan.people.length).toBeGreaterThan(0);
    expect(plan.people.every((p) => p.id.startsWith('provisional-'))).toBe(true);
  });

  it('marks every audit event of a dry-run token as a dry run', async () => {
    const lines = (await cli(['audit', '--format', 'json', '--limit', '1000'])).stdout.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { caller: { token: string } | null; dryRun?: boolean; action: string });
    const dry = events.filter((e) => e.caller?.token.startsWith('trial-'));
    expect(dry.length).toBeGreaterThan(0);
    expect(dry.every((e) => e.dryRun === true)).toBe(true);
    expect((await cli(['audit', '--limit', '5'])).stdout).toContain('(dry run)');
  });

  it('shows the plan as a table and drops it with --discard', async () => {
    const table = (await cli(['plan'])).stdout;
    expect(table).toContain('Plan of dry-run token "trial-okta-catalog"');
    expect(table).toContain('POST    /api/user');
    expect((await cli(['plan', '--discard'])).stdout).toContain('Discarded the plan of');
    expect((await cli(['plan'])).stdout).toContain('No dry-run token has planned anything yet.');
  });
});
