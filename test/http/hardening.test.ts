// Odd input and abuse at the edge: trailing slashes, 405 with Allow, ill-formed Unicode, size and nesting caps,
// duplicate members, BI internals kept out of answers, per-token rate limits, forwarded headers only when trusted.
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientErrors } from '../../src/http/client-errors.ts';
import { serve } from '@hono/node-server';
import { Client } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createGroup,
  createUser,
  expectScimError,
  filterQuery,
  groupBody,
  patchBody,
  searchBody,
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

describe('routes', () => {
  it("accepts a trailing slash on every route, as Microsoft's validator sends it", async () => {
    const id = await createUser(t, 'slash@example.com');
    expect((await t.request('GET', `/Users/?${filterQuery('userName eq "slash@example.com"')}`)).body.totalResults).toBe(1);
    expect((await t.request('GET', `/Users/${id}/`)).status).toBe(200);
    expect((await t.request('GET', '/Groups/')).status).toBe(200);
    expect((await t.request('GET', '/ServiceProviderConfig/')).status).toBe(200);
    expect((await t.request('GET', '/Schemas/')).status).toBe(200);
  });

  it.each([
    ['PUT', '/ServiceProviderConfig', 'GET'],
    ['POST', '/Schemas', 'GET'],
    ['DELETE', '/ResourceTypes/User', 'GET'],
    ['PUT', '/Users', 'GET, POST'],
    ['DELETE', '/Groups', 'GET, POST'],
    ['POST', '/Users/42', 'GET, PUT, PATCH, DELETE'],
  ])('answers %s %s with 405 and Allow: %s (RFC 9110 §15.5.6)', async (method, path, allow) => {
    const answer = await t.request(method, path, method === 'DELETE' ? undefined : {});
    expectScimError(answer, 405);
    expect(answer.headers.get('allow')).toBe(allow);
  });
});

describe('ill-formed input', () => {
  it('refuses an unpaired surrogate anywhere in a body with 400, and writes nothing', async () => {
    for (const body of [userBody('u@example.com', { externalId: 'x\ud800' }), userBody('\ud800@x.io'), { ...userBody('k@example.com'), '\udc00': 'v' }]) {
      const answer = await t.request('POST', '/Users', JSON.stringify(body));
      expectScimError(answer, 400, 'invalidSyntax');
    }
    expect(t.double.state.users().filter((u) => ['u@example.com', 'k@example.com'].includes(u.email) || u.email.endsWith('x.io'))).toHaveLength(0);
  });

  it('refuses a filter whose percent-encoding is not UTF-8 with 400', async () => {
    expectScimError(await t.request('GET', `/Users?filter=${encodeURIComponent('userName eq "')}%ED%A0%80%22`), 400);
  });

  it('refuses JSON nested deeper than any SCIM resource with 400, not a stack overflow', async () => {
    const id = await createUser(t, 'deep@example.com');
    const deep = `${'{"a":'.repeat(8000)}1${'}'.repeat(8000)}`;
    const answer = await t.request(
      'PATCH',
      `/Users/${id}`,
      `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":${deep}}]}`,
    );
    expectScimError(answer, 400, 'invalidSyntax');
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(200);
  });
});

describe('request size caps', () => {
  it('refuses more PATCH operations than advertised with 413', async () => {
    const id = await createUser(t, 'ops@example.com');
    const operations = Array.from({ length: 1001 }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` }));
    const answer = await t.request('PATCH', `/Users/${id}`, patchBody(...operations));
    expectScimError(answer, 413);
    expect(answer.body.detail).toMatch(/1000 operations/);
  });

  it('refuses more than 100 values of one attribute, and more than 10,000 members in one request, with 413', async () => {
    const id = await createUser(t, 'many@example.com');
    const emails = Array.from({ length: 101 }, (_, i) => ({ value: `e${i}@example.com` }));
    expectScimError(await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: 'emails', value: emails })), 413);
    expectScimError(await t.request('PUT', `/Users/${id}`, userBody('many@example.com', { emails })), 413);
    const before = t.double.callCount();
    const members = Array.from({ length: 10_001 }, (_, i) => ({ value: String(1000 + i) }));
    expectScimError(await t.request('POST', '/Groups', groupBody('Crowd', [], { members })), 413);
    expect(t.double.callCount()).toBe(before);
  });

  it('stops at the first unknown member instead of checking every id, and names only a few of them', async () => {
    const group = await createGroup(t, 'Probed');
    const before = t.double.callCount();
    const members = Array.from({ length: 2000 }, (_, i) => ({ value: String(50_000 + i) }));
    const answer = await t.request('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: members }));
    expectScimError(answer, 400, 'invalidValue');
    expect(answer.text.length).toBeLessThan(500);
    expect(t.double.callCount() - before).toBeLessThan(30);
  });

  it('refuses an attributes list of more than 100 names with 400', async () => {
    const names = Array.from({ length: 101 }, (_, i) => `a${i}`).join(',');
    expectScimError(await t.request('GET', `/Users?attributes=${names}`), 400, 'invalidValue');
  });

  it('adds up to the cap of emails in one PATCH, skipping ones already there', async () => {
    const id = await createUser(t, 'linear@example.com');
    const emails = Array.from({ length: 99 }, (_, i) => ({ value: `x${i}@example.com`, type: 'other' }));
    const answer = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: 'emails', value: [...emails, ...emails] }));
    expect(answer.status).toBe(200);
    expect(answer.body.emails).toHaveLength(100);
  });
});

describe('members and BI failures', () => {
  it('creates a group with a member listed twice, adding them once', async () => {
    const user = await createUser(t, 'twice@example.com');
    const answer = await t.request('POST', '/Groups', groupBody('Twice', [user, user]));
    expect(answer.status).toBe(201);
    expect(answer.body.members.map((m: { value: string }) => m.value)).toEqual([user]);
  });

  it("never forwards the BI tool's internal error text, host or route in a 5xx", async () => {
    t.double.failNext({ method: 'GET', pathPrefix: '/api/user' }, 500);
    const answer = await t.request('GET', '/Users');
    expectScimError(answer, 502);
    expect(answer.body.detail).not.toMatch(/api\/user|127\.0\.0\.1|localhost|sql|exception|stack/i);
  });
});

describe('rate limits per token', () => {
  it('limits each token on its own, so requests without a valid token cannot starve the IdP', async () => {
    const limited = await buildTestApp({ rateLimitRps: 2, tokens: ['okta:okta-token'] });
    try {
      for (let i = 0; i < 20; i++) await limited.request('GET', '/Users', undefined, { authorization: 'Bearer wrong' });
      const idp = await limited.request('GET', '/Users', undefined, { authorization: 'Bearer okta-token' });
      expect(idp.status).toBe(200);
      const anonymous = await limited.request('GET', '/Users', undefined, { authorization: 'Bearer wrong' });
      expectScimError(anonymous, 429);
    } finally {
      await limited.close();
    }
  });
});

describe('locations', () => {
  it('ignores X-Forwarded-Host and -Proto unless the proxy is trusted', async () => {
    const headers = { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil.example' };
    const answer = await t.request('POST', '/Users', userBody('located@example.com'), headers);
    expect(answer.headers.get('location')).toMatch(/^http:\/\/localhost\/scim\/v2\/Users\//);
    expect(answer.body.meta.location).not.toContain('evil');
  });

  it('builds every location from BI_SCIM_PUBLIC_URL when it is set', async () => {
    const published = await buildTestApp({ publicUrl: 'https://scim.example.org/bi' });
    try {
      const answer = await published.request('POST', '/Users', userBody('public@example.com'), { 'x-forwarded-host': 'evil.example' });
      expect(answer.headers.get('location')).toBe(`https://scim.example.org/bi/scim/v2/Users/${answer.body.id}`);
    } finally {
      await published.close();
    }
  });
});

describe('discovery', () => {
  it('describes the ServiceProviderConfig, ResourceType and Schema schemas too, and Users as "User Account"', async () => {
    const ids = (await t.request('GET', '/Schemas')).body.Resources.map((s: { id: string }) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
        'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
        'urn:ietf:params:scim:schemas:core:2.0:Schema',
      ]),
    );
    expect((await t.request('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).body.description).toBe('User Account');
  });
});

describe('oversized bodies on a kept-alive connection', () => {
  it("answers 413 with Connection: close, so the client's next request goes out on a fresh connection and succeeds", async () => {
    const small = await buildTestApp({ maxBodyBytes: 64 * 1024 });
    const server = serve({ fetch: small.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { pipelining: 1 });
    const headers = { authorization: `Bearer ${small.token}`, 'content-type': 'application/scim+json' };
    try {
      const big = await client.request({
        method: 'POST',
        path: '/scim/v2/Users',
        headers,
        body: JSON.stringify(userBody('huge@example.com', { title: 'x'.repeat(2_500_000) })),
      });
      expect([big.statusCode, big.headers.connection]).toEqual([413, 'close']);
      await big.body.dump();
      const next = await client.request({ method: 'GET', path: '/scim/v2/Users?count=1', headers });
      expect(next.statusCode).toBe(200);
      await next.body.dump();
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
      await small.close();
    }
  });
});

describe('requests Node refuses before the app sees them', () => {
  it('answers a request line over 16 KiB with a SCIM 431, not a bare one', async () => {
    const server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
    answerClientErrors(server as Server);
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/Users?excludedAttributes=${'a'.repeat(20_000)}`, {
        headers: { authorization: `Bearer ${t.token}` },
      });
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(await res.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '431' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('found by fuzzing, over a socket', () => {
  it('answers a 1.4 MB request line sent in pieces with the whole SCIM 431, never a reset connection', async () => {
    const server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
    answerClientErrors(server as Server);
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const line = `GET /scim/v2/Groups?excludedAttributes=${'urn%3Aietf%3Aparams%2C'.repeat(64_000)} HTTP/1.1\r\nhost: x\r\n\r\n`;
    try {
      // Pieces keep arriving after the answer: closing on them would reset the connection and lose the answer.
      const { answer, error } = await new Promise<{ answer: string; error: string | null }>((resolve) => {
        // Half-open, as an HTTP client still sending its request: the server's FIN does not stop it.
        const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        const received: Buffer[] = [];
        let error: string | null = null;
        socket.on('data', (chunk) => received.push(chunk));
        socket.on('error', (err: NodeJS.ErrnoException) => void (error = err.code ?? err.message));
        socket.on('close', () => resolve({ answer: Buffer.concat(received).toString('utf8'), error }));
        socket.on('connect', async () => {
          for (let at = 0; at < line.length && !socket.destroyed; at += 64 * 1024) {
            socket.write(line.slice(at, at + 64 * 1024));
            await new Promise((r) => setTimeout(r, 5));
          }
          socket.end();
        });
      });
      expect(error).toBeNull();
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: '431' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('found by fuzzing', () => {
  it('refuses search parameters that are neither numbers nor strings with 400', async () => {
    for (const params of [{ count: { toString: null } }, { startIndex: [] }, { attributes: { a: 1 } }, { sortOrder: 5 }, { sortBy: {} }]) {
      expectScimError(await t.request('POST', '/Users/.search', searchBody(params)), 400);
    }
  });

  it('removes a member named like an Object.prototype property as an unknown id, not a 500', async () => {
    const group = await createGroup(t, 'Prototype');
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect((await t.request('PATCH', `/Groups/${group}`, patchBody({ op: 'remove', path: `members[value eq "${name}"]` }))).status).toBe(204);
    }
  });

  it('answers a startIndex beyond any directory with an empty page, never passing it to the BI tool', async () => {
    const answer = await t.request('POST', '/Users/.search', searchBody({ startIndex: 9007199254740991 }));
    expect([answer.status, answer.body.Resources]).toEqual([200, []]);
  });

  it('refuses a login email that is not an email address, also while the person is deactivated', async () => {
    const id = await createUser(t, 'away@example.com');
    expect((await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }))).status).toBe(200);
    expectScimError(
      await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'emails', value: [{ value: 'not-an-email', primary: true }] })),
      400,
      'invalidValue',
    );
    expect((await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: true } }))).status).toBe(200);
  });

  it('never names a BI route in a 4xx that comes from the BI tool', async () => {
    t.double.failNext({ method: 'POST', pathPrefix: '/api/user' }, 404);
    const answer = await t.request('POST', '/Users', userBody('route.free@example.com'));
    expect(answer.status).toBeLessThan(500);
    expect(answer.body.detail).not.toMatch(/\/api\//);
  });
});
