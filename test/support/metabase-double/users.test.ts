// The Metabase double's /api/user follows metabase-api.md §1: paging, filters, ordering, invite, update, (re)activation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../metabase-double.ts';
import { client, logIn, sessionHeaders, type Call } from './test-client.ts';

let mb: MetabaseDouble;
let api: Call;

beforeEach(async () => {
  mb = await startMetabaseDouble();
  api = client(mb);
});

afterEach(async () => {
  await mb.close();
});

const emails = (answer: { body: { data: Array<{ email: string }> } }) => answer.body.data.map((u) => u.email);

describe('GET /api/user', () => {
  it('reports null limit and offset when unpaged, in the exact envelope', async () => {
    const answer = await api('GET', '/api/user');
    expect(Object.keys(answer.body).sort()).toEqual(['data', 'limit', 'offset', 'total']);
    expect(answer.body).toMatchObject({ total: 1, limit: null, offset: null });
  });

  it('gives limit 50 when only offset is sent, and offset 0 when only limit is sent', async () => {
    for (let i = 0; i < 3; i++) mb.seed.user({ email: `u${i}@example.com`, first_name: `U${i}` });
    expect((await api('GET', '/api/user?offset=1')).body).toMatchObject({ limit: 50, offset: 1, total: 4 });
    const limited = await api('GET', '/api/user?limit=2');
    expect(limited.body).toMatchObject({ limit: 2, offset: 0, total: 4 });
    expect(limited.body.data).toHaveLength(2);
  });

  it('refuses non-numeric paging values with a 400', async () => {
    const answer = await api('GET', '/api/user?limit=ten');
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('Error parsing paging parameters: For input string: "ten"');
  });

  it('never lists API-key users or the internal user, though both exist', async () => {
    const all = await api('GET', '/api/user?status=all');
    expect(emails(all)).toEqual([mb.adminEmail]);
    const apiKeyUser = mb.state.users().find((u) => u.type === 'api-key')!;
    expect((await api('GET', `/api/user/${apiKeyUser.id}`)).body.email).toBe(apiKeyUser.email);
    expect(mb.state.users().some((u) => u.type === 'internal' && u.email === 'internal@metabase.com')).toBe(true);
  });

  it('matches query as a case-insensitive substring, so exact lookups must filter client-side', async () => {
    mb.seed.user({ email: 'ann@example.com' });
    mb.seed.user({ email: 'joann@example.com' });
    expect(emails(await api('GET', '/api/user?query=ANN@example.com')).sort()).toEqual(['ann@example.com', 'joann@example.com']);
  });

  it('treats _ and % in query as LIKE wildcards', async () => {
    mb.seed.user({ email: 'a_b@example.com' });
    mb.seed.user({ email: 'axb@example.com' });
    expect(emails(await api('GET', '/api/user?query=a_b')).sort()).toEqual(['a_b@example.com', 'axb@example.com']);
    expect((await api('GET', `/api/user?query=${encodeURIComponent('%')}`)).body.total).toBe(3);
  });

  it('orders by lower first name, lower last name, then id, with null names last', async () => {
    mb.seed.user({ email: 'nameless@example.com' });
    mb.seed.user({ email: 'bob2@example.com', first_name: 'bob', last_name: 'Able' });
    mb.seed.user({ email: 'bob1@example.com', first_name: 'Bob', last_name: 'able' });
    mb.seed.user({ email: 'carl@example.com', first_name: 'Carl', last_name: 'Zed' });
    mb.seed.user({ email: 'amy@example.com', first_name: 'amy', last_name: 'Young' });
    expect(emails(await api('GET', '/api/user'))).toEqual([
      mb.adminEmail,
      'amy@example.com',
      'bob2@example.com',
      'bob1@example.com',
      'carl@example.com',
      'nameless@example.com',
    ]);
  });

  it('filters by status, and include_deactivated=true overrides status', async () => {
    mb.seed.user({ email: 'gone@example.com', is_active: false });
    expect(emails(await api('GET', '/api/user'))).toEqual([mb.adminEmail]);
    expect(emails(await api('GET', '/api/user?status=deactivated'))).toEqual(['gone@example.com']);
    expect(emails(await api('GET', '/api/user?status=all'))).toHaveLength(2);
    expect(emails(await api('GET', '/api/user?status=deactivated&include_deactivated=true'))).toHaveLength(2);
    expect(emails(await api('GET', '/api/user?status=bogus'))).toEqual([mb.adminEmail]);
  });

  it('lists only members of group_id', async () => {
    const group = mb.seed.group('Analysts');
    const member = mb.seed.user({ email: 'member@example.com' });
    mb.seed.user({ email: 'outsider@example.com' });
    mb.seed.membership(member.id, group.id);
    expect(emails(await api('GET', `/api/user?group_id=${group.id}`))).toEqual(['member@example.com']);
  });

  it('gives list entries group_ids and personal_collection_id but no user_group_memberships', async () => {
    const [entry] = (await api('GET', '/api/user')).body.data;
    expect(entry).toMatchObject({ group_ids: [1, 2], personal_collection_id: expect.any(Number), common_name: 'Admin User' });
    expect(entry).not.toHaveProperty('user_group_memberships');
    expect(entry).not.toHaveProperty('entity_id');
  });
});

describe('GET /api/user/:id', () => {
  it('returns a deactivated user with memberships sorted by id, and 404 bare text for an unknown id', async () => {
    const group = mb.seed.group('Zeta');
    const user = mb.seed.user({ email: 'gone@example.com', is_active: false });
    mb.seed.membership(user.id, group.id);
    const answer = await api('GET', `/api/user/${user.id}`);
    expect(answer.body).toMatchObject({ is_active: false, user_group_memberships: [{ id: 1 }, { id: group.id }], common_name: 'gone@example.com' });
    expect(await api('GET', '/api/user/4242')).toMatchObject({ status: 404, body: 'Not found.' });
  });
});

describe('POST /api/user', () => {
  it('answers 200 with the new user, its e-mail lower-cased and placed in All Users', async () => {
    const answer = await api('POST', '/api/user', { email: 'Jane.Doe@Example.com', first_name: 'Jane', last_name: 'Doe' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ email: 'jane.doe@example.com', is_active: true, is_superuser: false, user_group_memberships: [{ id: 1 }] });
  });

  it('refuses an invalid e-mail with errors.email', async () => {
    const answer = await api('POST', '/api/user', { email: 'not-an-email' });
    expect(answer).toMatchObject({ status: 400, body: { errors: { email: 'value must be a valid email address.' } } });
  });

  it('refuses an e-mail already used, case-insensitively and even by a deactivated user', async () => {
    mb.seed.user({ email: 'taken@example.com', is_active: false });
    const answer = await api('POST', '/api/user', { email: 'TAKEN@example.com' });
    expect(answer).toMatchObject({ status: 400, body: { errors: { email: 'Email address already in use.' } } });
  });

  it('creates nothing when user_group_memberships lacks All Users', async () => {
    const group = mb.seed.group('Analysts');
    const answer = await api('POST', '/api/user', { email: 'new@example.com', user_group_memberships: [{ id: group.id }] });
    expect(answer).toMatchObject({ status: 400, body: "You cannot add or remove users to/from the 'All Users' group." });
    expect(mb.state.userByEmail('new@example.com')).toBeUndefined();
  });

  it('makes a superuser from the Administrators membership and ignores is_superuser in the body', async () => {
    const admin = await api('POST', '/api/user', { email: 'boss@example.com', user_group_memberships: [{ id: 1 }, { id: 2 }] });
    expect(admin.body).toMatchObject({ is_superuser: true, user_group_memberships: [{ id: 1 }, { id: 2 }] });
    const plain = await api('POST', '/api/user', { email: 'plain@example.com', is_superuser: true });
    expect(plain.body).toMatchObject({ is_superuser: false, user_group_memberships: [{ id: 1 }] });
  });
});

describe('PUT /api/user/:id', () => {
  it('answers 404 for an inactive user', async () => {
    const user = mb.seed.user({ email: 'gone@example.com', is_active: false });
    expect(await api('PUT', `/api/user/${user.id}`, { first_name: 'Back' })).toMatchObject({ status: 404, body: 'Not found.' });
  });

  it('refuses changed names of SSO users even for admins, but accepts unchanged ones', async () => {
    const user = mb.seed.user({ email: 'sso@example.com', first_name: 'Sam', last_name: 'Sso', sso_source: 'saml' });
    const changed = await api('PUT', `/api/user/${user.id}`, { first_name: 'Samuel' });
    expect(changed).toMatchObject({ status: 400, body: { errors: { first_name: 'Editing first name is not allowed for SSO users.' } } });
    expect((await api('PUT', `/api/user/${user.id}`, { first_name: 'Sam', locale: 'fr' })).body.locale).toBe('fr');
  });

  it("refuses another user's e-mail, in any case", async () => {
    const user = mb.seed.user({ email: 'one@example.com' });
    const answer = await api('PUT', `/api/user/${user.id}`, { email: mb.adminEmail.toUpperCase() });
    expect(answer).toMatchObject({ status: 400, body: { errors: { email: 'Email address already associated to another user.' } } });
  });

  it('normalises the locale and refuses an invalid one', async () => {
    const user = mb.seed.user({ email: 'loc@example.com' });
    expect((await api('PUT', `/api/user/${user.id}`, { locale: 'en-us' })).body.locale).toBe('en_US');
    const invalid = await api('PUT', `/api/user/${user.id}`, { locale: 'klingon' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.locale).toMatch(/valid two-letter ISO language or language-country code/);
  });

  it('replaces the groups from user_group_memberships, which must keep All Users', async () => {
    const [a, b] = [mb.seed.group('A'), mb.seed.group('B')];
    const user = mb.seed.user({ email: 'groups@example.com' });
    mb.seed.membership(user.id, a.id);
    const answer = await api('PUT', `/api/user/${user.id}`, { user_group_memberships: [{ id: 1 }, { id: b.id }] });
    expect(answer.body.user_group_memberships).toEqual([{ id: 1 }, { id: b.id }]);
    const withoutAllUsers = await api('PUT', `/api/user/${user.id}`, { user_group_memberships: [{ id: a.id }] });
    expect(withoutAllUsers).toMatchObject({ status: 400, body: "You cannot add or remove users to/from the 'All Users' group." });
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users', 'B']);
  });

  it('requires is_superuser and user_group_memberships to agree on Administrators', async () => {
    const user = mb.seed.user({ email: 'agree@example.com' });
    const answer = await api('PUT', `/api/user/${user.id}`, { is_superuser: false, user_group_memberships: [{ id: 1 }, { id: 2 }] });
    expect(answer.body).toEqual({ errors: { is_superuser: 'Value of is_superuser must correspond to presence of Admin group ID in group_ids.' } });
    expect((await api('PUT', `/api/user/${user.id}`, { is_superuser: true })).body.user_group_memberships).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('refuses to demote the last active admin', async () => {
    const admin = mb.state.userByEmail(mb.adminEmail)!;
    const apiKeyUser = mb.state.users().find((u) => u.type === 'api-key')!;
    expect((await api('PUT', `/api/user/${admin.id}`, { is_superuser: false })).body.is_superuser).toBe(false);
    const last = await api('PUT', `/api/user/${apiKeyUser.id}`, { is_superuser: false });
    expect(last).toMatchObject({ status: 400, body: "You cannot remove the last member of the 'Admin' group!" });
  });

  it('refuses to modify the internal user', async () => {
    expect(await api('PUT', '/api/user/13371338', { first_name: 'X' })).toMatchObject({ status: 400, body: 'Not able to modify the internal user' });
  });
});

describe('DELETE /api/user/:id and reactivation', () => {
  it('deactivates with {success:true}, keeps memberships, and answers 200 again for an inactive user', async () => {
    const group = mb.seed.group('Keep');
    const user = mb.seed.user({ email: 'leave@example.com' });
    mb.seed.membership(user.id, group.id);
    expect(await api('DELETE', `/api/user/${user.id}`)).toMatchObject({ status: 200, body: { success: true } });
    expect(mb.state.userByEmail('leave@example.com')?.is_active).toBe(false);
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users', 'Keep']);
    expect((await api('DELETE', `/api/user/${user.id}`)).status).toBe(200);
    expect((await api('DELETE', '/api/user/4242')).status).toBe(404);
  });

  it('answers success for an API-key user without deactivating it (only personal users are updated)', async () => {
    const apiKeyUser = mb.state.users().find((u) => u.type === 'api-key')!;
    expect(await api('DELETE', `/api/user/${apiKeyUser.id}`)).toMatchObject({ status: 200, body: { success: true } });
    expect((await api('GET', '/api/user/current')).body.id).toBe(apiKeyUser.id);
  });

  it('refuses to deactivate the last active admin', async () => {
    const login = await logIn(mb, mb.adminEmail, mb.adminPassword);
    const asAdmin = client(mb, sessionHeaders(login.body.id));
    const apiKeyUser = mb.state.users().find((u) => u.type === 'api-key')!;
    expect((await asAdmin('PUT', `/api/user/${apiKeyUser.id}`, { is_superuser: false })).status).toBe(200);
    const admin = mb.state.userByEmail(mb.adminEmail)!;
    expect(await asAdmin('DELETE', `/api/user/${admin.id}`)).toMatchObject({ status: 400, body: "You cannot remove the last member of the 'Admin' group!" });
  });

  it('drops superuser and the Administrators membership on reactivation, answering without memberships', async () => {
    const user = mb.seed.user({ email: 'former-admin@example.com', is_superuser: true, is_active: false });
    const answer = await api('PUT', `/api/user/${user.id}/reactivate`);
    expect(answer.body).toMatchObject({ is_active: true, is_superuser: false });
    expect(answer.body).not.toHaveProperty('user_group_memberships');
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users']);
  });

  it('refuses to reactivate an active user with a JSON message', async () => {
    const user = mb.seed.user({ email: 'active@example.com' });
    const answer = await api('PUT', `/api/user/${user.id}/reactivate`);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('Not able to reactivate an active user');
  });
});
