// Protected principals and group mappings (design §2.4–§2.5) through app.request(), against the Metabase double.
import { afterEach, describe, expect, it } from 'vitest';
import { queryAudit } from '../../src/operations/audit-query.ts';
import {
  buildTestApp,
  createUser,
  doubleSnapshot,
  expectScimError,
  groupBody,
  memberIdsInDouble,
  patchBody,
  userBody,
  type TestApp,
  type TestAppOptions,
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

/** A refusal, or a full member list whose protected members were kept, is said in the request's audit event. */
async function expectRefusalAudited(resourceId: string): Promise<void> {
  const entries = await queryAudit(t.store, { limit: 100 });
  const refused = entries.filter((e) => e.resourceId === resourceId && e.requestId && (e.outcome === 'refused' || /protected/.test(e.reason ?? '')));
  expect(refused.length, JSON.stringify(entries)).toBeGreaterThan(0);
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

describe('the last active human administrator', () => {
  /**
   * With an API key, the key's hidden user is itself an active member of Administrators, so Metabase's own rule can
   * only ever protect the caller. Here the installing admin is deactivated, leaving one SCIM-managed human admin.
   */
  async function arrangeLastAdmin(): Promise<string> {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: ADMINS }] });
    const id = await createUser(t, 'last.admin@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    t.double.core.directory.updateUser(t.double.state.userByEmail('admin@example.com')!.id, { is_active: false });
    return id;
  }

  it('cannot be deactivated or DELETEd while only the API key would remain: 403, audited, nothing written', async () => {
    const id = await arrangeLastAdmin();
    const snapshot = doubleSnapshot(t);
    expectScimError(await deactivate(id), 403);
    expectScimError(await t.request('DELETE', `/Users/${id}`), 403);
    expectScimError(await t.request('PUT', `/Users/${id}`, userBody('last.admin@example.com', { active: false })), 403);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body.active).toBe(true);
    await expectRefusalAudited(id);
  });

  it('cannot be taken out of the mapped admin group, explicitly or by a full member list that omits them', async () => {
    const id = await arrangeLastAdmin();
    expectScimError(await t.request('PATCH', `/Groups/${ADMIN_GROUP_ID}`, patchBody({ op: 'remove', path: `members[value eq "${id}"]` })), 403);
    expect((await t.request('PUT', `/Groups/${ADMIN_GROUP_ID}`, groupBody('bi-admins', []))).status).toBe(403);
    expect(t.double.state.userByEmail('last.admin@example.com')?.is_superuser).toBe(true);
    await expectRefusalAudited(ADMIN_GROUP_ID);
  });

  it('may go once another human administrator is active', async () => {
    const id = await arrangeLastAdmin();
    t.double.core.directory.updateUser(t.double.state.userByEmail('admin@example.com')!.id, { is_active: true });
    expect((await deactivate(id)).status).toBe(200);
    expect(isActiveInMetabase(id)).toBe(false);
  });
});
