// The Metabase double's /api/permissions follows metabase-api.md §2: groups, members, memberships and their refusals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../metabase-double.ts';
import { client, type Call } from './test-client.ts';

let mb: MetabaseDouble;
let api: Call;

beforeEach(async () => {
  mb = await startMetabaseDouble();
  api = client(mb);
});

afterEach(async () => {
  await mb.close();
});

const ALL_USERS_REFUSAL = "You cannot add or remove users to/from the 'All Users' group.";
const LAST_ADMIN_REFUSAL = "You cannot remove the last member of the 'Admin' group!";

function apiKeyUserId(): number {
  return mb.state.users().find((u) => u.type === 'api-key')!.id;
}

describe('groups', () => {
  it('lists an array ordered by lower(name) whose member_count counts active users only', async () => {
    mb.seed.user({ email: 'gone@example.com', is_active: false });
    mb.seed.group('analysts');
    const answer = await api('GET', '/api/permissions/group');
    expect(answer.body.map((g: { name: string }) => g.name)).toEqual(['Administrators', 'All Users', 'analysts']);
    expect(answer.body[1]).toMatchObject({ id: 1, magic_group_type: 'all-internal-users', member_count: 2 });
    expect((await api('GET', '/api/permissions/group?limit=1&offset=1')).body.map((g: { id: number }) => g.id)).toEqual([1]);
  });

  it('lists only active users as members, API-key users included, with membership ids', async () => {
    mb.seed.user({ email: 'gone@example.com', is_active: false, is_superuser: true });
    const answer = await api('GET', '/api/permissions/group/2');
    const members = answer.body.members;
    expect(members.map((m: { email: string }) => m.email)).toEqual([mb.adminEmail, expect.stringMatching(/@api-key\.invalid$/)]);
    expect(members[0]).toMatchObject({
      user_id: 1,
      id: 1,
      first_name: 'Admin',
      last_name: 'User',
      is_superuser: true,
      group_id: 2,
      common_name: 'Admin User',
      membership_id: expect.any(Number),
    });
    expect(await api('GET', '/api/permissions/group/999')).toMatchObject({ status: 404, body: 'Not found.' });
  });

  it('refuses a blank name with errors and specific-errors', async () => {
    const answer = await api('POST', '/api/permissions/group', { name: '  ' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual({ name: 'value must be a non-blank string.' });
    expect(answer.body['specific-errors'].name).toEqual(expect.arrayContaining([expect.stringContaining('non-blank string')]));
  });

  it('creates with 200 and refuses a duplicate name in any case with bare text', async () => {
    const created = await api('POST', '/api/permissions/group', { name: 'Analysts' });
    expect(created).toMatchObject({ status: 200, body: { name: 'Analysts', magic_group_type: null, entity_id: expect.stringMatching(/^.{21}$/) } });
    expect(await api('POST', '/api/permissions/group', { name: 'ANALYSTS' })).toMatchObject({
      status: 400,
      body: 'A group with that name already exists.',
    });
  });

  it('fails to rename a group to its own name in another case, but accepts the identical name', async () => {
    const group = mb.seed.group('Analysts');
    expect(await api('PUT', `/api/permissions/group/${group.id}`, { name: 'analysts' })).toMatchObject({
      status: 400,
      body: 'A group with that name already exists.',
    });
    expect((await api('PUT', `/api/permissions/group/${group.id}`, { name: 'Analysts' })).status).toBe(200);
    expect((await api('PUT', `/api/permissions/group/${group.id}`, { name: 'Data People' })).body.name).toBe('Data People');
    expect((await api('PUT', '/api/permissions/group/999', { name: 'X' })).status).toBe(404);
  });

  it('refuses to rename or delete a magic group', async () => {
    expect(await api('PUT', '/api/permissions/group/1', { name: 'Everyone' })).toMatchObject({
      status: 400,
      body: "You cannot edit or delete the 'All Users' permissions group!",
    });
    expect(await api('DELETE', '/api/permissions/group/2')).toMatchObject({
      status: 400,
      body: "You cannot edit or delete the 'Administrators' permissions group!",
    });
  });

  it('deletes with 204 and takes the memberships along; an unknown id is also 204', async () => {
    const group = mb.seed.group('Temp');
    const user = mb.seed.user({ email: 'temp@example.com' });
    mb.seed.membership(user.id, group.id);
    expect((await api('DELETE', `/api/permissions/group/${group.id}`)).status).toBe(204);
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users']);
    expect((await api('DELETE', '/api/permissions/group/999')).status).toBe(204);
  });
});

describe('memberships', () => {
  it('maps user id strings to memberships, deactivated and API-key users included, the internal user not', async () => {
    const gone = mb.seed.user({ email: 'gone@example.com', is_active: false });
    const answer = await api('GET', '/api/permissions/membership');
    expect(Object.keys(answer.body)).toEqual(['1', String(apiKeyUserId()), String(gone.id)]);
    expect(answer.body['1']).toEqual([
      { membership_id: expect.any(Number), group_id: 1, user_id: 1, is_group_manager: false },
      { membership_id: expect.any(Number), group_id: 2, user_id: 1, is_group_manager: false },
    ]);
  });

  it('answers an added membership with the full active member list of the group', async () => {
    const group = mb.seed.group('Analysts');
    const [one, two] = [mb.seed.user({ email: 'one@example.com', first_name: 'One' }), mb.seed.user({ email: 'two@example.com', first_name: 'Two' })];
    await api('POST', '/api/permissions/membership', { group_id: group.id, user_id: one.id });
    const answer = await api('POST', '/api/permissions/membership', { group_id: group.id, user_id: two.id });
    expect(answer.status).toBe(200);
    expect(answer.body.map((m: { user_id: number }) => m.user_id)).toEqual([one.id, two.id]);
  });

  it('fails a duplicate membership insert with a 500 carrying the SQL exception chain', async () => {
    const group = mb.seed.group('Analysts');
    const user = mb.seed.user({ email: 'dup@example.com' });
    await api('POST', '/api/permissions/membership', { group_id: group.id, user_id: user.id });
    const duplicate = await api('POST', '/api/permissions/membership', { group_id: group.id, user_id: user.id });
    expect(duplicate.status).toBe(500);
    expect(duplicate.body.message).toMatch(/duplicate key value violates unique constraint/);
    expect(duplicate.body['sql-exception-chain']).toEqual(expect.arrayContaining([expect.stringContaining('SQLState: 23505')]));
    expect((await api('POST', '/api/permissions/membership', { group_id: group.id, user_id: 4242 })).status).toBe(500);
  });

  it('refuses additions to All Users with bare text', async () => {
    const user = mb.seed.user({ email: 'x@example.com' });
    expect(await api('POST', '/api/permissions/membership', { group_id: 1, user_id: user.id })).toMatchObject({ status: 400, body: ALL_USERS_REFUSAL });
  });

  it('makes a superuser on joining Administrators and clears it when that membership is deleted', async () => {
    const user = mb.seed.user({ email: 'promo@example.com' });
    const members = (await api('POST', '/api/permissions/membership', { group_id: 2, user_id: user.id })).body;
    expect(mb.state.userByEmail('promo@example.com')?.is_superuser).toBe(true);
    const membership = members.find((m: { user_id: number }) => m.user_id === user.id);
    expect((await api('DELETE', `/api/permissions/membership/${membership.membership_id}`)).status).toBe(204);
    expect(mb.state.userByEmail('promo@example.com')?.is_superuser).toBe(false);
  });

  it('refuses to delete an unknown, an All Users or the last admin membership', async () => {
    expect(await api('DELETE', '/api/permissions/membership/9999')).toMatchObject({ status: 404, body: 'Not found.' });
    const allUsers = mb.state.memberships().find((m) => m.group_id === 1)!;
    expect(await api('DELETE', `/api/permissions/membership/${allUsers.id}`)).toMatchObject({ status: 400, body: ALL_USERS_REFUSAL });
    const admins = mb.state.memberships().filter((m) => m.group_id === 2);
    expect((await api('DELETE', `/api/permissions/membership/${admins[0].id}`)).status).toBe(204);
    expect(await api('DELETE', `/api/permissions/membership/${admins[1].id}`)).toMatchObject({ status: 400, body: LAST_ADMIN_REFUSAL });
  });

  it('answers PUT on a membership with 402 bare text', async () => {
    const answer = await api('PUT', '/api/permissions/membership/1', { is_group_manager: true });
    expect(answer.status).toBe(402);
    expect(answer.body).toMatch(/^The group manager permissions functionality is only enabled/);
  });

  it('clears a group with 204 but refuses Administrators and All Users', async () => {
    const group = mb.seed.group('Clearable');
    const user = mb.seed.user({ email: 'c@example.com' });
    mb.seed.membership(user.id, group.id);
    expect((await api('PUT', `/api/permissions/membership/${group.id}/clear`)).status).toBe(204);
    expect(mb.state.groupByName('Clearable')).toBeDefined();
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users']);
    expect(await api('PUT', '/api/permissions/membership/2/clear')).toMatchObject({ status: 400, body: 'Invalid Request.' });
    expect(await api('PUT', '/api/permissions/membership/1/clear')).toMatchObject({ status: 400, body: ALL_USERS_REFUSAL });
    expect((await api('PUT', '/api/permissions/membership/999/clear')).status).toBe(404);
  });
});
