// /Groups through app.request(): create, read, replace, PATCH membership in both IdP dialects, delete, magic groups.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createGroup, createUser, expectScimError, groupBody, memberIdsInDouble, patchBody, type TestApp } from '../support/build-test-app.ts';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

async function createUsers(count: number, prefix = 'member'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await createUser(t, `${prefix}${i}@example.com`));
  return ids;
}

const sorted = (ids: string[]) => [...ids].sort((a, b) => Number(a) - Number(b));
const memberValues = (group: { members?: Array<{ value: string }> }) => sorted((group.members ?? []).map((m) => m.value));
const membershipIdsOf = (groupId: string) =>
  t.double.state
    .memberships()
    .filter((m) => m.group_id === Number(groupId))
    .map((m) => `${m.user_id}:${m.id}`)
    .sort();

describe('POST /Groups', () => {
  it('answers 201 with Location and members, and creates the Metabase group with those members', async () => {
    const [a, b] = await createUsers(2);
    const answer = await t.request('POST', '/Groups', groupBody('Finance Team', [a, b], { externalId: 'entra-object-1' }));
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(answer.body.meta.location);
    expect(answer.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Finance Team',
      externalId: 'entra-object-1',
      meta: { resourceType: 'Group', location: expect.stringMatching(new RegExp(`/Groups/${answer.body.id}$`)) },
    });
    const inMetabase = t.double.state.groupByName('Finance Team');
    expect(String(inMetabase?.id)).toBe(answer.body.id);
    expect(memberIdsInDouble(t, answer.body.id)).toEqual(sorted([a, b]));
    expect(memberValues(answer.body)).toEqual(sorted([a, b]));
  });

  it('refuses an unknown member with 400 and leaves no half-made group, so the retry succeeds', async () => {
    const [a] = await createUsers(1);
    expectScimError(await t.request('POST', '/Groups', groupBody('Half Made', [a, '99999'])), 400, 'invalidValue');
    expect(t.double.state.groupByName('Half Made')).toBeUndefined();
    const retry = await t.request('POST', '/Groups', groupBody('Half Made', [a]));
    expect(retry.status).toBe(201);
    expect(memberIdsInDouble(t, retry.body.id)).toEqual([a]);
  });
});

describe('GET /Groups/{id}', () => {
  it('returns the members, read from Metabase', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Readers', [a, b]);
    const answer = await t.request('GET', `/Groups/${id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, displayName: 'Readers' });
    expect(memberValues(answer.body)).toEqual(sorted([a, b]));
    expect(answer.body.members[0]).toMatchObject({ $ref: expect.stringMatching(/\/Users\/[0-9]+$/) });
  });

  it('with excludedAttributes=members answers without members and never reads them from Metabase', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Quiet', [a]);
    t.double.resetCalls();
    const answer = await t.request('GET', `/Groups/${id}?excludedAttributes=members`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, displayName: 'Quiet' });
    expect(answer.body).not.toHaveProperty('members');
    expect(t.double.callCount({ method: 'GET', pathPrefix: `/api/permissions/group/${id}` })).toBe(0);
    expect(t.double.callCount({ pathPrefix: '/api/permissions/membership' })).toBe(0);
  });
});

describe('PUT /Groups/{id}', () => {
  it('applies a full member list as a delta: unchanged members keep their Metabase memberships', async () => {
    const [a, b, c, d] = await createUsers(4);
    const id = await createGroup(t, 'Okta AIW', [a, b, c]);
    const before = membershipIdsOf(id).filter((m) => m.startsWith(`${b}:`) || m.startsWith(`${c}:`));
    t.double.resetCalls();
    const answer = await t.request('PUT', `/Groups/${id}`, groupBody('Okta AIW', [b, c, d]));
    expect(answer.status).toBe(200);
    expect(memberValues(answer.body)).toEqual(sorted([b, c, d]));
    expect(memberIdsInDouble(t, id)).toEqual(sorted([b, c, d]));
    expect(membershipIdsOf(id)).toEqual(expect.arrayContaining(before));
    expect(t.double.callCount({ method: 'POST', pathPrefix: '/api/permissions/membership' })).toBe(1);
    expect(t.double.callCount({ method: 'DELETE', pathPrefix: '/api/permissions/membership' })).toBe(1);
  });

  it('leaves members alone when the body has no members, and still renames', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Keep Members', [a, b]);
    const { members: _, ...body } = groupBody('Kept Members');
    const answer = await t.request('PUT', `/Groups/${id}`, body);
    expect(answer.status).toBe(200);
    expect(memberIdsInDouble(t, id)).toEqual(sorted([a, b]));
    expect(t.double.state.groupByName('Kept Members')?.id).toBe(Number(id));
  });

  it('empties the group on members: []', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Emptied', [a, b]);
    expect((await t.request('PUT', `/Groups/${id}`, groupBody('Emptied', []))).status).toBe(200);
    expect(memberIdsInDouble(t, id)).toEqual([]);
  });
});

describe('PATCH /Groups/{id} rename', () => {
  it("renames on Okta's path-less replace that carries the read-only id", async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Okta Old', [a]);
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', value: { id, displayName: 'Okta New' } }));
    expect(answer.status).toBe(204);
    expect(t.double.state.groupByName('Okta New')?.id).toBe(Number(id));
    expect(t.double.state.groupByName('Okta Old')).toBeUndefined();
    expect(memberIdsInDouble(t, id)).toEqual([a]);
  });

  it("answers Entra's Replace displayName with 204 and no body", async () => {
    const id = await createGroup(t, 'Entra Old');
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'Replace', path: 'displayName', value: 'Entra New' }));
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(t.double.state.groupByName('Entra New')?.id).toBe(Number(id));
    expect((await t.request('GET', `/Groups/${id}`)).body.displayName).toBe('Entra New');
  });

  it('answers 200 with the group when the PATCH asks for attributes=displayName', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Asked', [a]);
    const answer = await t.request('PATCH', `/Groups/${id}?attributes=displayName`, patchBody({ op: 'replace', path: 'displayName', value: 'Answered' }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/scim\+json/);
    expect(answer.body).toMatchObject({ id, displayName: 'Answered' });
    expect(answer.body).not.toHaveProperty('members');
  });

  it('renames a group to a different case of its own name', async () => {
    const id = await createGroup(t, 'sales team');
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Sales Team' }));
    expect(answer.status).toBe(204);
    expect(t.double.state.groups().find((g) => g.id === Number(id))?.name).toBe('Sales Team');
  });

  it("refuses a rename onto another group's name with 409 and renames nothing", async () => {
    await createGroup(t, 'Taken Name');
    const id = await createGroup(t, 'Free Name');
    expectScimError(await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: 'displayName', value: 'taken name' })), 409, 'uniqueness');
    expect(t.double.state.groups().find((g) => g.id === Number(id))?.name).toBe('Free Name');
  });
});

describe('DELETE /Groups/{id}', () => {
  it('answers 204, removes the Metabase group, and the group then answers 404', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Doomed', [a]);
    const answer = await t.request('DELETE', `/Groups/${id}`);
    expect(answer.status).toBe(204);
    expect(t.double.state.groupByName('Doomed')).toBeUndefined();
    expect(t.double.state.memberships().filter((m) => m.group_id === Number(id))).toEqual([]);
    expectScimError(await t.request('GET', `/Groups/${id}`), 404);
    expect(t.double.state.userByEmail('member0@example.com')?.is_active).toBe(true);
  });
});

describe('magic groups', () => {
  it('answers 404 for All Users and Administrators by id', async () => {
    expectScimError(await t.request('GET', '/Groups/1'), 404);
    expectScimError(await t.request('GET', '/Groups/2'), 404);
    expectScimError(await t.request('PATCH', '/Groups/1', patchBody({ op: 'add', path: 'members', value: [{ value: '1' }] })), 404);
    expectScimError(await t.request('DELETE', '/Groups/2'), 404);
    expect(t.double.state.groupByName('Administrators')).toBeDefined();
  });

  it("never lists them nor shows them in a user's groups", async () => {
    const id = await createUser(t, 'plain@example.com');
    const groupId = await createGroup(t, 'Visible', [id]);
    const groups = (await t.request('GET', '/Groups')).body;
    expect(groups.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(['Visible']);
    expect(groups.totalResults).toBe(1);
    const user = (await t.request('GET', `/Users/${id}`)).body;
    expect(user.groups).toEqual([expect.objectContaining({ value: groupId, display: 'Visible' })]);
    const admin = (await t.request('GET', '/Users/1')).body;
    expect(admin).not.toHaveProperty('groups');
    const filtered = (await t.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Administrators"')}`)).body;
    expect(filtered.totalResults).toBe(0);
  });

  it('refuses to create a group named like a magic group', async () => {
    const answer = await t.request('POST', '/Groups', groupBody('All Users'));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(t.double.state.groups().filter((g) => g.name === 'All Users')).toHaveLength(1);
  });
});
