// Filters, paging, sorting, projection and POST .search (RFC 7644 §3.4.2–§3.4.3) through app.request().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createGroup, createUser, filterQuery, patchBody, searchBody, type TestApp } from '../support/build-test-app.ts';

let t: TestApp;
/** Ids of the people seeded for every test, by userName. */
let ids: Record<string, string>;

const people: Array<[string, Record<string, unknown>]> = [
  ['Alpha.One@Example.com', { externalId: 'ext-AAA', title: 'Lead', name: { givenName: 'Alpha', familyName: 'One' } }],
  ['alpha.two@example.com', { externalId: 'ext-bbb', name: { givenName: 'Alpha', familyName: 'Two' } }],
  [
    'Beta.Three@Example.com',
    {
      name: { givenName: 'Beta', familyName: 'Three' },
      emails: [
        { value: 'beta.work@example.com', type: 'work', primary: true },
        { value: 'beta.home@example.org', type: 'home' },
      ],
    },
  ],
  ['gamma.four@example.com', { title: 'Analyst', name: { givenName: 'Gamma', familyName: 'Four' } }],
];

beforeEach(async () => {
  t = await buildTestApp();
  ids = {};
  for (const [userName, extra] of people) ids[userName] = await createUser(t, userName, extra);
});

afterEach(async () => {
  await t.close();
});

const list = async (path: string) => {
  const answer = await t.request('GET', path);
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
};
const idsOf = (body: { Resources: Array<{ id: string }> }) => body.Resources.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
const usersWhere = async (filter: string) => idsOf(await list(`/Users?${filterQuery(filter)}`));
const sortedIds = (...userNames: string[]) => userNames.map((n) => ids[n]).sort((a, b) => Number(a) - Number(b));

describe('userName equality', () => {
  it('finds a user with the filter spaces encoded as %20 (Okta)', async () => {
    const body = await list('/Users?filter=userName%20eq%20%22Alpha.One%40Example.com%22&startIndex=1&count=100');
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0].id).toBe(ids['Alpha.One@Example.com']);
  });

  it('finds a user with the filter spaces encoded as + and raw quotes (Entra)', async () => {
    const body = await list('/Users?filter=userName+eq+"alpha.two%40example.com"');
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0].id).toBe(ids['alpha.two@example.com']);
  });

  it('matches case-insensitively and returns the userName in its original case', async () => {
    const body = await list(`/Users?${filterQuery('userName eq "ALPHA.ONE@EXAMPLE.COM"')}`);
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0].userName).toBe('Alpha.One@Example.com');
  });

  it('finds a person made directly in Metabase by userName eq their email, so Okta can link instead of creating', async () => {
    const seeded = t.double.seed.user({ email: 'made.in.metabase@example.com', first_name: 'Made', last_name: 'There' });
    const body = await list(`/Users?${filterQuery('userName eq "Made.In.Metabase@example.com"')}`);
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]).toMatchObject({
      id: String(seeded.id),
      userName: 'made.in.metabase@example.com',
      name: { givenName: 'Made', familyName: 'There' },
    });
  });

  it('answers no match with 200, totalResults 0 and an empty Resources array', async () => {
    const answer = await t.request('GET', `/Users?${filterQuery('userName eq "5f0c8f7e-3a43-4a6e-9b0e-000000000000"')}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });
});

describe('other indexed equalities', () => {
  it('finds by externalId, case-exactly', async () => {
    expect(await usersWhere('externalId eq "ext-AAA"')).toEqual([ids['Alpha.One@Example.com']]);
    expect(await usersWhere('externalId eq "ext-aaa"')).toEqual([]);
  });

  it('finds by id, and an unknown or non-numeric id matches nobody', async () => {
    const id = ids['gamma.four@example.com'];
    expect(await usersWhere(`id eq "${id}"`)).toEqual([id]);
    expect(await usersWhere('id eq "99999"')).toEqual([]);
    expect(await usersWhere('id eq "abc"')).toEqual([]);
  });

  it('finds by emails[type eq "work"].value, and not by a home address', async () => {
    expect(await usersWhere('emails[type eq "work"].value eq "beta.work@example.com"')).toEqual([ids['Beta.Three@Example.com']]);
    expect(await usersWhere('emails[type eq "work"].value eq "beta.home@example.org"')).toEqual([]);
  });

  it('finds a user by a secondary email that only bi-scim stores with emails.value eq', async () => {
    expect(await usersWhere('emails.value eq "beta.home@example.org"')).toEqual([ids['Beta.Three@Example.com']]);
    expect(await usersWhere('emails[type eq "home"].value eq "beta.home@example.org"')).toEqual([ids['Beta.Three@Example.com']]);
  });

  it('finds groups by displayName case-insensitively, returning the stored case', async () => {
    const id = await createGroup(t, 'Data Team');
    const body = await list(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "DATA team"')}`);
    expect(idsOf(body)).toEqual([id]);
    expect(body.Resources[0].displayName).toBe('Data Team');
    expect(body.Resources[0]).not.toHaveProperty('members');
  });

  it('finds the groups of a member with members eq "id"', async () => {
    const member = ids['alpha.two@example.com'];
    const inGroup = await createGroup(t, 'Has Member', [member]);
    await createGroup(t, 'Without Member', [ids['gamma.four@example.com']]);
    const body = await list(`/Groups?excludedAttributes=members&${filterQuery(`members eq "${member}"`)}`);
    expect(idsOf(body)).toEqual([inGroup]);
    expect(body.Resources[0]).not.toHaveProperty('members');
  });

  it('answers Entra\'s membership check id eq "g" and members[value eq "u"] without members', async () => {
    const [member, outsider] = [ids['alpha.two@example.com'], ids['gamma.four@example.com']];
    const groupId = await createGroup(t, 'Checked', [member]);
    const query = (user: string) => `/Groups?excludedAttributes=members&${filterQuery(`id eq "${groupId}" and members[value eq "${user}"]`)}`;
    const hit = await list(query(member));
    expect(idsOf(hit)).toEqual([groupId]);
    expect(hit.Resources[0]).not.toHaveProperty('members');
    expect((await list(query(outsider))).totalResults).toBe(0);
  });
});

describe('evaluated filters', () => {
  it('combines and, or and not', async () => {
    expect(await usersWhere('userName sw "alpha" and title pr')).toEqual(sortedIds('Alpha.One@Example.com'));
    expect(await usersWhere('userName eq "alpha.two@example.com" or userName eq "gamma.four@example.com"')).toEqual(
      sortedIds('alpha.two@example.com', 'gamma.four@example.com'),
    );
    expect(await usersWhere('userName sw "alpha" and not (externalId eq "ext-bbb")')).toEqual(sortedIds('Alpha.One@Example.com'));
  });

  it('supports co, sw and pr', async () => {
    expect(await usersWhere('userName co "THREE"')).toEqual(sortedIds('Beta.Three@Example.com'));
    expect(await usersWhere('name.familyName sw "t"')).toEqual(sortedIds('alpha.two@example.com', 'Beta.Three@Example.com'));
    expect(await usersWhere('title pr')).toEqual(sortedIds('Alpha.One@Example.com', 'gamma.four@example.com'));
  });

  it('filters on active, inactive people included', async () => {
    const id = ids['gamma.four@example.com'];
    await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
    expect(await usersWhere('active eq false')).toEqual([id]);
    expect(await usersWhere('active eq true and userName sw "gamma"')).toEqual([]);
  });
});

describe('paging', () => {
  it('pages with startIndex and count, stable across pages, with a correct totalResults', async () => {
    for (let i = 0; i < 6; i++) await createUser(t, `pager${i}@example.com`);
    const all = await list('/Users?startIndex=1&count=1000');
    const seen: string[] = [];
    for (let start = 1; start <= all.totalResults; start += 3) {
      const page = await list(`/Users?startIndex=${start}&count=3`);
      expect(page.totalResults).toBe(all.totalResults);
      expect(page.startIndex).toBe(start);
      expect(page.itemsPerPage).toBe(page.Resources.length);
      seen.push(...page.Resources.map((r: { id: string }) => r.id));
    }
    expect(seen).toEqual(all.Resources.map((r: { id: string }) => r.id));
    expect(new Set(seen).size).toBe(all.totalResults);
    expect(all.totalResults).toBe(people.length + 6 + 1);
  });

  it('pages groups the same way', async () => {
    for (let i = 0; i < 5; i++) await createGroup(t, `Paged Group ${i}`);
    const first = await list('/Groups?startIndex=1&count=2&excludedAttributes=members');
    const second = await list('/Groups?startIndex=3&count=2&excludedAttributes=members');
    const third = await list('/Groups?startIndex=5&count=2&excludedAttributes=members');
    expect([first, second, third].map((p) => p.totalResults)).toEqual([5, 5, 5]);
    const names = [first, second, third].flatMap((p) => p.Resources.map((g: { displayName: string }) => g.displayName));
    expect(names.sort()).toEqual(['Paged Group 0', 'Paged Group 1', 'Paged Group 2', 'Paged Group 3', 'Paged Group 4']);
  });

  it('answers itemsPerPage, startIndex and totalResults as JSON integers', async () => {
    const answer = await t.request('GET', '/Users?startIndex=2&count=2');
    expect(answer.text).toMatch(/"totalResults":\d+/);
    expect(answer.text).toMatch(/"startIndex":2[,}]/);
    expect(answer.text).toMatch(/"itemsPerPage":2[,}]/);
    for (const key of ['totalResults', 'startIndex', 'itemsPerPage']) expect(Number.isInteger(answer.body[key])).toBe(true);
  });

  it('answers count=0 with the total and no resources', async () => {
    const body = await list('/Users?count=0');
    expect(body.totalResults).toBe(people.length + 1);
    expect(body.Resources).toEqual([]);
    expect(body.itemsPerPage).toBe(0);
    const filtered = await list(`/Users?count=0&${filterQuery('userName sw "alpha"')}`);
    expect(filtered).toMatchObject({ totalResults: 2, itemsPerPage: 0, Resources: [] });
  });

  it('clamps startIndex below 1 to 1', async () => {
    const body = await list('/Users?startIndex=0&count=2');
    expect(body.startIndex).toBe(1);
    expect(body.Resources).toHaveLength(2);
  });
});

describe('sorting and projection', () => {
  it('sorts by userName descending, case-insensitively', async () => {
    const body = await list('/Users?sortBy=userName&sortOrder=descending');
    const names = body.Resources.map((r: { userName: string }) => r.userName);
    expect(names).toEqual([...names].sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase())));
    expect(names[0]).toBe('gamma.four@example.com');
    expect(body.totalResults).toBe(people.length + 1);
  });

  it('returns only id, schemas and userName with attributes=userName', async () => {
    const body = await list('/Users?attributes=userName');
    for (const resource of body.Resources) {
      expect(Object.keys(resource).sort()).toEqual(['id', 'schemas', 'userName']);
    }
  });

  it('drops emails but keeps the rest with excludedAttributes=emails', async () => {
    const id = ids['Beta.Three@Example.com'];
    const listed = await list(`/Users?excludedAttributes=emails&${filterQuery(`id eq "${id}"`)}`);
    expect(listed.Resources[0]).not.toHaveProperty('emails');
    expect(listed.Resources[0]).toMatchObject({ id, userName: 'Beta.Three@Example.com', name: { givenName: 'Beta' } });
    const single = await t.request('GET', `/Users/${id}?excludedAttributes=emails`);
    expect(single.body).not.toHaveProperty('emails');
    expect(single.body.userName).toBe('Beta.Three@Example.com');
  });
});

describe('POST .search', () => {
  it('searches Users with a SearchRequest body', async () => {
    const answer = await t.request('POST', '/Users/.search', searchBody({ filter: 'userName sw "alpha"', attributes: ['userName'], startIndex: 1, count: 10 }));
    expect(answer.status).toBe(200);
    expect(answer.body.totalResults).toBe(2);
    expect(answer.body.Resources.map((r: { userName: string }) => r.userName).sort()).toEqual(['Alpha.One@Example.com', 'alpha.two@example.com']);
    expect(Object.keys(answer.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
  });

  it('searches Groups with a SearchRequest body', async () => {
    const id = await createGroup(t, 'Searched Group');
    await createGroup(t, 'Other Group');
    const answer = await t.request('POST', '/Groups/.search', searchBody({ filter: 'displayName eq "searched group"', excludedAttributes: ['members'] }));
    expect(answer.status).toBe(200);
    expect(idsOf(answer.body)).toEqual([id]);
  });

  it('searches Users and Groups together on the root .search', async () => {
    const groupId = await createGroup(t, 'Alpha Group');
    const answer = await t.request('POST', '/.search', searchBody({ filter: 'userName sw "alpha" or displayName sw "alpha"' }));
    expect(answer.status).toBe(200);
    const found = answer.body.Resources.map((r: { id: string; meta: { resourceType: string } }) => `${r.meta.resourceType}:${r.id}`).sort();
    expect(found).toEqual([`Group:${groupId}`, `User:${ids['Alpha.One@Example.com']}`, `User:${ids['alpha.two@example.com']}`].sort());
    expect(answer.body.totalResults).toBe(3);
  });

  it('pages the root .search across Users then Groups, each side asked only for its part of the window', async () => {
    const groupId = await createGroup(t, 'Alpha Paged');
    const filter = 'userName sw "alpha" or displayName sw "alpha"';
    const page = async (startIndex: number) => (await t.request('POST', '/.search', searchBody({ filter, startIndex, count: 1 }))).body;
    const pages = [await page(1), await page(2), await page(3), await page(4)];
    expect(pages.map((b) => b.totalResults)).toEqual([3, 3, 3, 3]);
    expect(pages.map((b) => b.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType))).toEqual([['User'], ['User'], ['Group'], []]);
    expect(pages[2].Resources[0].id).toBe(groupId);
    expect(new Set(pages.slice(0, 2).map((b) => b.Resources[0].id))).toEqual(new Set([ids['Alpha.One@Example.com'], ids['alpha.two@example.com']]));
  });

  it('refuses a search body without the SearchRequest schema', async () => {
    const answer = await t.request('POST', '/Users/.search', { filter: 'userName sw "alpha"' });
    expect(answer.status).toBe(400);
    expect(answer.body.scimType).toBe('invalidSyntax');
  });
});
