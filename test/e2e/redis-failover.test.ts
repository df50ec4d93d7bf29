// End to end: a Sentinel failover in the middle of a provisioning run loses no person, membership, tombstone or token.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelSidecar, type SentinelSidecar } from '../support/redis-failover.ts';
import { redisServerAvailable } from '../support/redis-server.ts';

const PEOPLE = 24;
const GROUPS = 3;
/** People start one after another, so their requests span the failover, which starts after the FAILOVER_AT-th. */
const START_EVERY_MS = 150;
const FAILOVER_AT = 6;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const available = await redisServerAvailable();

const userName = (i: number) => `failover.person-${i}@example.com`;
const deleted = (i: number) => i % 4 === 0;
const deactivated = (i: number) => i % 4 === 1;
const userDoc = (i: number) => ({
  schemas: [USER_SCHEMA],
  userName: userName(i),
  externalId: `ext-${i}`,
  name: { givenName: 'Person', familyName: `Number${i}` },
  emails: [{ value: userName(i), primary: true }],
  active: true,
});
const patch = (op: string, path: string, value: unknown) => ({ schemas: [PATCH_OP], Operations: [{ op, path, value }] });

describe.skipIf(!available)('a Sentinel failover during a provisioning run', () => {
  let env: SentinelSidecar;
  beforeAll(async () => {
    env = await startSentinelSidecar();
  });
  afterAll(async () => {
    await env?.stop();
  });

  /** POST, or, when a retried POST meets the person its earlier attempt created, match and PUT as an IdP does. */
  async function create(i: number): Promise<string> {
    const created = await env.scim.request('POST', '/Users', userDoc(i));
    if (created.status === 201) return created.body.id;
    expect([created.status, created.retries > 0]).toEqual([409, true]);
    const found = await env.scim.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(i)}"`)}`);
    const id = found.body.Resources[0].id as string;
    expect((await env.scim.request('PUT', `/Users/${id}`, userDoc(i))).status).toBe(200);
    return id;
  }

  async function provision(i: number, groupIds: string[]): Promise<string> {
    const id = await create(i);
    expect((await env.scim.request('PATCH', `/Users/${id}`, patch('replace', 'title', `Title ${i}`))).status).toBe(200);
    const joined = await env.scim.request('PATCH', `/Groups/${groupIds[i % GROUPS]}`, patch('add', 'members', [{ value: id }]));
    expect([200, 204]).toContain(joined.status);
    if (deactivated(i)) expect((await env.scim.request('PATCH', `/Users/${id}`, patch('replace', 'active', false))).status).toBe(200);
    if (deleted(i)) {
      // A DELETE whose answer was lost finds the person already gone when it is retried.
      const answer = await env.scim.request('DELETE', `/Users/${id}`);
      expect(answer.status === 204 || (answer.status === 404 && answer.retries > 0)).toBe(true);
    }
    return id;
  }

  it('keeps every person, membership, tombstone and token, and the IdP only had to retry', async () => {
    const groupIds: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const group = await env.scim.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `failover-group-${g}` });
      expect(group.status).toBe(201);
      groupIds.push(group.body.id);
    }
    const people = Array.from({ length: PEOPLE }, (_, i) => sleep(i * START_EVERY_MS).then(() => provision(i, groupIds)));
    const failover = sleep(FAILOVER_AT * START_EVERY_MS).then(() => env.sentinel.failover());
    const ids = await Promise.all(people);
    const { from, to } = await failover;
    expect(to).not.toBe(from);
    expect(env.scim.retried).toBeGreaterThan(0);

    for (let i = 0; i < PEOPLE; i++) {
      const person = env.double.state.userByEmail(userName(i));
      expect(person, userName(i)).toBeDefined();
      expect(person!.is_active).toBe(!deleted(i) && !deactivated(i));
      // DELETEd people leave every group (and are marked in 'SCIM deleted accounts'); the others keep theirs.
      const groups = env.double.state.groupNamesOf(person!.id);
      if (deleted(i)) expect(groups).toEqual(['All Users', 'SCIM deleted accounts']);
      else expect(groups).toContain(`failover-group-${i % GROUPS}`);
      const read = await env.scim.request('GET', `/Users/${ids[i]}`);
      if (deleted(i)) expect(read.status).toBe(404);
      else expect([read.status, read.body.title, read.body.externalId]).toEqual([200, `Title ${i}`, `ext-${i}`]);
    }
    const tombstoned = ids.filter((_, i) => deleted(i)).sort();
    expect((await env.store.deletedIds('User')).sort()).toEqual(tombstoned);
    for (let g = 0; g < GROUPS; g++) {
      const group = await env.scim.request('GET', `/Groups/${groupIds[g]}`);
      const expected = ids.filter((_, i) => i % GROUPS === g && !deleted(i)).sort();
      expect(group.body.members.map((m: { value: string }) => m.value).sort()).toEqual(expected);
    }
    expect((await env.store.listTokens()).map((t) => t.name)).toEqual(['idp']);
    console.info(`failover ${from} → ${to}: ${env.scim.retried} requests answered only after retries`);
  }, 180_000);
});
