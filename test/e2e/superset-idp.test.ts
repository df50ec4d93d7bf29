// End to end against a real Superset 6.1.0: the real bi-scim process and Redis replay every Okta and Entra sequence.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HttpClient } from '../../src/targets/http.ts';
import { SupersetSession } from '../../src/targets/superset/session.ts';
import { listFixtures, loadFixture, replayFixture, uniqueVars } from '../support/replay.ts';
import { guardOffConfig, startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';
import { supersetState } from '../support/superset-state.ts';

const url = inject('supersetUrl');
const admin = { username: inject('supersetUsername') ?? '', password: inject('supersetPassword') ?? '' };
const TOKEN = 'e2e-superset-token';
/** A Redis database of its own, so flushing it touches no other suite. */
const REDIS_DB = 6;

if (process.env.CI && !url) {
  it('a real Superset is installed for CI', () => {
    throw new Error('Apache Superset is not installed, so the Superset end-to-end suite did not run: run bash test/support/superset/install.sh');
  });
}

/** Superset's own API, as its admin or as another user. */
async function superset<T>(method: string, route: string, json?: unknown, credentials = admin): Promise<{ status: number; body: T }> {
  const http = new HttpClient({ baseUrl: url! });
  try {
    return (await new SupersetSession(http, credentials).call(method, route, { json })) as { status: number; body: T };
  } finally {
    await http.close();
  }
}

describe.skipIf(!url)('IdP sequences against a real Superset through the real process', () => {
  let sidecar: SidecarProcess;
  const scim = (path: string, init: RequestInit = {}) =>
    fetch(`${sidecar.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json', ...init.headers } });

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/${REDIS_DB}`;
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
    sidecar = await startSidecarProcess({
      BI_SCIM_TARGET: 'superset',
      BI_SCIM_TARGET_URL: url!,
      BI_SCIM_TARGET_USERNAME: admin.username,
      BI_SCIM_TARGET_PASSWORD: admin.password,
      BI_SCIM_TOKENS: TOKEN,
      BI_SCIM_REDIS_URL: redisUrl,
      BI_SCIM_CONFIG: await guardOffConfig(),
    });
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  it.each(listFixtures())('%s leaves Superset in the state the IdP asked for', async (name) => {
    const fixture = loadFixture(name);
    await replayFixture(fixture, { baseUrl: sidecar.url, token: TOKEN, readState: supersetState(url!, admin), vars: uniqueVars(fixture, 'superset') });
  });

  it('gives a person pushed into a group the permissions of the role that group carries', async () => {
    const tag = randomUUID().slice(0, 8);
    const email = `analyst.${tag}@example.com`;
    const user = (await (
      await scim('/Users', {
        method: 'POST',
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: email,
          name: { givenName: 'Ana', familyName: 'Lyst' },
          emails: [{ value: email, primary: true }],
        }),
      })
    ).json()) as { id: string };
    const group = (await (
      await scim('/Groups', {
        method: 'POST',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Analysts ${tag}`, members: [] }),
      })
    ).json()) as { id: string };

    // A Superset admin gives the group the Alpha role, as an operator would in Settings → List Groups.
    const roles = await superset<{ result: Array<{ id: number; name: string }> }>('GET', '/api/v1/security/roles/', undefined);
    const alpha = roles.body.result.find((r) => r.name === 'Alpha')!;
    expect((await superset('PUT', `/api/v1/security/groups/${group.id}`, { roles: [alpha.id] })).status).toBe(200);
    const password = `Pw-${randomUUID()}-Aa1!`;
    expect((await superset('PUT', `/api/v1/security/users/${user.id}`, { password })).status).toBe(200);
    const asUser = { username: email, password };
    const canWriteDatasets = async () =>
      (await superset<{ permissions: string[] }>('GET', '/api/v1/dataset/_info?q=(keys:!(permissions))', undefined, asUser)).body.permissions.includes(
        'can_write',
      );

    expect(await canWriteDatasets()).toBe(false);
    const patch = await scim(`/Groups/${group.id}`, {
      method: 'PATCH',
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }],
      }),
    });
    expect(patch.status).toBe(204);
    expect(await canWriteDatasets()).toBe(true);

    const deactivate = await scim(`/Users/${user.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] }),
    });
    expect(deactivate.status).toBe(200);
    const after = await superset<{ result: { active: boolean } }>('GET', `/api/v1/security/users/${user.id}`);
    expect(after.body.result.active).toBe(false);
  });
});
