// The console over HTTP, two replicas sharing a real Redis: who may sign in, what the session cookie says, what the
// forms refuse, and the replicas' heartbeats with their callers summed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConfigError, loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startSidecar, type Sidecar } from '../../src/server.ts';
import { createStore } from '../../src/store/index.ts';
import { sha256Hex } from '../../src/tokens.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { freePort } from '../support/ports.ts';
import { emptyDatabase } from '../support/redis-server.ts';

const IDP_TOKEN = 'http-test-idp-token';
const OPS = 'http-test-ops-secret';
const RETIRED = 'http-test-retired-secret';
/** A Redis database of its own, so flushing it touches no other suite. */
const REDIS_DB = 10;
const logger = createLogger('silent');

let double: MetabaseDouble;
let redisUrl: string;
/** Replica A still accepts the retired admin token; replica B no longer does. */
let a: Sidecar;
let b: Sidecar;

async function settings(adminTokens: string, extra: Record<string, string> = {}) {
  return {
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: `okta:${IDP_TOKEN}`,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_ADMIN_TOKENS: adminTokens,
    BI_SCIM_HOST: '127.0.0.1',
    BI_SCIM_PORT: String(await freePort()),
    BI_SCIM_METRICS_PORT: String(await freePort()),
    BI_SCIM_ADMIN_PORT: String(await freePort()),
    BI_SCIM_SHUTDOWN_GRACE_SECONDS: '0',
    BI_SCIM_LOG_LEVEL: 'silent',
    ...extra,
  };
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: new URLSearchParams(fields),
  headers,
  redirect: 'manual',
});

/** Signs in and answers the session cookie (`name=value`) and the Set-Cookie header as sent. */
async function signIn(console: string, token: string, headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
  const res = await fetch(`${console}/sign-in`, form({ token }, headers));
  expect(res.status).toBe(303);
  const setCookie = res.headers.getSetCookie()[0];
  return { cookie: setCookie.split(';')[0], setCookie };
}

const get = (url: string, cookie?: string) => fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

beforeAll(async () => {
  double = await startMetabaseDouble();
  redisUrl = await emptyDatabase(inject('redisUrl'), REDIS_DB);
  a = await startSidecar(loadConfig(await settings(`ops:${OPS},retired:${RETIRED}`, { BI_SCIM_TRUST_PROXY: 'true' })), logger);
  b = await startSidecar(loadConfig(await settings(`ops:sha256:${sha256Hex(OPS)}`)), logger);
});

afterAll(async () => {
  await a?.shutdown();
  await b?.shutdown();
  await double?.close();
});

describe('console settings', () => {
  it('refuses an admin token that is also an IdP token, in either form', async () => {
    for (const admin of [IDP_TOKEN, `sha256:${sha256Hex(IDP_TOKEN)}`]) {
      const problems = (() => {
        try {
          loadConfig({
            BI_SCIM_TARGET: 'metabase',
            BI_SCIM_TARGET_URL: 'http://mb.example',
            BI_SCIM_TARGET_API_KEY: 'k',
            BI_SCIM_TOKENS: IDP_TOKEN,
            BI_SCIM_ADMIN_TOKENS: admin,
          });
          return [];
        } catch (err) {
          return (err as ConfigError).problems;
        }
      })();
      expect(problems).toEqual(['BI_SCIM_ADMIN_TOKENS: "admin-1" is also in BI_SCIM_TOKENS; an admin token must be its own']);
    }
  });

  it('defaults to port 8082 and serves no console without admin tokens', async () => {
    const config = loadConfig({ BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: 'http://mb.example', BI_SCIM_TARGET_API_KEY: 'k', BI_SCIM_TOKENS: IDP_TOKEN });
    expect(config.admin).toEqual({ port: 8082, tokens: [] });
    const plain = await startSidecar(loadConfig(await settings('', { BI_SCIM_REDIS_URL: '' })), logger);
    expect(plain.consoleUrl).toBeNull();
    await plain.shutdown();
  });

  it('will not start when an admin token is an IdP token kept in the store', async () => {
    const store = await createStore({ redisUrl, logger });
    await store.putToken({ name: 'entra', sha256: sha256Hex('stored-idp-token'), createdAt: new Date().toISOString(), expiresAt: null });
    await store.close();
    await expect(startSidecar(loadConfig(await settings('ops:stored-idp-token')), logger)).rejects.toThrow(/ops is also an IdP token in the store/);
  });
});

describe('console sign-in and forms', () => {
  it('sends a visitor without a session to sign in, for pages and exports alike', async () => {
    for (const path of ['/', '/audit/export?format=csv', '/guard']) {
      const res = await get(`${a.consoleUrl}${path}`);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe('/sign-in');
    }
  });

  it('marks the cookie Secure when the browser reached it over HTTPS through a trusted proxy', async () => {
    const { setCookie } = await signIn(a.consoleUrl!, OPS, { 'x-forwarded-proto': 'https' });
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Secure/);
    expect((await signIn(a.consoleUrl!, OPS)).setCookie).not.toMatch(/Secure/);
  });

  it('accepts a form whose origin is the host a trusted proxy forwarded, and refuses other origins', async () => {
    const through = (origin: string) => fetch(`${a.consoleUrl}/sign-in`, form({ token: OPS }, { origin, 'x-forwarded-host': 'console.example.com' }));
    expect((await through('https://console.example.com')).status).toBe(303);
    expect((await through('https://evil.example')).status).toBe(403);
    // Replica B does not trust proxies: only its own Host counts.
    const direct = await fetch(
      `${b.consoleUrl}/sign-in`,
      form({ token: OPS }, { origin: 'https://console.example.com', 'x-forwarded-host': 'console.example.com' }),
    );
    expect(direct.status).toBe(403);
  });

  it('honours a session on every replica, and ends one whose token a replica no longer accepts', async () => {
    const ops = await signIn(a.consoleUrl!, OPS);
    expect((await get(`${b.consoleUrl}/`, ops.cookie)).status).toBe(200);
    const retired = await signIn(a.consoleUrl!, RETIRED);
    expect((await get(`${a.consoleUrl}/`, retired.cookie)).status).toBe(200);
    expect((await get(`${b.consoleUrl}/`, retired.cookie)).status).toBe(303);
  });

  it('answers bad filters, a bad export format, a bad approval and unknown pages with a page that says so', async () => {
    const { cookie } = await signIn(a.consoleUrl!, OPS);
    expect((await get(`${a.consoleUrl}/audit?until=soon`, cookie)).status).toBe(400);
    expect((await get(`${a.consoleUrl}/audit/export?format=xml`, cookie)).status).toBe(400);
    expect((await get(`${a.consoleUrl}/audit/export?format=csv&since=someday`, cookie)).status).toBe(400);
    expect((await get(`${a.consoleUrl}/nowhere`, cookie)).status).toBe(404);
    const page = await (await get(`${a.consoleUrl}/guard`, cookie)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    const approve = (fields: Record<string, string>) => fetch(`${a.consoleUrl}/guard/approve`, { ...form(fields), headers: { cookie } });
    expect((await approve({ csrf, for: '10y' })).status).toBe(400);
    expect((await approve({ csrf: 'x'.repeat(43), for: '1h' })).status).toBe(403);
    expect((await get(`${a.consoleUrl}/guard`, cookie)).status).toBe(200);
    const huge = await fetch(`${a.consoleUrl}/sign-in`, form({ token: 'x'.repeat(20_000) }));
    expect(huge.status).toBe(413);
  });
});

describe('replicas and callers', () => {
  it('lists both replicas on the Overview and sums their callers on Activity', async () => {
    const scim = (sidecar: Sidecar, token: string) =>
      fetch(`${sidecar.url}/Users?count=1`, { headers: { authorization: `Bearer ${token}`, 'user-agent': 'Entra-Provisioning/1.0' } });
    for (const sidecar of [a, b, b]) expect((await scim(sidecar, IDP_TOKEN)).status).toBe(200);
    expect((await scim(a, 'wrong-token')).status).toBe(401);
    const { cookie } = await signIn(a.consoleUrl!, OPS);
    // B's counts reach the store with its own next beat; asking B's console for a page makes B beat at once.
    expect((await get(`${b.consoleUrl}/activity`, (await signIn(b.consoleUrl!, OPS)).cookie)).status).toBe(200);
    const overview = await (await get(`${a.consoleUrl}/`, cookie)).text();
    expect(overview).toContain('2 replicas up');
    const activity = await (await get(`${a.consoleUrl}/activity`, cookie)).text();
    expect(activity).toMatch(/<span class="mono">okta<\/span><\/td><td>Entra-Provisioning\/1\.0<\/td><td class="num">3<\/td><td class="num">0<\/td>/);
    expect(activity).toMatch(/\(no valid token\)<\/span><\/td><td>Entra-Provisioning\/1\.0<\/td><td class="num">1<\/td><td class="num">1<\/td>/);
  });
});
