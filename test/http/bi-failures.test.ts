// The BI tool failing (design §2.8): gateway statuses in SCIM form, and a clean retry once the fault clears.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createGroup,
  createUser,
  doubleSnapshot,
  expectScimError,
  filterQuery,
  groupBody,
  memberIdsInDouble,
  patchBody,
  userBody,
  type ScimAnswer,
  type TestApp,
} from '../support/build-test-app.ts';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

/** A gateway error an IdP can read: SCIM JSON, no HTML, no stack trace, no Metabase internals. */
function expectGatewayError(answer: ScimAnswer, status: 502 | 503 | 504): void {
  expectScimError(answer, status);
  expect(answer.text).not.toMatch(/<html|java\.|clojure|"via"|"trace"|sql-exception|\n\s+at /i);
  if (status === 503) expect(answer.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
}

/** Metabase's answer → the SCIM status the IdP sees (RFC 9110 §15.6 gateway semantics). */
const FAULTS: Array<[string, 502 | 503 | 504, number]> = [
  ['a 500 with a stack trace', 502, 500],
  ['a 502', 503, 502],
  ['a 503 while starting', 503, 503],
];

describe('gateway statuses', () => {
  it.each(FAULTS)('answers %s from Metabase on a read with a SCIM %i', async (_, expected, status) => {
    const id = await createUser(t, 'reader@example.com');
    t.double.failNext({ method: 'GET', pathPrefix: '/api/user' }, status);
    expectGatewayError(await t.request('GET', `/Users/${id}`), expected);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
  });

  it('reads again once when Metabase drops the connection, and answers 503 when it drops the second too', async () => {
    const id = await createUser(t, 'reset@example.com');
    t.double.failNext({ method: 'GET', pathPrefix: `/api/user/${id}` }, 0);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
    t.double.failNext({ method: 'GET', pathPrefix: `/api/user/${id}` }, 0, 2);
    expectGatewayError(await t.request('GET', `/Users/${id}`), 503);
  });

  it('never sends a write twice after a dropped connection: the IdP decides about retrying it', async () => {
    const id = await createUser(t, 'once@example.com');
    t.double.failNext({ method: 'PUT', pathPrefix: `/api/user/${id}` }, 0);
    const before = t.double.callCount({ method: 'PUT' });
    expectGatewayError(await t.request('PUT', `/Users/${id}`, userBody('once@example.com', { name: { givenName: 'Once', familyName: 'Only' } })), 503);
    expect(t.double.callCount({ method: 'PUT' }) - before).toBe(1);
  });

  it('answers a Metabase that does not answer in time with a SCIM 504', async () => {
    const impatient = await buildTestApp({ biTimeoutMs: 200 });
    try {
      const id = await createUser(impatient, 'slow@example.com');
      impatient.double.setDelay(1_000);
      expectGatewayError(await impatient.request('GET', `/Users/${id}`), 504);
      impatient.double.setDelay(0);
      expect((await impatient.request('GET', `/Users/${id}`)).status).toBe(200);
    } finally {
      await impatient.close();
    }
  });

  it.each([
    ['a user without its fields', { id: 'not-a-number' }],
    ['an HTML page', '<html>Login</html>'],
    ['a list where an object belongs', [1, 2, 3]],
  ])('answers %s in a 200 from Metabase with a SCIM 502 that says so, never a 500', async (_, body) => {
    const id = await createUser(t, `shape-${Math.random().toString(36).slice(2)}@example.com`);
    t.double.replyNext({ method: 'GET', pathPrefix: `/api/user/${id}` }, body);
    const answer = await t.request('GET', `/Users/${id}`);
    expectGatewayError(answer, 502);
    expect(answer.body.detail).toMatch(/form bi-scim does not expect/);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
  });

  it('answers a list whose Metabase call fails with a SCIM error, not an empty list', async () => {
    await createUser(t, 'listed@example.com');
    t.double.failNext({ method: 'GET', pathPrefix: '/api/user' }, 500);
    expectGatewayError(await t.request('GET', `/Users?${filterQuery('userName eq "listed@example.com"')}`), 502);
  });
});

describe('clean retries of writes', () => {
  it.each(FAULTS)('POST /Users failing with %s answers %i, creates nobody, and the retry creates exactly one', async (_, expected, status) => {
    t.double.failNext({ method: 'POST', pathPrefix: '/api/user' }, status);
    expectGatewayError(await t.request('POST', '/Users', userBody('Retry.Create@Example.com')), expected);
    expect(t.double.state.userByEmail('retry.create@example.com')).toBeUndefined();
    expect((await t.request('GET', `/Users?${filterQuery('userName eq "Retry.Create@Example.com"')}`)).body.totalResults).toBe(0);
    const retry = await t.request('POST', '/Users', userBody('Retry.Create@Example.com'));
    expect(retry.status).toBe(201);
    expect(t.double.state.users().filter((u) => u.email === 'retry.create@example.com')).toHaveLength(1);
  });

  it('POST /Users whose locale write fails can be retried to 201 with the same single Metabase user', async () => {
    t.double.failNext({ method: 'PUT', pathPrefix: '/api/user/' }, 502);
    const body = userBody('locale.retry@example.com', { locale: 'de-DE' });
    expectGatewayError(await t.request('POST', '/Users', body), 503);
    const retry = await t.request('POST', '/Users', body);
    expect(retry.status, retry.text).toBe(201);
    expect(t.double.state.users().filter((u) => u.email === 'locale.retry@example.com')).toEqual([expect.objectContaining({ locale: 'de_DE' })]);
  });

  it('PUT /Users failing changes neither Metabase nor SCIM, and the retry applies it exactly', async () => {
    const id = await createUser(t, 'put.retry@example.com', { name: { givenName: 'Before', familyName: 'Put' }, title: 'Before' });
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    const body = userBody('put.retry@example.com', { name: { givenName: 'After', familyName: 'Put' }, title: 'After' });
    t.double.failNext({ method: 'PUT', pathPrefix: `/api/user/${id}` }, 503);
    expectGatewayError(await t.request('PUT', `/Users/${id}`, body), 503);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(before);
    const retry = await t.request('PUT', `/Users/${id}`, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ title: 'After', name: { givenName: 'After' } });
    expect(t.double.state.userByEmail('put.retry@example.com')).toMatchObject({ first_name: 'After', is_active: true });
  });

  it('PUT /Users that renames and deactivates, failing at the deactivation, leaves both undone', async () => {
    const id = await createUser(t, 'two.step@example.com', { name: { givenName: 'Before', familyName: 'Steps' } });
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    const body = userBody('two.step@example.com', { name: { givenName: 'After', familyName: 'Steps' }, active: false });
    t.double.failNext({ method: 'DELETE', pathPrefix: `/api/user/${id}` }, 500);
    expectGatewayError(await t.request('PUT', `/Users/${id}`, body), 502);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(before);
    expect((await t.request('PUT', `/Users/${id}`, body)).status).toBe(200);
    expect(t.double.state.userByEmail('two.step@example.com')).toMatchObject({ first_name: 'After', is_active: false });
  });

  it('DELETE /Users failing keeps the person, and the retry deletes them', async () => {
    const id = await createUser(t, 'delete.retry@example.com');
    t.double.failNext({ method: 'DELETE', pathPrefix: `/api/user/${id}` }, 0);
    expectGatewayError(await t.request('DELETE', `/Users/${id}`), 503);
    expect(t.double.state.userByEmail('delete.retry@example.com')?.is_active).toBe(true);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(404);
  });

  it('PATCH adding members failing can be retried to the exact member list, with no duplicate insert', async () => {
    const [a, b, c] = [await createUser(t, 'm.a@example.com'), await createUser(t, 'm.b@example.com'), await createUser(t, 'm.c@example.com')];
    const groupId = await createGroup(t, 'Retry Members', [a]);
    t.double.resetCalls();
    t.double.failNext({ method: 'POST', pathPrefix: '/api/permissions/membership' }, 0);
    const add = patchBody({ op: 'add', path: 'members', value: [{ value: a }, { value: b }, { value: c }] });
    const failed = await t.request('PATCH', `/Groups/${groupId}`, add);
    expectGatewayError(failed, 503);
    const retry = await t.request('PATCH', `/Groups/${groupId}`, add);
    expect(retry.status).toBe(204);
    expect(memberIdsInDouble(t, groupId)).toEqual([a, b, c]);
    expect(t.double.calls.filter((call) => call.status >= 500)).toEqual([]);
  });

  it('POST /Groups whose member insert fails can be retried to 201, leaving one group with its members', async () => {
    const member = await createUser(t, 'group.retry@example.com');
    t.double.failNext({ method: 'POST', pathPrefix: '/api/permissions/membership' }, 500);
    expectGatewayError(await t.request('POST', '/Groups', groupBody('Retry Group', [member])), 502);
    const retry = await t.request('POST', '/Groups', groupBody('Retry Group', [member]));
    expect(retry.status, retry.text).toBe(201);
    expect(t.double.state.groups().filter((g) => g.name === 'Retry Group')).toHaveLength(1);
    expect(memberIdsInDouble(t, retry.body.id)).toEqual([member]);
  });

  it('DELETE /Groups failing keeps the group in Metabase and in SCIM, and the retry deletes it', async () => {
    const groupId = await createGroup(t, 'Retry Delete');
    t.double.failNext({ method: 'DELETE', pathPrefix: '/api/permissions/group/' }, 503);
    expectGatewayError(await t.request('DELETE', `/Groups/${groupId}`), 503);
    expect(t.double.state.groupByName('Retry Delete')).toBeDefined();
    expect((await t.request('GET', `/Groups/${groupId}`)).status).toBe(200);
    expect((await t.request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(t.double.state.groupByName('Retry Delete')).toBeUndefined();
  });
});
