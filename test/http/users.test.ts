// /Users through app.request(): create, read and replace, and what bi-scim keeps that Metabase cannot hold.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, patchBody, userBody, type TestApp } from '../support/build-test-app.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
});

afterEach(async () => {
  await t.close();
});

/** Everything Okta and Entra send that Metabase has no column for. */
const richUser = (userName: string) =>
  userBody(userName, {
    externalId: '00uAbC123XyZ',
    displayName: 'Ann “Annie” Smith',
    title: 'Senior Analyst',
    locale: 'en-US',
    nickName: 'Annie',
    phoneNumbers: [
      { value: '+1 (555) 010-0199 ext. 7', type: 'work' },
      { value: '0049 30 1234', type: 'mobile', primary: true },
    ],
    [ENTERPRISE]: {
      employeeNumber: 'E-0042',
      department: 'Finance',
      costCenter: 'CC-7',
      manager: { value: '17', $ref: '../Users/17' },
    },
    password: '1mz050nq',
  });

describe('POST /Users', () => {
  it('answers 201 with Location, the full resource and complete meta', async () => {
    const answer = await t.request('POST', '/Users', userBody('Ann.Smith@Example.com', { name: { givenName: 'Ann', familyName: 'Smith' } }));
    expect(answer.status).toBe(201);
    const user = answer.body;
    expect(user.id).toMatch(/^[1-9][0-9]*$/);
    expect(answer.headers.get('location')).toBe(user.meta.location);
    expect(user.meta.location).toMatch(new RegExp(`/scim/v2/Users/${user.id}$`));
    expect(user).toMatchObject({
      schemas: expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User']),
      userName: 'Ann.Smith@Example.com',
      name: { givenName: 'Ann', familyName: 'Smith' },
      emails: [{ value: 'ann.smith@example.com', type: 'work', primary: true }],
      active: true,
      meta: { resourceType: 'User', version: expect.stringMatching(/^W\/".+"$/) },
    });
    expect(Date.parse(user.meta.created)).not.toBeNaN();
    expect(Date.parse(user.meta.lastModified)).not.toBeNaN();
    const inMetabase = t.double.state.userByEmail('ann.smith@example.com');
    expect(inMetabase).toMatchObject({ id: Number(user.id), first_name: 'Ann', last_name: 'Smith', is_active: true });
  });

  it('uses an email-shaped userName as the Metabase email when no emails are sent', async () => {
    const answer = await t.request('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Only.Name@Example.com' });
    expect(answer.status).toBe(201);
    expect(t.double.state.userByEmail('only.name@example.com')?.id).toBe(Number(answer.body.id));
  });

  it('returns every attribute Metabase cannot hold exactly as sent, on create and on GET', async () => {
    const sent = richUser('Ann.Rich@Example.COM');
    const created = await t.request('POST', '/Users', sent);
    expect(created.status).toBe(201);
    const { password: _, ...expected } = sent;
    const fetched = await t.request('GET', `/Users/${created.body.id}`);
    for (const answer of [created.body, fetched.body]) {
      expect(answer).toMatchObject({ ...expected, schemas: expect.arrayContaining([ENTERPRISE]) });
      expect(answer[ENTERPRISE]).toEqual(sent[ENTERPRISE]);
      expect(answer.phoneNumbers).toEqual(sent.phoneNumbers);
    }
    expect(t.double.state.userByEmail('ann.rich@example.com')?.locale).toBe('en_US');
  });

  it('returns the manager displayName Okta sends beside the manager id', async () => {
    const manager = { value: '17', displayName: 'Boss Person' };
    const created = await t.request('POST', '/Users', userBody('okta.report@example.com', { [ENTERPRISE]: { manager } }));
    expect(created.status).toBe(201);
    expect(created.body[ENTERPRISE]).toEqual({ manager });
    expect((await t.request('GET', `/Users/${created.body.id}`)).body[ENTERPRISE]).toEqual({ manager });
  });

  it("accepts Entra's create body: meta, roles, string booleans and explicit nulls", async () => {
    const body = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      externalId: 'entra-object-9',
      userName: 'Dale.Mohr@Romaguera.uk',
      active: 'True',
      displayName: 'Dale Mohr',
      meta: { resourceType: 'User' },
      roles: [],
      emails: [{ primary: 'True', type: 'work', value: 'dale.mohr@romaguera.uk' }],
      name: { formatted: 'Dale Mohr', familyName: 'Mohr', givenName: 'Dale' },
      addresses: null,
      phoneNumbers: null,
      title: null,
      [ENTERPRISE]: { manager: null, department: null, employeeNumber: 'E9' },
    };
    const answer = await t.request('POST', '/Users', body, { 'content-type': 'application/scim+json; charset=utf-8' });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toMatchObject({ active: true, emails: [{ primary: true }], [ENTERPRISE]: { employeeNumber: 'E9' } });
    expect(answer.body).not.toHaveProperty('title');
    expect(t.double.state.userByEmail('dale.mohr@romaguera.uk')).toMatchObject({ first_name: 'Dale', last_name: 'Mohr', is_active: true });
  });

  it('creates one Metabase user when two POSTs of the same userName race, answering 201 and 409', async () => {
    const [first, second] = await Promise.all([
      t.request('POST', '/Users', userBody('Racer@Example.com')),
      t.request('POST', '/Users', userBody('racer@example.com')),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expect(t.double.state.users().filter((u) => u.email === 'racer@example.com')).toHaveLength(1);
  });

  it('never stores or returns the password Okta sends', async () => {
    const created = await t.request('POST', '/Users', userBody('secret@example.com', { password: 'P@ssw0rd-okta' }));
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('P@ssw0rd-okta');
    const fetched = await t.request('GET', `/Users/${created.body.id}`);
    expect(fetched.text).not.toContain('P@ssw0rd-okta');
    expect(fetched.body).not.toHaveProperty('password');
    const record = await t.store.get('User', created.body.id);
    expect(JSON.stringify(record)).not.toContain('P@ssw0rd-okta');
    expect(t.double.state.userByEmail('secret@example.com')?.password).toBeNull();
    const replaced = await t.request('PUT', `/Users/${created.body.id}`, userBody('secret@example.com', { password: 'An0ther-secret' }));
    expect(replaced.status).toBe(200);
    expect(JSON.stringify(await t.store.get('User', created.body.id))).not.toContain('An0ther-secret');
  });
});

describe('GET and PUT /Users/{id}', () => {
  it('reads back what was created, with the same meta', async () => {
    const created = await t.request('POST', '/Users', richUser('read.back@example.com'));
    const fetched = await t.request('GET', `/Users/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.contentType).toMatch(/^application\/scim\+json/);
    expect(fetched.body).toEqual(created.body);
  });

  it('replaces the whole resource on PUT, writes the names to Metabase and keeps created', async () => {
    const created = await t.request('POST', '/Users', richUser('put.me@example.com'));
    const id = created.body.id;
    const body = userBody('put.me@example.com', { name: { givenName: 'Renamed', familyName: 'Person' }, title: 'Director' });
    const replaced = await t.request('PUT', `/Users/${id}`, body);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, name: { givenName: 'Renamed', familyName: 'Person' }, title: 'Director' });
    // PUT replaces: what the body leaves out is gone (RFC 7644 §3.5.1).
    expect(replaced.body).not.toHaveProperty('externalId');
    expect(replaced.body).not.toHaveProperty('phoneNumbers');
    expect(replaced.body).not.toHaveProperty(ENTERPRISE);
    expect(replaced.body.meta.created).toBe(created.body.meta.created);
    expect(replaced.body.meta.version).not.toBe(created.body.meta.version);
    expect(t.double.state.userByEmail('put.me@example.com')).toMatchObject({ first_name: 'Renamed', last_name: 'Person' });
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(replaced.body);
  });

  it('lets PUT change only the case of the own userName', async () => {
    const id = await createUser(t, 'case.change@example.com');
    const answer = await t.request('PUT', `/Users/${id}`, userBody('Case.Change@Example.com'));
    expect(answer.status).toBe(200);
    expect(answer.body.userName).toBe('Case.Change@Example.com');
  });

  it('changes the Metabase email when PUT changes the primary email, keeping the id', async () => {
    const id = await createUser(t, 'old.mail@example.com');
    const body = userBody('old.mail@example.com', { emails: [{ value: 'new.mail@example.com', type: 'work', primary: true }] });
    const answer = await t.request('PUT', `/Users/${id}`, body);
    expect(answer.status).toBe(200);
    expect(t.double.state.userByEmail('old.mail@example.com')).toBeUndefined();
    expect(t.double.state.userByEmail('new.mail@example.com')?.id).toBe(Number(id));
  });

  it('changes the Metabase email when PATCH replaces the work email', async () => {
    const id = await createUser(t, 'patch.mail@example.com');
    const answer = await t.request(
      'PATCH',
      `/Users/${id}`,
      patchBody({ op: 'replace', path: 'emails[type eq "work"].value', value: 'patched.mail@example.com' }),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.emails).toEqual([{ value: 'patched.mail@example.com', type: 'work', primary: true }]);
    expect(t.double.state.userByEmail('patched.mail@example.com')?.id).toBe(Number(id));
  });

  it('renames an SSO-sourced user in SCIM only, never sending Metabase a name edit it would refuse', async () => {
    const seeded = t.double.seed.user({ email: 'sso.person@example.com', first_name: 'Sso', last_name: 'Person', sso_source: 'saml' });
    const id = String(seeded.id);
    const answer = await t.request('PUT', `/Users/${id}`, userBody('sso.person@example.com', { name: { givenName: 'New', familyName: 'Name' } }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.name).toEqual({ givenName: 'New', familyName: 'Name' });
    expect(t.double.calls.filter((c) => c.status === 400)).toEqual([]);
    expect(t.double.state.userByEmail('sso.person@example.com')).toMatchObject({ first_name: 'Sso', last_name: 'Person', is_active: true });
    const patched = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'name.givenName', value: 'Patched' }));
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.name.givenName).toBe('Patched');
    expect(t.double.calls.filter((c) => c.status === 400)).toEqual([]);
  });
});
