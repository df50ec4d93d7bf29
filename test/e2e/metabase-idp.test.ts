// End to end: the real bi-scim process, real Redis, the Metabase double; every Okta and Entra sequence replayed.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { metabaseState } from '../support/metabase-state.ts';
import { listFixtures, loadFixture, replayFixture, uniqueVars } from '../support/replay.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';

const TOKEN = 'e2e-metabase-token';
/** A Redis database of its own, so flushing it touches no other suite. */
const REDIS_DB = 5;

let double: MetabaseDouble;
let sidecar: SidecarProcess;
let redisUrl: string;

const scim = (path: string, init: RequestInit = {}) =>
  fetch(`${sidecar.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json', ...init.headers } });

beforeAll(async () => {
  double = await startMetabaseDouble();
  redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
  sidecar = await startSidecarProcess({
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_REDIS_URL: redisUrl,
    BI_SCIM_CONFIG: await guardOffConfig(),
  });
});

afterAll(async () => {
  await sidecar?.stop();
  await double?.close();
});

describe('IdP sequences against Metabase through the real process', () => {
  it.each(listFixtures())('%s leaves Metabase in the state the IdP asked for', async (name) => {
    const fixture = loadFixture(name);
    await replayFixture(fixture, { baseUrl: sidecar.url, token: TOKEN, readState: metabaseState(double) });
  });

  it.each(listFixtures())('%s replays again on a populated directory without conflicts', async (name) => {
    const fixture = loadFixture(name);
    await replayFixture(fixture, { baseUrl: sidecar.url, token: TOKEN, readState: metabaseState(double), vars: uniqueVars(fixture, 'again') });
  });

  it('keeps every id and creates no duplicate after Redis is flushed', async () => {
    const created = await scim('/Users', {
      method: 'POST',
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'Flush.Survivor@Example.com',
        name: { givenName: 'Flush', familyName: 'Survivor' },
        emails: [{ value: 'flush.survivor@example.com', primary: true }],
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();

    const found = await scim(`/Users?filter=${encodeURIComponent('userName eq "flush.survivor@example.com"')}`);
    const list = (await found.json()) as { totalResults: number; Resources: Array<{ id: string }> };
    expect(list.totalResults).toBe(1);
    expect(list.Resources[0].id).toBe(id);

    const again = await scim('/Users', {
      method: 'POST',
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'flush.survivor@example.com' }),
    });
    expect(again.status).toBe(409);
    expect(double.state.users().filter((u) => u.email === 'flush.survivor@example.com')).toHaveLength(1);
  });

  it('logs one line per request with a request id and never a credential', () => {
    const requestLines = sidecar.logs.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines.length).toBeGreaterThan(50);
    for (const line of requestLines) expect(JSON.parse(line).requestId).toMatch(/\S/);
    const all = sidecar.logs.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(double.apiKey);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    expect(await sidecar.stop()).toBe(0);
  });
});
