// A retried request converges to what a fault-free run gives: interrupted reactivations finish, DELETEd people leave
// every group and stay DELETEd without the store, and protection follows the BI id, not a mutable email.
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createGroup,
  createUser,
  expectScimError,
  groupBody,
  memberIdsInDouble,
  patchBody,
  userBody,
  type TestApp,
  type TestAppOptions,
} from '../support/build-test-app.ts';

let t: TestApp;

async function start(options: TestAppOptions = {}): Promise<TestApp> {
  t = await buildTestApp(options);
  return t;
}

afterEach(async () => {
  await t?.close();
});

const activate = (id: string, active: boolean) => t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active } }));
const row = (email: string) => t.double.state.userByEmail(email);

describe('a reactivation whose answer was lost', () => {
  it("writes the edits made while deactivated on the IdP's retry", async () => {
    await start();
    const id = await createUser(t, 'lee@example.com');
    expect((await activate(id, false)).status).toBe(200);
    const edited = userBody('lee@example.com', {
      active: false,
      name: { givenName: 'Lee', familyName: 'Lee-Park' },
      emails: [{ value: 'lee.park@example.com', primary: true }],
    });
    expect((await t.request('PUT', `/Users/${id}`, edited)).status).toBe(200);

    t.double.loseNextAnswer({ method: 'PUT', pathPrefix: `/api/user/${id}/reactivate` });
    expect((await activate(id, true)).status).toBeGreaterThanOrEqual(500);
    const retry = await activate(id, true);
    expect(retry.status).toBe(200);
    expect(row('lee.park@example.com')).toMatchObject({ is_active: true, last_name: 'Lee-Park' });
  });

  it('gives a reactivated administrator Administrators back on the retry', async () => {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: 'Administrators' }] });
    const id = await createUser(t, 'boss@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    expect((await activate(id, false)).status).toBe(200);

    t.double.loseNextAnswer({ method: 'PUT', pathPrefix: `/api/user/${id}/reactivate` });
    expect((await activate(id, true)).status).toBeGreaterThanOrEqual(500);
    expect((await activate(id, true)).status).toBe(200);
    expect(row('boss@example.com')).toMatchObject({ is_active: true, is_superuser: true });
    expect(memberIdsInDouble(t, '2')).toContain(id);
  });

  it('gives Administrators back on the retry when the restore itself failed after Metabase reactivated', async () => {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: 'Administrators' }] });
    const id = await createUser(t, 'chief@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    expect((await activate(id, false)).status).toBe(200);

    t.double.failNext({ method: 'POST', pathPrefix: '/api/permissions/membership' }, 503);
    t.double.failNext({ method: 'DELETE', pathPrefix: `/api/user/${id}` }, 503);
    expect((await activate(id, true)).status).toBe(503);
    expect((await activate(id, true)).status).toBe(200);
    expect(row('chief@example.com')).toMatchObject({ is_active: true, is_superuser: true });
  });
});

describe('DELETEd people', () => {
  it('leave every group: no group lists them and a members filter does not find them', async () => {
    await start();
    const id = await createUser(t, 'gone@example.com');
    const group = await createGroup(t, 'Sales', [id]);
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/Groups/${group}`)).body.members ?? []).toEqual([]);
    expect((await t.request('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${id}"`)}`)).body.totalResults).toBe(0);
  });

  it('come back through a POST with the same id, active, in no group and no administrator', async () => {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: 'Administrators' }] });
    const id = await createUser(t, 'again@example.com');
    await createGroup(t, 'Team', [id]);
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    const { active: _dropped, ...withoutActive } = userBody('again@example.com');
    const revived = await t.request('POST', '/Users', withoutActive);
    expect([revived.status, revived.body.id, revived.body.active, revived.body.groups ?? []]).toEqual([201, id, true, []]);
    expect(row('again@example.com')).toMatchObject({ is_active: true, is_superuser: false });
  });

  it('lose the mark on a retried revival even when the first attempt left them active but still marked', async () => {
    await start();
    const id = await createUser(t, 'half.back@example.com');
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    t.double.failNext({ method: 'DELETE', pathPrefix: '/api/permissions/membership/' }, 503);
    t.double.failNext({ method: 'DELETE', pathPrefix: `/api/user/${id}` }, 503);
    expect((await t.request('POST', '/Users', userBody('half.back@example.com'))).status).toBe(503);
    expect(row('half.back@example.com')?.is_active).toBe(true);
    expect((await t.request('POST', '/Users', userBody('half.back@example.com'))).status).toBe(201);
    expect(t.double.state.groupNamesOf(Number(id))).toEqual(['All Users']);
  });

  it('come back unmarked when the POST arrives while the DELETE is still marking them (another replica)', async () => {
    await start();
    const id = await createUser(t, 'racing@example.com');
    t.double.setDelay(100);
    const deleting = t.request('DELETE', `/Users/${id}`);
    // The POST starts once Metabase has deactivated the person, while the DELETE has yet to mark them.
    const deactivated = () => t.double.calls.some((c) => c.method === 'DELETE' && c.path === `/api/user/${id}` && c.status === 200);
    for (let waited = 0; !deactivated() && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(deactivated()).toBe(true);
    const revived = await t.request('POST', '/Users', userBody('racing@example.com'));
    expect((await deleting).status).toBe(204);
    expect([revived.status, revived.body.id]).toEqual([201, id]);
    t.double.setDelay(0);
    expect(row('racing@example.com')?.is_active).toBe(true);
    expect(t.double.state.groupNamesOf(Number(id))).toEqual(['All Users']);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
  });

  it('come back unmarked through another replica whose cached group list predates the mark group', async () => {
    await start();
    const other = await buildTestApp({ double: t.double, store: t.store });
    try {
      const id = await createUser(t, 'elsewhere@example.com');
      // Reading the person makes the other replica cache the group list, before the first DELETE makes the mark group.
      expect((await other.request('GET', `/Users/${id}`)).status).toBe(200);
      expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
      expect(t.double.state.groupNamesOf(Number(id))).toEqual(['All Users', 'SCIM deleted accounts']);
      const revived = await other.request('POST', '/Users', userBody('elsewhere@example.com'));
      expect([revived.status, revived.body.id]).toEqual([201, id]);
      expect(t.double.state.groupNamesOf(Number(id))).toEqual(['All Users']);
    } finally {
      await other.close({ keepDouble: true });
    }
  });

  it('still answer 404 after the store is lost, from the mark the BI tool keeps', async () => {
    await start();
    const id = await createUser(t, 'marked@example.com');
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    const fresh = await buildTestApp({ double: t.double });
    try {
      expectScimError(await fresh.request('GET', `/Users/${id}`), 404);
      expect((await fresh.request('GET', `/Users?filter=${encodeURIComponent('userName eq "marked@example.com"')}`)).body.totalResults).toBe(0);
      expect((await fresh.request('GET', '/Groups')).body.Resources.map((g: { displayName: string }) => g.displayName)).not.toContain('SCIM deleted accounts');
      expect((await fresh.request('POST', '/Users', userBody('marked@example.com'))).body.id).toBe(id);
    } finally {
      await fresh.close();
    }
  });
});

describe('protection keyed on the BI id', () => {
  it("refuses to re-point a protected person's email, so protection cannot be lifted by changing it first", async () => {
    await start({ protectedUsers: ['admin@example.com'] });
    const id = String(row('admin@example.com')!.id);
    const moved = await t.request(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', path: 'emails', value: [{ value: 'attacker@evil.test', primary: true }] }),
    );
    expectScimError(moved, 403);
    expect(row('admin@example.com')).toBeDefined();
    expectScimError(await activate(id, false), 403);
  });

  it("never changes an administrator's login email unless allowAdminEmailChange is set", async () => {
    await start({ groupMappings: [{ idpGroup: 'bi-admins', target: 'Administrators' }] });
    const id = await createUser(t, 'owner@example.com');
    expect((await t.request('POST', '/Groups', groupBody('bi-admins', [id]))).status).toBe(201);
    expectScimError(await t.request('PUT', `/Users/${id}`, userBody('owner@example.com', { emails: [{ value: 'other@evil.test', primary: true }] })), 403);
    expect(row('owner@example.com')?.is_active).toBe(true);
    // A person SCIM did not create is still linked and updated (Okta's import-then-match), names included.
    const installer = String(row('admin@example.com')!.id);
    expect((await t.request('PUT', `/Users/${installer}`, userBody('admin@example.com', { name: { givenName: 'Ada', familyName: 'Admin' } }))).status).toBe(
      200,
    );
  });

  it("lets SCIM change an administrator's email when allowAdminEmailChange is set", async () => {
    await start({ allowAdminEmailChange: true });
    const installer = String(row('admin@example.com')!.id);
    expect(
      (await t.request('PUT', `/Users/${installer}`, userBody('admin@example.com', { emails: [{ value: 'new.admin@example.com', primary: true }] }))).status,
    ).toBe(200);
    expect(row('new.admin@example.com')).toBeDefined();
  });

  it('protects a person named as id:<bi id> whatever their email becomes outside SCIM', async () => {
    await start();
    const id = await createUser(t, 'keeper@example.com');
    const guarded = await buildTestApp({ double: t.double, protectedUsers: [`id:${id}`] });
    try {
      t.double.core.directory.updateUser(Number(id), { email: 'renamed@example.com' });
      const answer = await guarded.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
      expectScimError(answer, 403);
    } finally {
      await guarded.close();
    }
  });
});
