// The Metabase double follows metabase-api.md: authentication, sessions, routing, transactions, and its test controls.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from './metabase-double.ts';
import { client, logIn, personalClient, sessionHeaders, type Call } from './metabase-double/test-client.ts';

let mb: MetabaseDouble;
let api: Call;

beforeEach(async () => {
  mb = await startMetabaseDouble();
  api = client(mb);
});

afterEach(async () => {
  await mb.close();
});

describe('authentication', () => {
  it('answers 401 bare-text Unauthenticated without credentials or with a wrong API key', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'mb_wrong' }, { 'x-metabase-session': 'not-a-session' }];
    for (const headers of attempts) {
      const answer = await api('GET', '/api/user', undefined, headers);
      expect(answer.status).toBe(401);
      expect(answer.contentType).toMatch(/^text\/plain/);
      expect(answer.body).toBe('Unauthenticated');
    }
  });

  it('accepts the API key whatever the case of the header name', async () => {
    const answer = await api('GET', '/api/user/current', undefined, { 'X-API-KEY': mb.apiKey });
    expect(answer.status).toBe(200);
    expect(answer.body.email).toMatch(/^api-key-user-[0-9a-f-]{36}@api-key\.invalid$/);
    expect(answer.body.is_superuser).toBe(true);
  });

  it('serves health without credentials as JSON', async () => {
    const answer = await api('GET', '/api/health', undefined, {});
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(answer.contentType).toBe('application/json; charset=utf-8');
  });

  it('refuses a non-superuser with 403 bare text but lets them read themselves', async () => {
    const person = await personalClient(mb, 'pat@example.com');
    const list = await person('GET', '/api/user');
    expect(list).toMatchObject({ status: 403, body: "You don't have permissions to do that." });
    expect(list.contentType).toMatch(/^text\/plain/);
    expect((await person('GET', '/api/user/current')).body.email).toBe('pat@example.com');
    expect((await person('GET', '/api/permissions/group')).status).toBe(403);
  });
});

describe('sessions', () => {
  it('logs in with a session id and cookies that authenticate by header and by cookie', async () => {
    const login = await logIn(mb, mb.adminEmail, mb.adminPassword);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(login.headers.getSetCookie().some((c) => c.startsWith(`metabase.SESSION=${login.body.id}`))).toBe(true);
    expect((await api('GET', '/api/user', undefined, sessionHeaders(login.body.id))).status).toBe(200);
    expect((await api('GET', '/api/user', undefined, { cookie: `metabase.SESSION=${login.body.id}` })).status).toBe(200);
    expect(mb.loginCount).toBe(1);
  });

  it('gives the same 401 JSON for an unknown user and a wrong password', async () => {
    for (const [username, password] of [
      ['nobody@example.com', 'x'],
      [mb.adminEmail, 'wrong'],
    ]) {
      const answer = await logIn(mb, username, password);
      expect(answer).toMatchObject({ status: 401, body: { errors: { password: 'did not match stored password' } } });
    }
    expect(mb.loginCount).toBe(0);
  });

  it('tells a deactivated user with the right password that the account is disabled', async () => {
    mb.seed.user({ email: 'gone@example.com', password: 'pw-123456', is_active: false });
    const answer = await logIn(mb, 'gone@example.com', 'pw-123456');
    expect(answer).toMatchObject({ status: 401, body: { errors: { _error: 'Your account is disabled.' } } });
  });

  it('throttles a username after 10 rapid failures, even with the right password, and not other usernames', async () => {
    for (let i = 0; i < 10; i++) expect((await logIn(mb, mb.adminEmail, `wrong-${i}`)).status).toBe(401);
    const throttled = await logIn(mb, mb.adminEmail, mb.adminPassword);
    expect(throttled.status).toBe(401);
    expect(throttled.body.errors.username).toMatch(/^Too many attempts! You must wait \d+ seconds before trying again\.$/);
    mb.seed.user({ email: 'other@example.com', password: 'pw-123456' });
    expect((await logIn(mb, 'other@example.com', 'pw-123456')).status).toBe(200);
  });

  it('logs out with 204, after which the session is refused; an unknown session logs out with 404', async () => {
    const { body } = await logIn(mb, mb.adminEmail, mb.adminPassword);
    expect((await api('DELETE', '/api/session', undefined, sessionHeaders(body.id))).status).toBe(204);
    expect((await api('GET', '/api/user', undefined, sessionHeaders(body.id))).status).toBe(401);
    expect(await api('DELETE', '/api/session', undefined, sessionHeaders(body.id))).toMatchObject({ status: 404, body: 'Not found.' });
  });

  it('refuses every session after expireSessions, so clients must log in again', async () => {
    const { body } = await logIn(mb, mb.adminEmail, mb.adminPassword);
    mb.expireSessions();
    expect(await api('GET', '/api/user', undefined, sessionHeaders(body.id))).toMatchObject({ status: 401, body: 'Unauthenticated' });
    const again = await logIn(mb, mb.adminEmail, mb.adminPassword);
    expect((await api('GET', '/api/user', undefined, sessionHeaders(again.body.id))).status).toBe(200);
    expect(mb.loginCount).toBe(2);
  });

  it('refuses a session older than maxSessionAgeMinutes', async () => {
    const short = await startMetabaseDouble({ maxSessionAgeMinutes: 0.001 });
    try {
      const { body } = await logIn(short, short.adminEmail, short.adminPassword);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect((await client(short)('GET', '/api/user', undefined, sessionHeaders(body.id))).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('revokes the sessions of a deactivated user', async () => {
    mb.seed.user({ email: 'leaver@example.com', password: 'pw-123456' });
    const { body } = await logIn(mb, 'leaver@example.com', 'pw-123456');
    const leaver = mb.state.userByEmail('leaver@example.com')!;
    expect((await api('DELETE', `/api/user/${leaver.id}`)).status).toBe(200);
    expect((await api('GET', '/api/user/current', undefined, sessionHeaders(body.id))).status).toBe(401);
  });
});

describe('routing', () => {
  it('answers an unknown /api route with 404 bare text, after authentication under an authenticated prefix', async () => {
    expect(await api('GET', '/api/nothing-here', undefined, {})).toMatchObject({ status: 404, body: 'API endpoint does not exist.' });
    expect((await api('GET', '/api/user/1/nothing', undefined, {})).status).toBe(401);
    expect(await api('GET', '/api/user/1/nothing')).toMatchObject({ status: 404, body: 'API endpoint does not exist.' });
  });

  it('has no route for a non-numeric id (404) and fails validation for id 0 (400)', async () => {
    expect(await api('GET', '/api/user/abc')).toMatchObject({ status: 404, body: 'API endpoint does not exist.' });
    const zero = await api('GET', '/api/user/0');
    expect(zero.status).toBe(400);
    expect(zero.body.errors).toEqual({ id: 'value must be an integer greater than zero.' });
    expect(zero.body['specific-errors'].id).toHaveLength(1);
  });

  it('answers malformed JSON with a 400 and leaves everything unchanged', async () => {
    const res = await fetch(`${mb.url}/api/permissions/group`, {
      method: 'POST',
      headers: { 'x-api-key': mb.apiKey, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(mb.state.groups()).toHaveLength(2);
  });

  it('rolls back every change of a failed request', async () => {
    const user = mb.seed.user({ email: 'jo@example.com' });
    const answer = await api('PUT', `/api/user/${user.id}`, { first_name: 'Joanna', is_superuser: true, user_group_memberships: [{ id: 1 }] });
    expect(answer.status).toBe(400);
    expect(mb.state.userByEmail('jo@example.com')).toMatchObject({ first_name: null, is_superuser: false });
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users']);
  });
});

describe('test controls', () => {
  it('records every request in order with its status, and counts them by method and path prefix', async () => {
    await api('GET', '/api/user?status=all');
    await api('GET', '/api/user/999999');
    await api('GET', '/api/permissions/group');
    expect(mb.calls).toEqual([
      { method: 'GET', path: '/api/user', query: 'status=all', status: 200 },
      { method: 'GET', path: '/api/user/999999', query: '', status: 404 },
      { method: 'GET', path: '/api/permissions/group', query: '', status: 200 },
    ]);
    expect(mb.callCount({ pathPrefix: '/api/user' })).toBe(2);
    expect(mb.callCount({ method: 'post' })).toBe(0);
    mb.resetCalls();
    expect(mb.callCount()).toBe(0);
  });

  it('fails exactly the next N matching requests with the chosen status and Metabase wording', async () => {
    mb.failNext({ method: 'GET', pathPrefix: '/api/user' }, 503, 2);
    expect((await api('GET', '/api/permissions/group')).status).toBe(200);
    expect(await api('GET', '/api/user')).toMatchObject({ status: 503, body: 'Metabase is still initializing. Please sit tight...' });
    expect((await api('GET', '/api/user/1')).status).toBe(503);
    expect((await api('GET', '/api/user/1')).status).toBe(200);
  });

  it('drops the connection without an answer for a status-0 fault', async () => {
    mb.failNext({}, 0);
    await expect(api('GET', '/api/health')).rejects.toThrow();
    expect((await api('GET', '/api/health')).status).toBe(200);
  });

  it('answers an ignored write as Metabase would, then leaves everything as it was', async () => {
    const person = mb.seed.user({ email: 'ignored@example.com' });
    mb.ignoreNextChange({ method: 'DELETE', pathPrefix: '/api/user/' });
    expect(await api('DELETE', `/api/user/${person.id}`)).toMatchObject({ status: 200, body: { success: true } });
    expect(mb.state.userByEmail('ignored@example.com')?.is_active).toBe(true);
    expect((await api('DELETE', `/api/user/${person.id}`)).status).toBe(200);
    expect(mb.state.userByEmail('ignored@example.com')?.is_active).toBe(false);
  });

  it('delays every answer by the configured time', async () => {
    mb.setDelay(60);
    const started = performance.now();
    await api('GET', '/api/health');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('seeds rows that the state views read back as copies', async () => {
    const user = mb.seed.user({ email: 'Sso@Example.com', sso_source: 'saml' });
    const group = mb.seed.group('Analysts');
    mb.seed.membership(user.id, group.id);
    expect(mb.state.userByEmail('sso@example.com')).toMatchObject({ id: user.id, sso_source: 'saml', type: 'personal' });
    expect(mb.state.groupNamesOf(user.id)).toEqual(['All Users', 'Analysts']);
    expect(mb.state.groupByName('analysts')?.id).toBe(group.id);
    mb.state.users()[0].email = 'changed@example.com';
    expect(mb.state.users()[0].email).toBe(mb.adminEmail);
  });
});
