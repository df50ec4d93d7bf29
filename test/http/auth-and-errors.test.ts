// Authentication, limits and the SCIM error contract (RFC 7644 §3.12, design §2.8) through app.request().
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createGroup,
  createUser,
  expectScimError,
  filterQuery,
  groupBody,
  patchBody,
  userBody,
  type TestApp,
} from '../support/build-test-app.ts';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

describe('authentication', () => {
  const attempts: Array<[string, Record<string, string | null>]> = [
    ['no Authorization header', { authorization: null }],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bearer scheme with no token', { authorization: 'Bearer' }],
    ['a token with spaces inside', { authorization: 'Bearer a b c' }],
  ];

  it.each(attempts)('answers 401 SCIM with WWW-Authenticate Bearer for %s', async (_, headers) => {
    const answer = await t.request('GET', '/Users', undefined, headers);
    expectScimError(answer, 401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(t.double.callCount()).toBe(0);
  });

  it('accepts the configured token whatever the case of the scheme name', async () => {
    const answer = await t.request('GET', '/Users', undefined, { authorization: `bearer ${t.token}` });
    expect(answer.status).toBe(200);
  });

  it('accepts any of several configured tokens, plaintext or sha256-hashed', async () => {
    const hashed = `sha256:${createHash('sha256').update('second-token').digest('hex')}`;
    const multi = await buildTestApp({ tokens: ['first-token', hashed] });
    try {
      expect((await multi.request('GET', '/Users', undefined, { authorization: 'Bearer first-token' })).status).toBe(200);
      expect((await multi.request('GET', '/Users', undefined, { authorization: 'Bearer second-token' })).status).toBe(200);
      expectScimError(await multi.request('GET', '/Users', undefined, { authorization: `Bearer ${hashed}` }), 401);
    } finally {
      await multi.close();
    }
  });

  it('refuses a write without a token and changes nothing in Metabase', async () => {
    const answer = await t.request('POST', '/Users', userBody('nobody@example.com'), { authorization: null });
    expectScimError(answer, 401);
    expect(t.double.state.userByEmail('nobody@example.com')).toBeUndefined();
  });
});

describe('not found', () => {
  it('answers 404 SCIM for an unknown route under the base path', async () => {
    expectScimError(await t.request('GET', '/Nothing'), 404);
    expectScimError(await t.request('POST', '/Bulk', {}), 404);
    expectScimError(await t.request('GET', '/Groups/1/members/extra'), 404);
  });

  it('answers 404, not 405, to paths that merely start or end like a collection', async () => {
    expectScimError(await t.request('GET', '/Users/1/extra'), 404);
    expectScimError(await t.request('GET', '/UsersAndMore'), 404);
    expectScimError(await t.request('POST', '/OtherGroups', {}), 404);
  });

  it('answers 404 SCIM for a path outside the base path', async () => {
    const res = await t.app.request('/elsewhere', { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(await res.json()).toMatchObject({ status: '404', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
  });

  it('answers 404 for an unknown numeric user id', async () => {
    expectScimError(await t.request('GET', '/Users/99999'), 404);
  });

  it('answers 404 for a non-numeric user id without asking Metabase for it', async () => {
    expectScimError(await t.request('GET', '/Users/not-a-number'), 404);
    expectScimError(await t.request('GET', '/Users/2c1f0e6a-0d0b-4bd5-9a6e-1c2f3e4d5a6b'), 404);
    expect(t.double.calls.filter((c) => c.path.includes('not-a-number'))).toEqual([]);
  });

  it('answers 404 for an unknown group id, numeric or not', async () => {
    expectScimError(await t.request('GET', '/Groups/4242'), 404);
    expectScimError(await t.request('GET', '/Groups/abc'), 404);
  });

  it('answers 404 to PUT, PATCH and DELETE of an unknown user and group', async () => {
    expectScimError(await t.request('PUT', '/Users/99999', userBody('ghost@example.com')), 404);
    expectScimError(await t.request('PATCH', '/Users/99999', patchBody({ op: 'replace', value: { active: false } })), 404);
    expectScimError(await t.request('DELETE', '/Users/99999'), 404);
    expectScimError(await t.request('PUT', '/Groups/4242', groupBody('Ghosts')), 404);
    expectScimError(await t.request('PATCH', '/Groups/4242', patchBody({ op: 'add', path: 'members', value: [{ value: '1' }] })), 404);
    expectScimError(await t.request('DELETE', '/Groups/4242'), 404);
    expect(t.double.state.userByEmail('ghost@example.com')).toBeUndefined();
    expect(t.double.state.groupByName('Ghosts')).toBeUndefined();
  });
});

describe('methods', () => {
  const discovery = ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes'];
  const writes = ['POST', 'PUT', 'PATCH', 'DELETE'];
  const cases = discovery.flatMap((path) => writes.map((method): [string, string] => [method, path]));

  it.each(cases)('answers 405 SCIM to %s %s', async (method, path) => {
    expectScimError(await t.request(method, path, method === 'DELETE' ? undefined : { schemas: [] }), 405);
  });

  it('answers 405 to writes on a single discovery document', async () => {
    expectScimError(await t.request('PUT', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', {}), 405);
    expectScimError(await t.request('DELETE', '/ResourceTypes/User'), 405);
  });

  it('answers 405 to PUT and DELETE on a whole collection', async () => {
    expectScimError(await t.request('PUT', '/Users', userBody('x@example.com')), 405);
    expectScimError(await t.request('DELETE', '/Groups'), 405);
  });
});

describe('request bodies', () => {
  it('answers 413 SCIM to a body over maxBodyBytes and creates nobody', async () => {
    const small = await buildTestApp({ maxBodyBytes: 2048 });
    try {
      const answer = await small.request('POST', '/Users', userBody('big@example.com', { title: 'x'.repeat(4096) }));
      expectScimError(answer, 413);
      expect(small.double.state.userByEmail('big@example.com')).toBeUndefined();
      expect((await small.request('POST', '/Users', userBody('small@example.com'))).status).toBe(201);
    } finally {
      await small.close();
    }
  });

  it('answers 415 SCIM to a text/plain body', async () => {
    const answer = await t.request('POST', '/Users', JSON.stringify(userBody('plain@example.com')), { 'content-type': 'text/plain' });
    expectScimError(answer, 415);
    expect(t.double.state.userByEmail('plain@example.com')).toBeUndefined();
  });

  it.each(['application/json', 'application/scim+json', 'application/scim+json; charset=utf-8', 'application/json;charset=UTF-8'])(
    'accepts a %s body and answers application/scim+json',
    async (type) => {
      const answer = await t.request('POST', '/Users', userBody('typed@example.com'), { 'content-type': type });
      expect(answer.status).toBe(201);
      expect(answer.contentType).toMatch(/^application\/scim\+json/);
    },
  );

  it('answers application/scim+json on reads, lists and discovery', async () => {
    for (const path of ['/Users', '/Groups', '/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
      const answer = await t.request('GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.contentType, path).toMatch(/^application\/scim\+json/);
    }
  });

  it('answers 400 invalidSyntax to broken JSON', async () => {
    expectScimError(await t.request('POST', '/Users', '{"userName": "broken@example.com",'), 400, 'invalidSyntax');
    expectScimError(await t.request('POST', '/Groups', '{displayName: x}'), 400, 'invalidSyntax');
    expect(t.double.state.userByEmail('broken@example.com')).toBeUndefined();
  });

  it('answers 400 invalidSyntax to an empty body and to a JSON array', async () => {
    expectScimError(await t.request('POST', '/Users', ''), 400, 'invalidSyntax');
    expectScimError(await t.request('POST', '/Users', '[]'), 400, 'invalidSyntax');
  });

  it('answers 400 invalidValue to a User without userName', async () => {
    const { userName: _, ...body } = userBody('nameless@example.com');
    expectScimError(await t.request('POST', '/Users', body), 400, 'invalidValue');
    expectScimError(await t.request('POST', '/Users', userBody('   ')), 400, 'invalidValue');
    expect(t.double.state.userByEmail('nameless@example.com')).toBeUndefined();
  });

  const wrongTypes: Array<[string, Record<string, unknown>]> = [
    ['userName as a number', { userName: 42 }],
    ['active as "maybe"', { active: 'maybe' }],
    ['name as a string', { name: 'Ann Smith' }],
    ['emails as a number', { emails: 5 }],
    ['an email value as an object', { emails: [{ value: { at: 'x' } }] }],
    ['externalId as a number', { externalId: 7 }],
    ['the enterprise extension as an array', { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': [] }],
  ];

  it.each(wrongTypes)('answers 400 invalidValue to %s and creates nobody', async (_, extra) => {
    const answer = await t.request('POST', '/Users', userBody('typed.wrong@example.com', extra));
    expectScimError(answer, 400, 'invalidValue');
    expect(t.double.state.userByEmail('typed.wrong@example.com')).toBeUndefined();
  });

  it('answers 400 invalidValue to a Group without displayName', async () => {
    expectScimError(await t.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], members: [] }), 400, 'invalidValue');
  });

  it('answers 400 invalidFilter to a filter that does not parse', async () => {
    for (const filter of ['userName eq', 'userName xx "a"', '(userName eq "a"', 'userName eq "unterminated', 'and or not']) {
      expectScimError(await t.request('GET', `/Users?${filterQuery(filter)}`), 400, 'invalidFilter');
    }
    expectScimError(await t.request('GET', `/Groups?${filterQuery('displayName eq')}`), 400, 'invalidFilter');
  });
});

describe('uniqueness', () => {
  it('answers 409 uniqueness to a userName that differs only in case, and keeps one Metabase user', async () => {
    await createUser(t, 'Dup.User@Example.com');
    const answer = await t.request('POST', '/Users', userBody('dup.user@example.com'));
    expectScimError(answer, 409, 'uniqueness');
    expect(t.double.state.users().filter((u) => u.email === 'dup.user@example.com')).toHaveLength(1);
  });

  it('answers 409 uniqueness to a userName taken by someone else on PUT', async () => {
    await createUser(t, 'first@example.com');
    const second = await createUser(t, 'second@example.com');
    const answer = await t.request('PUT', `/Users/${second}`, userBody('FIRST@example.com', { emails: [{ value: 'second@example.com', primary: true }] }));
    expectScimError(answer, 409, 'uniqueness');
  });

  it('answers 409 uniqueness to a duplicate group name, whatever its case', async () => {
    await createGroup(t, 'Analysts');
    expectScimError(await t.request('POST', '/Groups', groupBody('analysts')), 409, 'uniqueness');
    expect(t.double.state.groups().filter((g) => g.name.toLowerCase() === 'analysts')).toHaveLength(1);
  });
});

describe('rate limit', () => {
  it('answers 429 SCIM with an integer Retry-After once rateLimitRps is exceeded', async () => {
    const limited = await buildTestApp({ rateLimitRps: 2 });
    try {
      const statuses: number[] = [];
      let refused = null;
      for (let i = 0; i < 10 && !refused; i++) {
        const answer = await limited.request('GET', '/Users');
        statuses.push(answer.status);
        if (answer.status === 429) refused = answer;
      }
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(refused).not.toBeNull();
      expectScimError(refused!, 429);
      expect(refused!.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    } finally {
      await limited.close();
    }
  });
});
