// The bi-scim command line: help, `check` line by line, and token create/list/revoke against a real Redis.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { runCli } from '../../src/cli.ts';
import { noMetrics } from '../../src/metrics.ts';
import { createProvisioning } from '../../src/provisioning/context.ts';
import { createStore } from '../../src/store/index.ts';
import { MetabaseTarget } from '../../src/targets/metabase/adapter.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';

/** A Redis database of its own, flushed before each test. */
const REDIS_DB = 7;
let double: MetabaseDouble;
let redisUrl: string;

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const metabaseEnv = (overrides: Record<string, string> = {}) => ({
  BI_SCIM_TARGET: 'metabase',
  BI_SCIM_TARGET_URL: double.url,
  BI_SCIM_TARGET_API_KEY: double.apiKey,
  BI_SCIM_TOKENS: 'cli-test-token',
  BI_SCIM_REDIS_URL: redisUrl,
  ...overrides,
});

beforeAll(async () => {
  double = await startMetabaseDouble();
  redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
});

beforeEach(async () => {
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
});

afterAll(async () => {
  await double?.close();
});

describe('help', () => {
  it('prints the commands for --help and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'check', 'token', 'audit', 'guard', 'drift', 'reconcile', 'plan'])
      expect(out).toMatch(new RegExp(`^  ${command} +[A-Z]`, 'm'));
  });

  it("prints each command's own help", async () => {
    for (const command of ['serve', 'check', 'token', 'audit', 'guard', 'drift', 'reconcile', 'plan']) {
      const { code, out } = await run([command, '--help']);
      expect(code).toBe(0);
      expect(out).toContain(`bi-scim ${command}`);
    }
  });

  it('refuses an unknown command with exit 2 and the usage', async () => {
    const { code, err } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(err).toContain('Unknown command "frobnicate"');
  });
});

describe('check', () => {
  it('passes every check against a reachable Metabase with an admin key and a reachable Redis', async () => {
    const { code, out } = await run(['check'], metabaseEnv());
    expect(out).not.toContain('FAIL');
    expect(out.split('\n').filter((l) => l.startsWith('ok '))).toHaveLength(5);
    expect(code).toBe(0);
  });

  it('lists every configuration problem at once and exits 1', async () => {
    const { code, out } = await run(['check'], { BI_SCIM_TARGET: 'looker', BI_SCIM_PORT: 'eighty' });
    expect(code).toBe(1);
    expect(out).toContain('FAIL  configuration');
    expect(out).toContain('BI_SCIM_TARGET');
    expect(out).toContain('BI_SCIM_TARGET_URL: is required');
    expect(out).toContain('BI_SCIM_PORT');
  });

  it('says the credentials are refused, with a fix hint, for a wrong API key', async () => {
    const { code, out } = await run(['check'], metabaseEnv({ BI_SCIM_TARGET_API_KEY: 'mb_wrong' }));
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL {2}BI credentials: .*401/);
    expect(out).toContain('fix: check BI_SCIM_TARGET_API_KEY');
  });

  it('says the account is not an administrator for a non-admin login', async () => {
    double.seed.user({ email: 'viewer@example.com', password: 'viewer-pass-1', is_superuser: false });
    const { code, out } = await run(
      ['check'],
      metabaseEnv({ BI_SCIM_TARGET_API_KEY: '', BI_SCIM_TARGET_USERNAME: 'viewer@example.com', BI_SCIM_TARGET_PASSWORD: 'viewer-pass-1' }),
    );
    expect(code).toBe(1);
    expect(out).toContain('ok    BI credentials');
    expect(out).toMatch(/FAIL {2}BI privileges: .*Administrators/);
    expect(out).toContain('that the account is an administrator');
  });

  it('says Metabase cannot be reached, with a hint naming BI_SCIM_TARGET_URL', async () => {
    const { code, out } = await run(['check'], metabaseEnv({ BI_SCIM_TARGET_URL: 'http://127.0.0.1:9' }));
    expect(code).toBe(1);
    expect(out).toContain('FAIL  BI credentials');
    expect(out).toContain('fix: check BI_SCIM_TARGET_URL');
  });

  it('says Redis cannot be reached, with a hint naming BI_SCIM_REDIS_URL', async () => {
    const { code, out } = await run(['check'], metabaseEnv({ BI_SCIM_REDIS_URL: 'redis://127.0.0.1:9' }));
    expect(code).toBe(1);
    expect(out).toContain('FAIL  store');
    expect(out).toContain('fix: check BI_SCIM_REDIS_URL');
  });

  it('fails when no bearer token is configured anywhere', async () => {
    const { code, out } = await run(['check'], metabaseEnv({ BI_SCIM_TOKENS: '' }));
    expect(code).toBe(1);
    expect(out).toContain('FAIL  bearer tokens: none configured');
  });
});

describe('tokens', () => {
  /** An app that authenticates against the store the CLI writes to, built fresh so no token list is cached. */
  async function statusWith(token: string): Promise<number> {
    const store = await createStore({ redisUrl, logger: { warn: () => undefined } });
    const target = new MetabaseTarget({ url: double.url, credentials: { apiKey: double.apiKey } });
    const logger = pino({ level: 'silent' });
    const options = { groupMappings: [], protectedUsers: [], usernameTemplate: null, hardDelete: false };
    const app = createApp({
      provisioning: createProvisioning({ store, target, logger, metrics: noMetrics, options }),
      logger,
      basePath: '/scim/v2',
      tokens: [],
      maxBodyBytes: 1_000_000,
      rateLimitRps: 0,
    });
    try {
      return (await app.request('/scim/v2/Users?count=1', { headers: { authorization: `Bearer ${token}` } })).status;
    } finally {
      await target.close();
      await store.close();
    }
  }

  it('creates a token that is printed once, stored only as a hash, and accepted by the server', async () => {
    const { code, out, err } = await run(['token', 'create', '--name', 'okta'], { BI_SCIM_REDIS_URL: redisUrl });
    expect(code).toBe(0);
    expect(out).toMatch(/^bscim_[A-Za-z0-9_-]{43}$/);
    expect(err).toContain('shown only now');
    const redis = new Redis(redisUrl);
    const stored = await redis.hgetall('{bi-scim}:tokens');
    redis.disconnect();
    expect(Object.keys(stored)).toEqual(['okta']);
    expect(JSON.stringify(stored)).not.toContain(out);
    expect(await statusWith(out)).toBe(200);
  });

  it('keeps several tokens valid at once so an IdP can move to a new one before the old is revoked', async () => {
    const old = (await run(['token', 'create', '--name', 'entra-2026'], { BI_SCIM_REDIS_URL: redisUrl })).out;
    const fresh = (await run(['token', 'create', '--name', 'entra-2027', '--expires', '90d'], { BI_SCIM_REDIS_URL: redisUrl })).out;
    expect(await statusWith(old)).toBe(200);
    expect(await statusWith(fresh)).toBe(200);

    const listed = (await run(['token', 'list'], { BI_SCIM_REDIS_URL: redisUrl })).out.split('\n');
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatch(/^NAME +SOURCE +CREATED +EXPIRES +LAST USED +AGE +FLAGS$/);
    expect(listed[1]).toMatch(/^entra-2026 +store .* never expires +never +0d$/);
    expect(listed[2]).toMatch(/^entra-2027 +store .* \d{4}-\d\d-\d\dT[\d:.]+Z +never +0d$/);

    expect(await run(['token', 'revoke', 'entra-2026'], { BI_SCIM_REDIS_URL: redisUrl })).toMatchObject({ code: 0, out: 'Token "entra-2026" revoked.' });
    expect(await statusWith(old)).toBe(401);
    expect(await statusWith(fresh)).toBe(200);
  });

  it('refuses an expired token', async () => {
    const store = await createStore({ redisUrl, logger: { warn: () => undefined } });
    const { sha256Hex } = await import('../../src/tokens.ts');
    await store.putToken({ name: 'stale', sha256: sha256Hex('stale-token'), createdAt: '2020-01-01T00:00:00Z', expiresAt: '2021-01-01T00:00:00Z' });
    await store.close();
    expect(await statusWith('stale-token')).toBe(401);
    expect((await run(['token', 'list'], { BI_SCIM_REDIS_URL: redisUrl })).out).toContain('expired 2021-01-01');
  });

  it('creates a dry-run token that says so in the list, and whose plan starts empty', async () => {
    const created = await run(['token', 'create', '--name', 'okta-trial', '--dry-run'], { BI_SCIM_REDIS_URL: redisUrl });
    expect(created.code).toBe(0);
    expect(created.err).toContain('bi-scim plan --token okta-trial');
    expect(await statusWith(created.out)).toBe(200);
    expect((await run(['token', 'list'], { BI_SCIM_REDIS_URL: redisUrl })).out).toMatch(/^okta-trial .* DRY RUN/m);
    expect(await run(['plan'], metabaseEnv())).toMatchObject({ code: 0, out: 'No dry-run token has planned anything yet.' });
    expect((await run(['plan', '--token', 'okta-trial'], metabaseEnv())).out).toContain('The token "okta-trial" has planned nothing');
    expect(await run(['plan', '--discard', '--token', 'okta-trial'], metabaseEnv())).toMatchObject({ code: 0, out: 'Discarded the plan of "okta-trial".' });
    expect((await run(['plan', '--format', 'xml'], metabaseEnv())).err).toContain('--format takes table, json');
  });

  it('explains what is wrong with a bad call and exits non-zero', async () => {
    expect((await run(['token', 'create'], { BI_SCIM_REDIS_URL: redisUrl })).err).toContain('needs --name');
    expect((await run(['token', 'create', '--name', 'x', '--expires', 'soon'], { BI_SCIM_REDIS_URL: redisUrl })).err).toContain('--expires must be');
    const missing = await run(['token', 'revoke', 'nobody'], { BI_SCIM_REDIS_URL: redisUrl });
    expect(missing).toMatchObject({ code: 1, err: 'No token named "nobody".' });
  });
});
