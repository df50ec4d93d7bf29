// The User lifecycle through app.request(): deactivation, reactivation, DELETE as tombstone, and revival by POST.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createGroup, createUser, expectScimError, filterQuery, patchBody, userBody, type TestApp } from '../support/build-test-app.ts';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

const findByUserName = async (userName: string) => (await t.request('GET', `/Users?${filterQuery(`userName eq "${userName}"`)}`)).body;

describe('deactivation and reactivation', () => {
  it('deactivates in Metabase on active:false, keeping the id and group memberships', async () => {
    const id = await createUser(t, 'leaver@example.com');
    const groupId = await createGroup(t, 'Leavers', [id]);
    const answer = await t.request('PUT', `/Users/${id}`, userBody('leaver@example.com', { active: false }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, active: false });
    expect(t.double.state.userByEmail('leaver@example.com')?.is_active).toBe(false);
    expect(t.double.state.groupNamesOf(Number(id))).toContain('Leavers');
    expect(t.double.state.memberships().some((m) => m.user_id === Number(id) && m.group_id === Number(groupId))).toBe(true);
  });

  it('reactivates the same Metabase user in place on active:true', async () => {
    const id = await createUser(t, 'returner@example.com');
    await createGroup(t, 'Returners', [id]);
    await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
    const answer = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: true } }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, active: true });
    expect(answer.body.groups.map((g: { display: string }) => g.display)).toEqual(['Returners']);
    expect(t.double.state.users().filter((u) => u.email === 'returner@example.com')).toEqual([expect.objectContaining({ id: Number(id), is_active: true })]);
    expect(t.double.state.groupNamesOf(Number(id))).toContain('Returners');
  });

  it('keeps inactive users visible in GET, lists and filters', async () => {
    const id = await createUser(t, 'Dormant@Example.com');
    await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'active', value: false }));
    expect((await t.request('GET', `/Users/${id}`)).body).toMatchObject({ id, active: false });
    const filtered = await findByUserName('dormant@example.com');
    expect(filtered.totalResults).toBe(1);
    expect(filtered.Resources[0]).toMatchObject({ id, userName: 'Dormant@Example.com', active: false });
    const listed = (await t.request('GET', '/Users?count=100')).body;
    expect(listed.Resources.find((u: { id: string }) => u.id === id)).toMatchObject({ active: false });
    const byActive = (await t.request('GET', `/Users?${filterQuery('active eq false')}`)).body;
    expect(byActive.Resources.map((u: { id: string }) => u.id)).toEqual([id]);
  });

  it('accepts edits to an inactive user and writes them to Metabase on reactivation', async () => {
    const id = await createUser(t, 'sleeper@example.com', { name: { givenName: 'Old', familyName: 'Name' } });
    await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
    const edited = await t.request(
      'PUT',
      `/Users/${id}`,
      userBody('sleeper@example.com', {
        active: false,
        name: { givenName: 'New', familyName: 'Name' },
        emails: [{ value: 'woken@example.com', type: 'work', primary: true }],
        title: 'Edited while away',
      }),
    );
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ active: false, name: { givenName: 'New' }, title: 'Edited while away' });
    expect((await t.request('GET', `/Users/${id}`)).body).toMatchObject({ active: false, name: { givenName: 'New' } });
    const reactivated = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'active', value: true }));
    expect(reactivated.status, reactivated.text).toBe(200);
    const inMetabase = t.double.state.users().find((u) => u.id === Number(id));
    expect(inMetabase).toMatchObject({ is_active: true, first_name: 'New', last_name: 'Name', email: 'woken@example.com' });
    expect(reactivated.body).toMatchObject({ active: true, title: 'Edited while away', emails: [{ value: 'woken@example.com' }] });
  });
});

describe('DELETE /Users/{id}', () => {
  it('answers 204, then 404 on GET, and filters no longer find the person', async () => {
    const id = await createUser(t, 'Deleted.Person@Example.com');
    const deleted = await t.request('DELETE', `/Users/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectScimError(await t.request('GET', `/Users/${id}`), 404);
    expect((await findByUserName('deleted.person@example.com')).totalResults).toBe(0);
    expect((await t.request('GET', `/Users?${filterQuery(`id eq "${id}"`)}`)).body.totalResults).toBe(0);
    expect((await t.request('GET', `/Users?${filterQuery('userName sw "deleted"')}`)).body.totalResults).toBe(0);
    expect(t.double.state.userByEmail('deleted.person@example.com')?.is_active).toBe(false);
  });

  it('leaves a deleted person out of the unfiltered list and out of its totalResults', async () => {
    const kept = await createUser(t, 'kept@example.com');
    const id = await createUser(t, 'listed.then.deleted@example.com');
    await t.request('DELETE', `/Users/${id}`);
    const listed = (await t.request('GET', '/Users?count=1000')).body;
    const ids = listed.Resources.map((u: { id: string }) => u.id);
    expect(ids).toContain(kept);
    expect(ids).not.toContain(id);
    expect(listed.totalResults).toBe(listed.Resources.length);
  });

  it('answers 404 to a second DELETE, and to PUT and PATCH of the deleted id', async () => {
    const id = await createUser(t, 'twice@example.com');
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expectScimError(await t.request('DELETE', `/Users/${id}`), 404);
    expectScimError(await t.request('PUT', `/Users/${id}`, userBody('twice@example.com')), 404);
    expectScimError(await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: true } })), 404);
    expect(t.double.state.userByEmail('twice@example.com')?.is_active).toBe(false);
  });

  it('pages past DELETEd people so that paging by count until totalResults returns every live person exactly once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 8; i++) created.push(await createUser(t, `pager${i}@example.com`, { name: { givenName: `Pager${i}`, familyName: 'Person' } }));
    for (const id of created.slice(0, 3)) expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    const live = ['1', ...created.slice(3)];
    const seen: string[] = [];
    let total = Infinity;
    for (let start = 1, pages = 0; start <= total && pages < 20; start += 3, pages++) {
      const page = (await t.request('GET', `/Users?startIndex=${start}&count=3`)).body;
      total = page.totalResults;
      seen.push(...page.Resources.map((u: { id: string }) => u.id));
    }
    expect(total).toBe(live.length);
    expect([...seen].sort()).toEqual([...live].sort());
  });

  it('revives the same id on a later POST of the same userName, reactivating the same Metabase user', async () => {
    const id = await createUser(t, 'Phoenix@Example.com', { title: 'Before' });
    await t.request('DELETE', `/Users/${id}`);
    const revived = await t.request('POST', '/Users', userBody('phoenix@example.com', { title: 'After' }));
    expect(revived.status).toBe(201);
    expect(revived.body).toMatchObject({ id, userName: 'phoenix@example.com', title: 'After', active: true });
    expect(t.double.state.users().filter((u) => u.email === 'phoenix@example.com')).toEqual([expect.objectContaining({ id: Number(id), is_active: true })]);
    expect(t.double.callCount({ method: 'POST', pathPrefix: '/api/user' })).toBe(1);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
  });
});
