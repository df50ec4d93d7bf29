// Discovery endpoints (RFC 7644 §4, RFC 7643 §5–§7) and absolute locations through app.request().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, expectScimError, type TestApp } from '../support/build-test-app.ts';

const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
};

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

describe('/ServiceProviderConfig', () => {
  it('advertises PATCH, filter, sort and bearer tokens, and no bulk, etag or password change', async () => {
    const answer = await t.request('GET', '/ServiceProviderConfig');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/scim\+json/);
    expect(answer.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: expect.any(Number) },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: false },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    });
    expect(Number.isInteger(answer.body.filter.maxResults)).toBe(true);
  });
});

describe('/Schemas', () => {
  it("lists the User, enterprise User and Group schemas and discovery's own three in a ListResponse", async () => {
    const answer = await t.request('GET', '/Schemas');
    expect(answer.status).toBe(200);
    expect(answer.body.schemas).toEqual([URN.listResponse]);
    const own = ['ServiceProviderConfig', 'ResourceType', 'Schema'].map((name) => `urn:ietf:params:scim:schemas:core:2.0:${name}`);
    expect(answer.body.Resources.map((s: { id: string }) => s.id).sort()).toEqual([URN.group, URN.user, URN.enterprise, ...own].sort());
    expect(answer.body.totalResults).toBe(6);
  });

  it('describes userName as required and case-insensitive, and groups as read-only', async () => {
    const answer = await t.request('GET', `/Schemas/${URN.user}`);
    expect(answer.status).toBe(200);
    const attribute = (name: string) => answer.body.attributes.find((a: { name: string }) => a.name === name);
    expect(attribute('userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    expect(attribute('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    expect(answer.body.meta).toMatchObject({ resourceType: 'Schema', location: expect.stringMatching(/\/scim\/v2\/Schemas\/urn:/) });
  });

  it('answers 404 SCIM for an unknown schema', async () => {
    expectScimError(await t.request('GET', '/Schemas/urn:example:nope'), 404);
  });
});

describe('/ResourceTypes', () => {
  it('lists User with the enterprise extension and Group, with their endpoints', async () => {
    const answer = await t.request('GET', '/ResourceTypes');
    expect(answer.status).toBe(200);
    expect(answer.body.totalResults).toBe(2);
    const byId = Object.fromEntries(answer.body.Resources.map((r: { id: string }) => [r.id, r]));
    expect(byId.User).toMatchObject({ endpoint: '/Users', schema: URN.user, schemaExtensions: [{ schema: URN.enterprise, required: false }] });
    expect(byId.Group).toMatchObject({ endpoint: '/Groups', schema: URN.group });
  });

  it('serves a single resource type by id and 404 for an unknown one', async () => {
    expect((await t.request('GET', '/ResourceTypes/Group')).body).toMatchObject({ id: 'Group', name: 'Group' });
    expectScimError(await t.request('GET', '/ResourceTypes/Role'), 404);
  });
});

describe('absolute locations', () => {
  it('builds meta.location from X-Forwarded-Proto and X-Forwarded-Host behind a trusted proxy', async () => {
    const proxied = await buildTestApp({ trustProxy: true });
    try {
      const id = await createUser(proxied, 'proxied@example.com');
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'scim.example.org' };
      const user = await proxied.request('GET', `/Users/${id}`, undefined, headers);
      expect(user.body.meta.location).toBe(`https://scim.example.org/scim/v2/Users/${id}`);
      const config = await proxied.request('GET', '/ServiceProviderConfig', undefined, headers);
      expect(config.body.meta.location).toBe('https://scim.example.org/scim/v2/ServiceProviderConfig');
    } finally {
      await proxied.close();
    }
  });
});
