// The replay runner's own parts (templating, subset matching, capture, state checks) and the IdP fixtures' fidelity.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureVars,
  headerMismatches,
  listFixtures,
  loadFixture,
  lookupPath,
  matchSubset,
  parseFixture,
  placeholdersIn,
  renderTemplate,
  replayFixture,
  stateMismatches,
  uniqueVars,
  type Fixture,
  type FixtureStep,
  type NeutralState,
} from './replay.ts';

describe('renderTemplate', () => {
  it('substitutes variables in nested strings and leaves keys and other values alone', () => {
    const rendered = renderTemplate({ '{{a}}': ['x {{a}} y', { deep: '{{ b }}' }], n: 3, t: true, z: null }, { a: 'A', b: 'B' });
    expect(rendered).toEqual({ '{{a}}': ['x A y', { deep: 'B' }], n: 3, t: true, z: null });
  });

  it('encodes for Okta query strings with uri and for Entra ones with form', () => {
    const vars = { name: 'Finance & Planning', email: 'a.b@x.example' };
    expect(renderTemplate('%22{{name|uri}}%22 {{email|uri}}', vars)).toBe('%22Finance%20%26%20Planning%22 a.b%40x.example');
    expect(renderTemplate('"{{name|form}}"', vars)).toBe('"Finance+%26+Planning"');
  });

  it('makes a fresh GUID at every {{$uuid}} and an Okta-style password at every {{$random}}', () => {
    const [first, second] = renderTemplate(['{{$uuid}}', '{{$uuid}}'], {});
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
    expect(renderTemplate('{{$random}}', {})).toMatch(/^[a-z0-9]{8}$/);
  });

  it('prefers a run variable over a generated one of the same name', () => {
    expect(renderTemplate('{{$uuid}}', { $uuid: 'fixed' })).toBe('fixed');
  });

  it('refuses unknown variables and encodings by name', () => {
    expect(() => renderTemplate({ path: '/Users/{{missingId}}' }, {})).toThrow('{{missingId}}');
    expect(() => renderTemplate('{{a|base64}}', { a: 'x' })).toThrow('"base64"');
    expect(() => renderTemplate('{{a b}}', { a: 'x' })).toThrow('Malformed placeholder {{a b}}');
  });

  it('lists the variables a value refers to, in order', () => {
    expect(placeholdersIn({ p: '/Groups/{{gid}}?x={{name|form}}', b: [{ v: '{{uid}}' }] })).toEqual(['gid', 'name', 'uid']);
  });
});

describe('lookupPath', () => {
  const body = {
    id: '7',
    Resources: [{ id: 'a' }, { id: 'b' }],
    nothing: null,
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: '3' } },
  };

  it.each([
    ['id', '7'],
    ['Resources.1.id', 'b'],
    ['nothing', null],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value', '3'],
  ])('reads %s', (path, value) => {
    expect(lookupPath(body, path)).toEqual({ found: true, value });
  });

  it.each(['members', 'Resources.2.id', 'Resources.length', 'id.x', 'urn:ietf:params:scim:schemas:extension:enterprise:2'])('finds nothing at %s', (path) => {
    expect(lookupPath(body, path).found).toBe(false);
  });
});

describe('matchSubset', () => {
  it('accepts extra keys and matches listed ones recursively', () => {
    expect(matchSubset({ id: '1', name: { givenName: 'A', familyName: 'B' }, x: 1 }, { name: { givenName: 'A' } })).toEqual([]);
  });

  it('names the path of every difference', () => {
    expect(matchSubset({ name: { givenName: 'A' }, active: 'true' }, { name: { givenName: 'B' }, active: true, id: '1' })).toEqual([
      'body.name.givenName: expected "B", got "A"',
      'body.active: expected true, got "true"',
      'body.id: missing',
    ]);
  });

  it('requires arrays of the same length, matched element by element', () => {
    expect(matchSubset([{ v: 1, w: 2 }], [{ v: 1 }])).toEqual([]);
    expect(matchSubset([{ v: 1 }, { v: 2 }], [{ v: 1 }])[0]).toMatch(/^body: expected 1 elements, got 2/);
    expect(matchSubset([{ v: 2 }], [{ v: 1 }])).toEqual(['body[0].v: expected 1, got 2']);
  });

  it('$contains finds each listed element anywhere in the array', () => {
    const actual = [{ id: 'a', n: 1 }, { id: 'b' }, { id: 'c' }];
    expect(matchSubset(actual, { $contains: [{ id: 'c' }, { id: 'a', n: 1 }] })).toEqual([]);
    expect(matchSubset(actual, { $contains: [{ id: 'd' }] })[0]).toMatch(/^body: no element matches \{"id":"d"\}/);
    expect(matchSubset({ id: 'a' }, { $contains: [] })[0]).toMatch(/expected an array/);
  });

  it('$type checks the JSON type, integers apart', () => {
    expect(
      matchSubset(
        { n: 3, s: 'x', a: [], o: {}, z: null },
        { n: { $type: 'integer' }, s: { $type: 'string' }, a: { $type: 'array' }, o: { $type: 'object' }, z: { $type: 'null' } },
      ),
    ).toEqual([]);
    expect(matchSubset({ n: 1.5 }, { n: { $type: 'integer' } })).toEqual(['body.n: expected a integer, got 1.5']);
    expect(matchSubset({ n: '3' }, { n: { $type: 'number' } })).toEqual(['body.n: expected a number, got "3"']);
    expect(() => matchSubset(1, { $type: 'date' })).toThrow('unknown $type');
  });

  it('treats SCIM keys that start with $ as ordinary keys', () => {
    expect(matchSubset({ $ref: 'u', value: '1' }, { $ref: 'u' })).toEqual([]);
    expect(matchSubset({ $ref: 'u' }, { $ref: 'v' })).toEqual(['body.$ref: expected "v", got "u"']);
  });
});

describe('headerMismatches', () => {
  const headers = new Headers({ 'Content-Type': 'application/scim+json; charset=utf-8', Location: 'http://h/Users/1' });

  it('matches names case-insensitively and media types up to their parameters', () => {
    expect(headerMismatches(headers, { 'content-type': 'application/scim+json', location: 'http://h/Users/1' })).toEqual([]);
  });

  it('reports a different media type and a missing header', () => {
    expect(headerMismatches(headers, { 'Content-Type': 'application/scim' })).toEqual([
      'header Content-Type: expected "application/scim", got "application/scim+json; charset=utf-8"',
    ]);
    expect(headerMismatches(headers, { Etag: 'W/"1"' })).toEqual(['header Etag: expected "W/\\"1\\"", got nothing']);
  });
});

describe('captureVars', () => {
  it('captures strings and stringifies numbers', () => {
    expect(captureVars({ id: 'u1', Resources: [{ id: 42 }] }, { userId: 'id', firstId: 'Resources.0.id' })).toEqual({ userId: 'u1', firstId: '42' });
  });

  it('fails naming the variable when the path holds nothing usable', () => {
    expect(() => captureVars({ id: 'u1' }, { groupId: 'Resources.0.id' })).toThrow('capture groupId');
    expect(() => captureVars({ id: { value: 1 } }, { userId: 'id' })).toThrow('capture userId');
    expect(() => captureVars(undefined, { userId: 'id' })).toThrow('capture userId');
  });
});

describe('stateMismatches', () => {
  const state: NeutralState = {
    users: [
      { email: 'Jordan.Lee@x.example', active: false, firstName: 'Jordan', lastName: null, groups: ['Finance', 'Marketing'] },
      { email: 'priya@x.example', active: true, firstName: 'Priya', lastName: 'N', groups: [] },
    ],
    groups: [
      { name: 'Finance', members: ['jordan.lee@x.example'] },
      { name: 'Marketing', members: ['Jordan.Lee@x.example', 'priya@x.example'] },
    ],
  };

  it('accepts a matching state, emails compared case-insensitively and sets in any order', () => {
    expect(
      stateMismatches(state, {
        users: [{ email: 'jordan.lee@X.example', active: false, lastName: null, groups: ['Marketing', 'Finance'] }],
        groups: [{ name: 'Marketing', members: ['priya@x.example', 'jordan.lee@x.example'] }],
        absentUsers: ['old@x.example'],
        absentGroups: ['Sales'],
      }),
    ).toEqual([]);
  });

  it('reports every difference', () => {
    expect(
      stateMismatches(state, {
        users: [{ email: 'priya@x.example', active: false, firstName: 'Priyanka', groups: ['Finance'] }, { email: 'sam@x.example' }],
        groups: [{ name: 'Finance', members: [] }, { name: 'finance' }],
        absentUsers: ['PRIYA@x.example'],
        absentGroups: ['Marketing'],
      }),
    ).toEqual([
      'user priya@x.example: active is true, expected false',
      'user priya@x.example: firstName is "Priya", expected "Priyanka"',
      'user priya@x.example: groups are [], expected ["Finance"]',
      'user sam@x.example: missing',
      'group Finance: members are ["jordan.lee@x.example"], expected []',
      'group finance: missing',
      'user PRIYA@x.example: should not exist',
      'group Marketing: should not exist',
    ]);
  });

  it('treats a subset of groups as a difference', () => {
    expect(
      stateMismatches(state, {
        users: [
          { email: 'priya@x.example', groups: [] },
          { email: 'jordan.lee@x.example', groups: ['Finance'] },
        ],
      }),
    ).toEqual(['user jordan.lee@x.example: groups are ["Finance","Marketing"], expected ["Finance"]']);
  });
});

describe('uniqueVars', () => {
  const fixture = parseFixture(
    {
      name: 'n',
      source: 's',
      vars: { email: 'jordan.lee@x.example', group: 'Finance Analysts', oktaId: '00u8k2' },
      steps: [{ name: 's', request: { method: 'GET', path: '/Users' }, expect: { status: 200 } }],
    },
    'demo',
  );

  it('tags emails before the @ and every other value at the end', () => {
    expect(uniqueVars(fixture, 'r7')).toEqual({ email: 'jordan.lee.r7@x.example', group: 'Finance Analysts-r7', oktaId: '00u8k2-r7' });
  });

  it('refuses tags that would need encoding', () => {
    expect(() => uniqueVars(fixture, 'run 2')).toThrow('lower-case letters and digits');
  });
});

describe('parseFixture', () => {
  const minimal = { name: 'n', source: 'idp-behaviour.md §1.3', steps: [{ name: 's', request: { method: 'GET', path: '/Users' }, expect: { status: 200 } }] };

  it('accepts a minimal fixture and remembers its id', () => {
    expect(parseFixture(minimal, 'demo').id).toBe('demo');
  });

  it('refuses misspelt keys, relative paths and unknown methods', () => {
    const step = minimal.steps[0];
    expect(() => parseFixture({ ...minimal, steps: [{ ...step, expcet: {} }] }, 'demo')).toThrow('Fixture demo is invalid');
    expect(() => parseFixture({ ...minimal, steps: [{ ...step, request: { method: 'GET', path: 'Users' } }] }, 'demo')).toThrow('invalid');
    expect(() => parseFixture({ ...minimal, steps: [{ ...step, request: { method: 'HEAD', path: '/Users' } }] }, 'demo')).toThrow('invalid');
  });

  it('refuses fixture names that are not bare file names', () => {
    expect(() => loadFixture('../support/replay')).toThrow('bare file name');
  });
});

function operations(step: FixtureStep): Array<{ op: string; path?: string; value?: unknown }> {
  return ((step.request.body as { Operations?: [] } | undefined)?.Operations ?? []) as Array<{ op: string; path?: string; value?: unknown }>;
}

const writes = (f: Fixture, method: string, path: string) => f.steps.filter((s) => s.request.method === method && s.request.path === path);

describe('IdP fixtures', () => {
  it('cover both dialects of both IdPs', () => {
    expect(listFixtures()).toEqual(expect.arrayContaining(['okta-catalog', 'okta-wizard', 'entra-default', 'entra-aadoptscim062020']));
  });

  describe.each(listFixtures())('%s', (name) => {
    const fixture = loadFixture(name);

    it('cites the sections of idp-behaviour.md it follows', () => {
      expect(fixture.source).toMatch(/idp-behaviour\.md §\d/);
    });

    it('uses only variables it defines or an earlier step captured', () => {
      const known = new Set(['$uuid', '$random', '$baseUrl', ...Object.keys(fixture.vars ?? {})]);
      for (const step of fixture.steps) {
        const used = placeholdersIn([step.request, step.expect]);
        expect(
          used.filter((v) => !known.has(v)),
          step.name,
        ).toEqual([]);
        Object.keys(step.capture ?? {}).forEach((v) => known.add(v));
        expect(
          placeholdersIn(step.state ?? {}).filter((v) => !known.has(v)),
          step.name,
        ).toEqual([]);
      }
    });

    it('provisions two people and two groups and checks them in the BI tool', () => {
      expect(writes(fixture, 'POST', '/Users').length).toBeGreaterThanOrEqual(2);
      expect(writes(fixture, 'POST', '/Groups').length).toBeGreaterThanOrEqual(2);
      const states = fixture.steps.flatMap((s) => (s.state ? [s.state] : []));
      expect(new Set(states.flatMap((s) => (s.users ?? []).map((u) => u.email))).size).toBeGreaterThanOrEqual(2);
      expect(new Set(states.flatMap((s) => (s.groups ?? []).map((g) => g.name))).size).toBeGreaterThanOrEqual(2);
    });

    it('looks a user up by filter before creating them', () => {
      fixture.steps.forEach((step, i) => {
        if (step.request.method !== 'POST' || step.request.path !== '/Users') return;
        expect(fixture.steps[i - 1].request.path, step.name).toMatch(/^\/Users\?filter=userName(%20|\+)eq/);
      });
    });

    it('covers an email change, a group rename, member removal and reactivation under the same id', () => {
      const states = fixture.steps.flatMap((s) => (s.state ? [s.state] : []));
      expect(states.some((s) => (s.absentUsers ?? []).length > 0)).toBe(true);
      expect(states.some((s) => (s.absentGroups ?? []).length > 0)).toBe(true);
      const deactivated = fixture.steps.findIndex((s) => s.state?.users?.some((u) => u.active === false));
      expect(deactivated).toBeGreaterThan(0);
      const email = fixture.steps[deactivated].state!.users!.find((u) => u.active === false)!.email;
      const reactivation = fixture.steps
        .slice(deactivated + 1)
        .find(
          (s) => s.state?.users?.some((u) => u.email === email && u.active === true) && /^\{\{\w+\}\}$/.test(String((s.expect.body as { id?: unknown })?.id)),
        );
      expect(reactivation, 'a later step reactivates and expects the captured id').toBeDefined();
    });
  });

  it('Okta requests carry Okta headers, POST as application/json and encode spaces as %20', () => {
    for (const fixture of [loadFixture('okta-catalog'), loadFixture('okta-wizard')]) {
      expect(fixture.headers).toMatchObject({ 'User-Agent': 'Okta SCIM Client 1.0.0', Accept: 'application/scim+json' });
      fixture.steps.filter((s) => s.request.method === 'POST').forEach((s) => expect(s.request.headers?.['Content-Type'], s.name).toBe('application/json'));
      fixture.steps
        .filter((s) => s.request.path.includes('filter='))
        .forEach((s) => expect(s.request.path, s.name).toMatch(/filter=\w+%20eq%20%22[^ +]+%22&startIndex=1&count=100$/));
    }
  });

  it('Okta catalog deactivates with a path-less PATCH and renames with id inside the value', () => {
    const ops = loadFixture('okta-catalog').steps.flatMap(operations);
    expect(ops).toContainEqual({ op: 'replace', value: { active: false } });
    expect(ops.some((o) => o.op === 'replace' && !o.path && 'id' in (o.value as object) && 'displayName' in (o.value as object))).toBe(true);
    expect(ops.some((o) => o.op === 'replace' && o.path === 'members')).toBe(true);
  });

  it('Okta wizard never PATCHes: deactivation and membership are full PUTs', () => {
    const steps = loadFixture('okta-wizard').steps;
    expect(steps.some((s) => s.request.method === 'PATCH')).toBe(false);
    expect(steps.some((s) => s.request.method === 'PUT' && (s.request.body as { active?: unknown }).active === false)).toBe(true);
    expect(steps.some((s) => s.request.method === 'PUT' && Array.isArray((s.request.body as { members?: unknown }).members))).toBe(true);
  });

  it('Entra encodes spaces as + and always asks groups without members', () => {
    for (const fixture of [loadFixture('entra-default'), loadFixture('entra-aadoptscim062020')]) {
      fixture.steps.filter((s) => s.request.path.includes('filter=')).forEach((s) => expect(s.request.path, s.name).not.toMatch(/%20| /));
      fixture.steps
        .filter((s) => s.request.method === 'GET' && s.request.path.startsWith('/Groups'))
        .forEach((s) => expect(s.request.path, s.name).toContain('excludedAttributes=members'));
    }
  });

  it('Entra default sends capitalised ops, "False" strings, value-array removal and a bare manager path', () => {
    const ops = loadFixture('entra-default').steps.flatMap(operations);
    expect(ops.every((o) => /^[A-Z]/.test(o.op))).toBe(true);
    expect(ops).toContainEqual({ op: 'Replace', path: 'active', value: 'False' });
    expect(ops.some((o) => o.op === 'Remove' && o.path === 'members' && Array.isArray(o.value))).toBe(true);
    expect(ops.some((o) => o.path === 'manager' && Array.isArray(o.value))).toBe(true);
  });

  it('Entra default deletes a disabled user, which then answers 404 and is revived with the same id', () => {
    const steps = loadFixture('entra-default').steps;
    const del = steps.findIndex((s) => s.request.method === 'DELETE' && s.request.path.startsWith('/Users/'));
    expect(steps[del - 1].state?.users?.[0].active).toBe(false);
    expect(steps.slice(del + 1).some((s) => s.request.path === steps[del].request.path && s.expect.status === 404)).toBe(true);
    const revive = steps.slice(del + 1).find((s) => s.request.method === 'POST' && s.request.path === '/Users');
    expect((revive?.expect.body as { id?: string } | undefined)?.id).toBe(steps[del].request.path.slice('/Users/'.length));
  });

  it('aadOptscim062020 sends lower-case ops, booleans, dotted keys in path-less values and members[value eq] removal', () => {
    const ops = loadFixture('entra-aadoptscim062020').steps.flatMap(operations);
    expect(ops.every((o) => /^[a-z]+$/.test(o.op))).toBe(true);
    expect(ops.filter((o) => o.path === 'active').map((o) => typeof o.value)).toEqual(['boolean', 'boolean']);
    expect(ops.some((o) => !o.path && Object.keys(o.value as object).includes('name.givenName'))).toBe(true);
    expect(ops.some((o) => o.op === 'remove' && /^members\[value eq "\{\{\w+\}\}"\]$/.test(o.path ?? ''))).toBe(true);
  });
});

describe('replayFixture', () => {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const created = req.method === 'POST';
        const known = req.url === '/scim/v2/Users' || req.url === '/scim/v2/Users/u-42';
        res.writeHead(created ? 201 : known ? 200 : 404, { 'content-type': 'application/scim+json; charset=utf-8' });
        res.end(JSON.stringify(known ? { id: 'u-42', userName: 'ann@x.example', active: true } : { status: '404', detail: 'not here' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const fixture = (steps: unknown[]): Fixture =>
    parseFixture(
      { name: 'Demo', source: 'idp-behaviour.md §1.3', headers: { 'User-Agent': 'Okta SCIM Client 1.0.0' }, vars: { email: 'ann@x.example' }, steps },
      'demo',
    );
  const create = {
    name: 'create',
    request: { method: 'POST', path: '/Users', body: { userName: '{{email}}', password: '{{$random}}' } },
    expect: { status: 201, body: { userName: '{{email}}' }, headers: { 'Content-Type': 'application/scim+json' } },
    capture: { annId: 'id' },
  };
  const readState = async (): Promise<NeutralState> => ({
    users: [{ email: 'ANN@x.example', active: true, firstName: null, lastName: null, groups: [] }],
    groups: [],
  });

  it('sends templated requests with the token and fixture headers, captures ids and checks state', async () => {
    seen.length = 0;
    const read = {
      name: 'read',
      request: { method: 'GET', path: '/Users/{{annId}}' },
      expect: { status: 200, body: { id: '{{annId}}' } },
      state: { users: [{ email: '{{email}}', active: true }] },
    };
    const { vars } = await replayFixture(fixture([create, read]), { baseUrl, token: 's3cret', readState });
    expect(vars).toEqual({ email: 'ann@x.example', annId: 'u-42' });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /scim/v2/Users', 'GET /scim/v2/Users/u-42']);
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer s3cret', 'user-agent': 'Okta SCIM Client 1.0.0', 'content-type': 'application/scim+json' });
    expect(JSON.parse(seen[0].body).password).toMatch(/^[a-z0-9]{8}$/);
    expect(seen[1].headers['content-type']).toBeUndefined();
  });

  it('fails naming the fixture, the step and both statuses, and shows the body', async () => {
    const missing = { name: 'read a stranger', request: { method: 'GET', path: '/Users/nobody' }, expect: { status: 200 } };
    await expect(replayFixture(fixture([missing]), { baseUrl, token: 't', readState })).rejects.toThrow(
      /demo › read a stranger: expected status 200, got 404\nGET \/Users\/nobody → 404\n\{"status":"404","detail":"not here"\}/,
    );
  });

  it('fails naming the step when the BI state differs', async () => {
    const stale = { ...create, state: { users: [{ email: '{{email}}', active: false }] } };
    await expect(replayFixture(fixture([stale]), { baseUrl, token: 't', readState })).rejects.toThrow(
      /demo › create: the BI tool's state differs from the expectation:\n {2}- user ann@x\.example: active is true, expected false/,
    );
  });

  it('lets a run override the fixture variables', async () => {
    const wrongName = { ...create, capture: undefined };
    await expect(replayFixture(fixture([wrongName]), { baseUrl, token: 't', readState, vars: { email: 'bob@x.example' } })).rejects.toThrow(
      /demo › create: the response differs from the expectation:\n {2}- body\.userName: expected "bob@x\.example", got "ann@x\.example"/,
    );
  });
});
