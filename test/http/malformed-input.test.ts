// Bad input never answers 5xx: a bounded set of malformed bodies, PATCHes, filters and paths through app.request().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createGroup, createUser, expectScimError, filterQuery, patchBody, type TestApp } from '../support/build-test-app.ts';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

describe('bad input never answers 5xx', () => {
  const bodies: unknown[] = [
    'null',
    'true',
    '"text"',
    '12',
    '{}',
    '{"schemas":null}',
    '{"userName":{}}',
    '{"userName":"a@b.c","emails":[null,1,"x"]}',
    '{"userName":"a@b.c","name":{"givenName":5}}',
    '{"userName":"a@b.c","groups":"x","password":{}}',
    '{"userName":"a@b.c","emails":[{"value":""}]}',
    '{"userName":"no-email"}',
    '{"userName":"a@b.c","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"x"}}',
    `{"userName":"${'x'.repeat(300)}@b.c"}`,
    '{"userName":"a@b.c","locale":"xx-INVALID-Locale"}',
    '\u0000\u0001',
    `{"a":${'['.repeat(200)}`,
  ];
  const patches: unknown[] = [
    '{}',
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}',
    patchBody({ op: 'explode', path: 'x', value: 1 }),
    patchBody({ op: 'add', path: 'emails[type eq', value: 'x' }),
    patchBody({ op: 'remove' }),
    patchBody({ op: 'replace', value: 5 }),
    patchBody({ op: 'add', path: 'name.givenName' }),
    patchBody({ op: 'replace', path: 'meta.created', value: 'x' }),
    patchBody({ op: 'replace', path: 'active', value: 'perhaps' }),
    patchBody({ op: 'remove', path: 'emails[type eq "nope"]' }),
    patchBody({ op: 'add', path: 'members', value: [{ value: 'abc' }] }),
    patchBody({ op: 'replace', path: 'userName', value: 7 }),
    { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: 'all' },
  ];
  const filters = [
    '',
    ' ',
    'userName',
    'userName eq "a" and',
    'not',
    'emails[type eq "work"',
    'userName gt 5',
    'meta.created gt "yesterday"',
    'a.b.c.d eq 1',
    'userName eq "\\"',
    'members[value eq "x"].value eq "y"',
    'userName eq "a" or (userName eq "b"',
    'urn:x:y eq 1',
    'id eq null',
    '%%%',
  ];
  const paths = [
    '/Users/%00',
    '/Users/-1',
    '/Users/0',
    '/Users/1e3',
    '/Users/99999999999999999999',
    '/Groups/%20',
    '/Users?startIndex=x',
    '/Users?count=-5',
    '/Users?count=1.5',
    '/Users?sortOrder=sideways',
    '/Users?sortBy=%5B',
    '/Users?attributes=emails[type eq "work"]',
    '/Groups?excludedAttributes=..',
    '/Users/.search',
  ];

  it('answers every odd User body with a success or a SCIM 4xx', async () => {
    for (const body of bodies) {
      const answer = await t.request('POST', '/Users', body);
      expect(answer.status, `${String(body).slice(0, 60)} → ${answer.text}`).toBeLessThan(500);
      expect(answer.contentType).toMatch(/^application\/scim\+json/);
      if (answer.status >= 400) expect(answer.body.status).toBe(String(answer.status));
    }
  });

  it('refuses the clearly malformed User bodies with 400', async () => {
    for (const body of ['null', 'true', '"text"', '12', '{}', '{"userName":{}}', '{"userName":"no-email"}', '\u0000\u0001', `{"a":${'['.repeat(200)}`]) {
      expectScimError(await t.request('POST', '/Users', body), 400);
    }
  });

  it('answers every malformed PATCH with a SCIM 4xx, to users and groups', async () => {
    const userId = await createUser(t, 'patched@example.com');
    const groupId = await createGroup(t, 'Patched');
    for (const body of patches) {
      for (const path of [`/Users/${userId}`, `/Groups/${groupId}`]) {
        const answer = await t.request('PATCH', path, body);
        expect(answer.status, `${path} ${JSON.stringify(body)} → ${answer.text}`).toBeLessThan(500);
      }
    }
  });

  it('answers every malformed filter with 200 or a SCIM 4xx', async () => {
    for (const filter of filters) {
      for (const collection of ['/Users', '/Groups']) {
        const answer = await t.request('GET', `${collection}?${filterQuery(filter)}`);
        expect(answer.status, `${collection} ${filter} → ${answer.text}`).toBeLessThan(500);
        expect(answer.contentType).toMatch(/^application\/scim\+json/);
      }
    }
  });

  it('answers every odd path and query with 200 or a SCIM 4xx', async () => {
    for (const path of paths) {
      const answer = await t.request('GET', path);
      expect(answer.status, `${path} → ${answer.text}`).toBeLessThan(500);
    }
  });
});
