// PATCH /Groups membership in both IdP dialects, its BI cost at scale, and races, through app.request().
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

describe('PATCH /Groups/{id} membership', () => {
  it('adds members with path "members" and answers 204 with no body', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Adders');
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'Add', path: 'members', value: [{ $ref: null, value: a }, { value: b }] }));
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(memberIdsInDouble(t, id)).toEqual(sorted([a, b]));
  });

  it('removes a member by the filtered path members[value eq "x"] (Okta, Entra aadOptscim062020)', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Filtered Removal', [a, b]);
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${a}"]` }));
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([b]);
  });

  it('removes members listed in the value of a plain members path (Entra default)', async () => {
    const [a, b, c] = await createUsers(3);
    const id = await createGroup(t, 'Array Removal', [a, b, c]);
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'Remove', path: 'members', value: [{ value: a }, { value: c }] }));
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([b]);
  });

  it("applies Okta's remove-then-add in one request", async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Okta Push', [a]);
    const answer = await t.request(
      'PATCH',
      `/Groups/${id}`,
      patchBody({ op: 'remove', path: `members[value eq "${a}"]` }, { op: 'add', path: 'members', value: [{ value: b, display: 'member1@example.com' }] }),
    );
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([b]);
  });

  it('replaces the whole member list with op replace on members', async () => {
    const [a, b, c] = await createUsers(3);
    const id = await createGroup(t, 'Replaced', [a, b]);
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: b }, { value: c }] }));
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual(sorted([b, c]));
  });

  it('removes every member on remove of members without a value', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Cleared', [a, b]);
    expect((await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: 'members' }))).status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([]);
    expect(t.double.state.groupByName('Cleared')?.id).toBe(Number(id));
  });

  it('adds members from a path-less add whose value carries members, renaming in the same operation', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Pathless');
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'add', value: { displayName: 'Pathless Renamed', members: [{ value: a }] } }));
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([a]);
    expect(t.double.state.groups().find((g) => g.id === Number(id))?.name).toBe('Pathless Renamed');
  });

  it('treats removing a non-member as a no-op', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Idempotent', [a]);
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${b}"]` }));
    expect(answer.status).toBe(204);
    expect(memberIdsInDouble(t, id)).toEqual([a]);
  });

  it('re-adding an existing member sends Metabase no membership insert (a duplicate would be a 500)', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Readd', [a]);
    t.double.resetCalls();
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: a }] }));
    expect(answer.status).toBe(204);
    expect(t.double.callCount({ method: 'POST', pathPrefix: '/api/permissions/membership' })).toBe(0);
    expect(t.double.calls.filter((c) => c.status >= 500)).toEqual([]);
    expect(memberIdsInDouble(t, id)).toEqual([a]);
  });

  it('adds every member exactly once when PATCHes to one group race', async () => {
    const ids = await createUsers(6, 'racer');
    const id = await createGroup(t, 'Raced');
    const answers = await Promise.all(
      ids.map((member, i) =>
        t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: member }, { value: ids[(i + 1) % ids.length] }] })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 204));
    expect(memberIdsInDouble(t, id)).toEqual(sorted(ids));
    expect(t.double.calls.filter((c) => c.status >= 500)).toEqual([]);
  });

  it('refuses an unknown member id with 400 and adds none of the others', async () => {
    const [a] = await createUsers(1);
    const id = await createGroup(t, 'Unknown Member');
    const answer = await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: a }, { value: '99999' }] }));
    expectScimError(answer, 400, 'invalidValue');
    expect(memberIdsInDouble(t, id)).toEqual([]);
  });
});

describe('members who are deactivated', () => {
  const deactivate = (id: string) => t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
  const reactivate = (id: string) => t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: true } }));

  it("keeps a deactivated member's membership, so reactivation restores it", async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Kept Through Leave', [a, b]);
    await deactivate(a);
    expect(memberIdsInDouble(t, id)).toEqual(sorted([a, b]));
    await reactivate(a);
    expect(memberIdsInDouble(t, id)).toEqual(sorted([a, b]));
  });

  it('removes a deactivated member by members[value eq "x"], so reactivation does not restore the group', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Filtered While Away', [a, b]);
    await deactivate(a);
    expect((await t.request('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${a}"]` }))).status).toBe(204);
    await reactivate(a);
    expect(memberIdsInDouble(t, id)).toEqual([b]);
  });

  it('removes a deactivated member left out of a full PUT member list (Okta AIW)', async () => {
    const [a, b] = await createUsers(2);
    const id = await createGroup(t, 'Put While Away', [a, b]);
    await deactivate(a);
    expect((await t.request('PUT', `/Groups/${id}`, groupBody('Put While Away', [b]))).status).toBe(200);
    expect(memberIdsInDouble(t, id)).toEqual([b]);
    await reactivate(a);
    expect(t.double.state.groupNamesOf(Number(a))).not.toContain('Put While Away');
  });

  it('removes a deactivated member left out of a PATCH replace of members, and on remove of all members', async () => {
    const [a, b] = await createUsers(2);
    const replaced = await createGroup(t, 'Replaced While Away', [a, b]);
    const cleared = await createGroup(t, 'Cleared While Away', [a, b]);
    await deactivate(a);
    expect((await t.request('PATCH', `/Groups/${replaced}`, patchBody({ op: 'replace', path: 'members', value: [{ value: b }] }))).status).toBe(204);
    expect((await t.request('PATCH', `/Groups/${cleared}`, patchBody({ op: 'remove', path: 'members' }))).status).toBe(204);
    expect(memberIdsInDouble(t, replaced)).toEqual([b]);
    expect(memberIdsInDouble(t, cleared)).toEqual([]);
  });
});

describe('PATCH /Groups/{id} at scale', () => {
  const addOne = (groupId: string, userId: string) =>
    t.request('PATCH', `/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: userId }] }));

  /** A big BI group the IdP already manages: its first SCIM write recorded the members as declared. */
  async function seedBigGroup(size: number): Promise<{ groupId: string; newcomer: string }> {
    const group = t.double.seed.group('Big Group');
    for (let i = 0; i < size; i++) {
      const user = t.double.seed.user({ email: `big${i}@example.com`, first_name: 'Big', last_name: String(i) });
      t.double.seed.membership(user.id, group.id);
    }
    const first = t.double.seed.user({ email: 'first@example.com', first_name: 'First', last_name: 'Write' });
    expect((await addOne(String(group.id), String(first.id))).status).toBe(204);
    const newcomer = t.double.seed.user({ email: 'newcomer@example.com', first_name: 'New', last_name: 'Comer' });
    return { groupId: String(group.id), newcomer: String(newcomer.id) };
  }

  it('reads the members of a BI group once, on its first SCIM write, to record them as declared', async () => {
    const group = t.double.seed.group('Adopted Group');
    const [before, newcomer] = [t.double.seed.user({ email: 'before@example.com' }), t.double.seed.user({ email: 'adopter@example.com' })];
    t.double.seed.membership(before.id, group.id);
    t.double.resetCalls();
    expect((await addOne(String(group.id), String(newcomer.id))).status).toBe(204);
    const memberReads = () => t.double.calls.filter((c) => c.method === 'GET' && c.path === '/api/user' && c.query.includes(`group_id=${group.id}`)).length;
    expect(memberReads()).toBe(1);
    expect((await t.store.get('Group', String(group.id), { members: true }))?.members?.sort()).toEqual([String(before.id), String(newcomer.id)].sort());
    t.double.resetCalls();
    expect((await addOne(String(group.id), String(t.double.seed.user({ email: 'later@example.com' }).id))).status).toBe(204);
    expect(memberReads()).toBe(0);
  });

  it('adds one member to a 300-member group with one user read and one insert, never reading the members', async () => {
    const { groupId, newcomer } = await seedBigGroup(300);
    t.double.resetCalls();
    const answer = await addOne(groupId, newcomer);
    expect(answer.status).toBe(204);
    expect(t.double.callCount({ method: 'GET', pathPrefix: `/api/user/${newcomer}` })).toBe(1);
    expect(t.double.callCount({ method: 'POST', pathPrefix: '/api/permissions/membership' })).toBe(1);
    expect(t.double.callCount({ method: 'GET', pathPrefix: `/api/permissions/group/${groupId}` })).toBe(0);
    expect(t.double.callCount({ method: 'GET', pathPrefix: '/api/permissions/membership' })).toBe(0);
    expect(memberIdsInDouble(t, groupId)).toHaveLength(302);
  });

  it('adds one member to a known 300-member group in exactly 2 BI calls: GET /api/user/:id and POST /api/permissions/membership', async () => {
    const { groupId, newcomer } = await seedBigGroup(300);
    expect((await t.request('GET', `/Groups/${groupId}?excludedAttributes=members`)).status).toBe(200);
    t.double.resetCalls();
    const answer = await addOne(groupId, newcomer);
    expect(answer.status).toBe(204);
    expect(t.double.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /api/user/${newcomer}`, 'POST /api/permissions/membership']);
  });

  it('reads a removal of a few people back from the people, never the 300 members', async () => {
    const { groupId } = await seedBigGroup(300);
    const leaving = memberIdsInDouble(t, groupId).slice(0, 2);
    t.double.resetCalls();
    const answer = await t.request('PATCH', `/Groups/${groupId}`, patchBody({ op: 'remove', path: 'members', value: leaving.map((value) => ({ value })) }));
    expect(answer.status).toBe(204);
    expect(t.double.calls.filter((c) => c.method === 'GET' && c.path === '/api/user').length).toBe(0);
    expect(leaving.map((id) => t.double.callCount({ method: 'GET', pathPrefix: `/api/user/${id}` }))).toEqual([1, 1]);
    expect(memberIdsInDouble(t, groupId)).toHaveLength(299);
  });

  it('reads a removal of many people back from the group once, and answers 502 when it still lists one', async () => {
    const { groupId } = await seedBigGroup(300);
    const leaving = memberIdsInDouble(t, groupId).slice(0, 20);
    const remove = () => t.request('PATCH', `/Groups/${groupId}`, patchBody({ op: 'remove', path: 'members', value: leaving.map((value) => ({ value })) }));
    t.double.ignoreNextChange({ method: 'DELETE', pathPrefix: '/api/permissions/membership/' });
    t.double.resetCalls();
    expectScimError(await remove(), 502);
    expect(t.double.calls.filter((c) => c.method === 'GET' && c.path === '/api/user' && c.query.includes(`group_id=${groupId}`)).length).toBe(1);
    expect(memberIdsInDouble(t, groupId)).toHaveLength(282);
    expect((await remove()).status).toBe(204);
    expect(memberIdsInDouble(t, groupId)).toHaveLength(281);
  });

  it('makes the same number of BI calls to add one member whatever the group size', async () => {
    const { groupId, newcomer } = await seedBigGroup(250);
    const small = t.double.seed.group('Small Group');
    const other = t.double.seed.user({ email: 'other@example.com', first_name: 'Other', last_name: 'One' });
    const warmUp = t.double.seed.user({ email: 'warm.up@example.com', first_name: 'Warm', last_name: 'Up' });
    expect((await addOne(String(small.id), String(warmUp.id))).status).toBe(204);
    t.double.resetCalls();
    expect((await addOne(String(small.id), String(other.id))).status).toBe(204);
    const smallCalls = t.double.calls.length;
    t.double.resetCalls();
    expect((await addOne(groupId, newcomer)).status).toBe(204);
    expect(t.double.calls.length).toBe(smallCalls);
  });
});
