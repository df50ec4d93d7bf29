// Protected principals and group mappings (design §2.4–§2.5) through app.request(), against the Metabase double.
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTestApp, createUser, doubleSnapshot, expectScimError, groupBody, memberIdsInDouble, patchBody, userBody, type TestApp, type TestAppOptions,
} from '../support/build-test-app.ts';

const ADMINS = 'Administrators';
const ADMIN_GROUP_ID = '2';

let t: TestApp;

async function start(options: TestAppOptions = {}): Promise<TestApp> {
  t = await buildTestApp(options);
  return t;
}

afterEach(async () => {
  await t?.close();
});

async function expectRefusalAudited(resourceId: string): Promise<void> {
  const entries = await t.store.readAudit(100);
  expect(entries).toContainEqual(expect.objectContaining({ resourceId, outcome: 'refused', requestId: expect.any(String) }));
}

const deactivate = (id: string) => t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
const isActiveInMetabase = (id: string) => t.double.state.users().find((u) => u.id === Number(id))?.is_active;

describe("bi-scim's own service account", () => {
  it('refuses to deactivate or delete the API-key user (403 and audited where SCIM can reach it, else 404) and changes nothing', async () => {
    await start();
    const id = String(t.double.core.apiKeyUserId);
    const reachable = (await t.request('GET', `/Users/${id}`)).status === 200;
    const refusal = reachable ? 403 : 404;
    const snapshot = doubleSnapshot(t);
    expectScimError(await deactivate(id), refusal);
    expectScimError(await t.request('DELETE', `/Users/${id}`), refusal);
    expectScimError(await t.request('PUT', `/Users/${id}`, userBody('svc@example.com', { active: false })), refusal);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(reachable ? 200 : 404);
    if (reachable) await expectRefusalAudited(id);
  });

  it('refuses to deactivate or delete the session-login admin with 403 and audits it', async () => {
    await start({ sessionLogin: true });
    const id = String(t.double.state.userByEmail(t.double.adminEmail)!.id);
    const snapshot = doubleSnapshot(t);
    expectScimError(await deactivate(id), 403);
    expectScimError(await t.request('DELETE', `/Users/${id}`), 403);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect(isActiveInMetabase(id)).toBe(true);
    await expectRefusalAudited(id);
  });
});

describe("Metabase's internal user", () => {
  it('never answers 5xx to reads or writes of the internal user', async () => {
    await start();
    const id = '13371338';
    const answers = [
      await t.request('GET', `/Users/${id}`),
      await deactivate(id),
      await t.request('PUT', `/Users/${id}`, userBody('internal@metabase.com', { name: { givenName: 'X', familyName: 'Y' } })),
      await t.request('DELETE', `/Users/${id}`),
    ];
    for (const answer of answers) expect(answer.status, answer.text).toBeLessThan(500);
    expect(t.double.state.users().find((u) => u.id === Number(id))).toMatchObject({ first_name: 'Metabase', last_name: 'Internal' });
  });
});

describe('configured protectedUsers', () => {
  it('refuses to deactivate or delete a protected email, whatever its case, and audits it', async () => {
    await start({ protectedUsers: ['Break.Glass@Example.com'] });
    const id = await createUser(t, 'break.glass@example.com');
    const snapshot = doubleSnapshot(t);
    expectScimError(await deactivate(id), 403);
    expectScimError(await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'Replace', path: 'active', value: 'False' })), 403);
    expectScimError(await t.request('DELETE', `/Users/${id}`), 403);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body.active).toBe(true);
    await expectRefusalAudited(id);
  });

  it('still lets a protected user be edited in ways that keep them active', async () => {
    await start({ protectedUsers: ['keeper@example.com'] });
    const id = await createUser(t, 'keeper@example.com');
    const answer = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'Still here' }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ active: true, title: 'Still here' });
  });

  it('refuses to remove a protected admin from a mapped Administrators group, but keeps them when a full list omits them', async () => {
    await start({ protectedUsers: ['admin@example.com'], groupMappings: [{ idpGroup: 'bi-admins', target: ADMINS }] });
    const adminId = String(t.double.state.userByEmail('admin@example.com')!.id);
    const other = await createUser(t, 'other.admin@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [other]))).status).toBe(201);
    expectScimError(await t.request('PATCH', `/Groups/${ADMIN_GROUP_ID}`, patchBody({ op: 'remove', path: `members[value eq "${adminId}"]` })), 403);
    expect(t.double.state.userByEmail('admin@example.com')?.is_superuser).toBe(true);
    const put = await t.request('PUT', `/Groups/${ADMIN_GROUP_ID}`, groupBody('bi-admins', [other]));
    expect(put.status).toBe(200);
    expect(t.double.state.userByEmail('admin@example.com')?.is_superuser).toBe(true);
    expect(memberIdsInDouble(t, ADMIN_GROUP_ID)).toContain(adminId);
    await expectRefusalAudited(ADMIN_GROUP_ID);
  });
});

describe("Metabase's last active admin", () => {
  /**
   * Metabase refuses to deactivate or demote the last active member of Administrators. The caller is always an
   * admin, so the double is arranged with the API-key user outside Administrators (still a superuser) and the
   * installing admin deactivated, leaving one SCIM-managed admin as the last one.
   */
  async function arrangeLastAdmin(): Promise<string> {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: ADMINS }] });
    const id = await createUser(t, 'last.admin@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    const { directory } = t.double.core;
    const keyMembership = directory.findMembership(t.double.core.apiKeyUserId, Number(ADMIN_GROUP_ID))!;
    directory.deleteMembership(keyMembership.id);
    directory.updateUser(t.double.state.userByEmail('admin@example.com')!.id, { is_active: false });
    return id;
  }

  it('answers a SCIM 400 or 403, never a 5xx, to deactivating the last admin, and changes nothing', async () => {
    const id = await arrangeLastAdmin();
    const snapshot = doubleSnapshot(t);
    for (const answer of [await deactivate(id), await t.request('DELETE', `/Users/${id}`)]) {
      expect([400, 403]).toContain(answer.status);
      expect(answer.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    expect(t.double.calls.filter((c) => c.method === 'DELETE' && c.path === `/api/user/${id}`).map((c) => c.status)).toEqual([400, 400]);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body.active).toBe(true);
  });

  it('answers a SCIM 400 or 403 to removing the last admin from the mapped group, and keeps them', async () => {
    const id = await arrangeLastAdmin();
    const answer = await t.request('PATCH', `/Groups/${ADMIN_GROUP_ID}`, patchBody({ op: 'remove', path: `members[value eq "${id}"]` }));
    expect([400, 403]).toContain(answer.status);
    expect(answer.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(t.double.calls.filter((c) => c.method === 'DELETE' && c.path.startsWith('/api/permissions/membership/')).map((c) => c.status)).toEqual([400]);
    expect(t.double.state.userByEmail('last.admin@example.com')?.is_superuser).toBe(true);
  });
});

describe('groupMappings', () => {
  const mapping = { groupMappings: [{ idpGroup: 'bi-admins', target: ADMINS }] };

  it('links POST /Groups bi-admins to Metabase Administrators (id "2") instead of creating a group', async () => {
    await start(mapping);
    const groupsBefore = t.double.state.groups().length;
    const answer = await t.request('POST', '/Groups', groupBody('bi-admins'));
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ id: ADMIN_GROUP_ID, displayName: 'bi-admins' });
    expect(answer.headers.get('location')).toMatch(/\/Groups\/2$/);
    expect(t.double.state.groups()).toHaveLength(groupsBefore);
    expect(t.double.state.groupByName(ADMINS)?.id).toBe(2);
  });

  it('makes a member added to the mapped group a Metabase superuser', async () => {
    await start(mapping);
    const id = await createUser(t, 'new.admin@example.com');
    await t.request('POST', '/Groups', groupBody('bi-admins'));
    const answer = await t.request('PATCH', `/Groups/${ADMIN_GROUP_ID}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }));
    expect(answer.status).toBe(204);
    expect(t.double.state.userByEmail('new.admin@example.com')?.is_superuser).toBe(true);
    expect(t.double.state.groupNamesOf(Number(id))).toContain(ADMINS);
  });

  it('lists the mapped group as bi-admins, in /Groups, by filter and in its members\' groups', async () => {
    await start(mapping);
    const id = await createUser(t, 'listed.admin@example.com');
    await t.request('POST', '/Groups', groupBody('bi-admins', [id]));
    const listed = (await t.request('GET', '/Groups?excludedAttributes=members')).body;
    expect(listed.Resources).toEqual([expect.objectContaining({ id: ADMIN_GROUP_ID, displayName: 'bi-admins' })]);
    const filtered = (await t.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "BI-Admins"')}`)).body;
    expect(filtered.Resources.map((g: { id: string }) => g.id)).toEqual([ADMIN_GROUP_ID]);
    const user = (await t.request('GET', `/Users/${id}`)).body;
    expect(user.groups).toEqual([expect.objectContaining({ value: ADMIN_GROUP_ID, display: 'bi-admins' })]);
    const members = (await t.request('GET', `/Groups/${ADMIN_GROUP_ID}`)).body.members.map((m: { value: string }) => m.value);
    expect(members).toContain(id);
    expect(members).not.toContain(String(t.double.core.apiKeyUserId));
  });

  it('unlinks on DELETE: 204, Administrators and its members stay, and the group answers 404', async () => {
    await start(mapping);
    const id = await createUser(t, 'kept.admin@example.com');
    await t.request('POST', '/Groups', groupBody('bi-admins', [id]));
    const answer = await t.request('DELETE', `/Groups/${ADMIN_GROUP_ID}`);
    expect(answer.status).toBe(204);
    expect(t.double.state.groupByName(ADMINS)?.id).toBe(2);
    expect(t.double.state.userByEmail('kept.admin@example.com')?.is_superuser).toBe(true);
    expectScimError(await t.request('GET', `/Groups/${ADMIN_GROUP_ID}`), 404);
    expect((await t.request('POST', '/Groups', groupBody('bi-admins'))).status).toBe(201);
  });

  it('refuses a mapping whose Metabase group does not exist with 400 and creates nothing', async () => {
    await start({ groupMappings: [{ idpGroup: 'ghost-team', target: 'No Such Group' }] });
    const groupsBefore = t.double.state.groups().length;
    expectScimError(await t.request('POST', '/Groups', groupBody('ghost-team')), 400, 'invalidValue');
    expect(t.double.state.groups()).toHaveLength(groupsBefore);
  });

  it('never renames Administrators when the mapped group is renamed in the IdP', async () => {
    await start(mapping);
    await t.request('POST', '/Groups', groupBody('bi-admins'));
    const answer = await t.request('PATCH', `/Groups/${ADMIN_GROUP_ID}`, patchBody({ op: 'replace', path: 'displayName', value: 'bi-admins-renamed' }));
    expect(answer.status).toBeLessThan(300);
    expect(t.double.state.groupByName(ADMINS)?.id).toBe(2);
    expect((await t.request('GET', `/Groups/${ADMIN_GROUP_ID}?excludedAttributes=members`)).body.displayName).toBe('bi-admins-renamed');
  });
});
