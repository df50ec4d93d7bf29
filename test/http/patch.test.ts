// PATCH /Users in every IdP dialect (RFC 7644 §3.5.2, idp-behaviour.md §1.3, §2.2) through app.request().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, doubleSnapshot, expectScimError, patchBody, type TestApp } from '../support/build-test-app.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let t: TestApp;
let id: string;

beforeEach(async () => {
  t = await buildTestApp();
  id = await createUser(t, 'Pat.Patch@Example.com', {
    externalId: 'pat-ext',
    name: { givenName: 'Pat', familyName: 'Patch' },
    emails: [{ value: 'pat.patch@example.com', type: 'work', primary: true }],
    title: 'Engineer',
  });
});

afterEach(async () => {
  await t.close();
});

const patch = (...operations: Array<Record<string, unknown>>) => t.request('PATCH', `/Users/${id}`, patchBody(...operations));
const inMetabase = () => t.double.state.users().find((u) => u.id === Number(id))!;

describe('activation dialects', () => {
  it('deactivates on Okta\'s path-less replace {"active":false}, answering 200 with the resource', async () => {
    const answer = await patch({ op: 'replace', value: { active: false } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, active: false, userName: 'Pat.Patch@Example.com', title: 'Engineer' });
    expect(inMetabase().is_active).toBe(false);
  });

  it('deactivates on Entra\'s Replace active "False" and reactivates on "True"', async () => {
    const off = await patch({ op: 'Replace', path: 'active', value: 'False' });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(inMetabase().is_active).toBe(false);
    const on = await patch({ op: 'Replace', path: 'active', value: 'True' });
    expect(on.status).toBe(200);
    expect(on.body.active).toBe(true);
    expect(inMetabase().is_active).toBe(true);
  });

  it("deactivates on aadOptscim062020's lower-case replace with a real boolean", async () => {
    const answer = await patch({ op: 'replace', path: 'active', value: false });
    expect(answer.status).toBe(200);
    expect(inMetabase().is_active).toBe(false);
  });
});

describe('attribute dialects', () => {
  it('applies dotted and URN keys inside a path-less value (aadOptscim062020)', async () => {
    const answer = await patch({
      op: 'replace',
      value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', 'name.familyName': 'Unua', [`${ENTERPRISE}:employeeNumber`]: 'Aklq' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ displayName: 'Bjfe', name: { givenName: 'Kkom', familyName: 'Unua' }, [ENTERPRISE]: { employeeNumber: 'Aklq' } });
    expect(inMetabase()).toMatchObject({ first_name: 'Kkom', last_name: 'Unua' });
    expect((await t.request('GET', `/Users/${id}`)).body).toMatchObject({ displayName: 'Bjfe', [ENTERPRISE]: { employeeNumber: 'Aklq' } });
  });

  it('applies one operation per path with capitalised ops (Entra default)', async () => {
    const answer = await patch(
      { op: 'Replace', path: 'name.givenName', value: 'Dale' },
      { op: 'Replace', path: 'name.familyName', value: 'Mohr' },
      { op: 'Add', path: 'nickName', value: 'Babs' },
      { op: 'Replace', path: 'externalId', value: 'pat-ext-2' },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: { givenName: 'Dale', familyName: 'Mohr' }, nickName: 'Babs', externalId: 'pat-ext-2' });
    expect(inMetabase()).toMatchObject({ first_name: 'Dale', last_name: 'Mohr' });
  });

  it('adds and replaces URN-prefixed enterprise attributes', async () => {
    const added = await patch(
      { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: 'E-1' },
      { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' },
    );
    expect(added.status).toBe(200);
    expect(added.body[ENTERPRISE]).toEqual({ employeeNumber: 'E-1', department: 'Sales' });
    expect(added.body.schemas).toContain(ENTERPRISE);
    const replaced = await patch({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Marketing' });
    expect(replaced.body[ENTERPRISE]).toEqual({ employeeNumber: 'E-1', department: 'Marketing' });
    const removed = await patch({ op: 'remove', path: `${ENTERPRISE}:department` });
    expect(removed.body[ENTERPRISE]).toEqual({ employeeNumber: 'E-1' });
  });

  it('sets the manager from a bare manager path with an array value (Entra default)', async () => {
    const boss = await createUser(t, 'boss@example.com');
    const answer = await patch({ op: 'Add', path: 'manager', value: [{ $ref: `http://idp.example/Users/${boss}`, value: boss }] });
    expect(answer.status).toBe(200);
    expect(answer.body[ENTERPRISE].manager).toMatchObject({ value: boss });
    expect((await t.request('GET', `/Users/${id}`)).body[ENTERPRISE].manager.value).toBe(boss);
  });

  it('sets the manager from the URN path with an object value', async () => {
    const answer = await patch({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'mgr-42' } });
    expect(answer.status).toBe(200);
    expect(answer.body[ENTERPRISE].manager).toEqual({ value: 'mgr-42' });
  });

  it('replaces the work email through the filtered path emails[type eq "work"].value', async () => {
    const answer = await patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'pat.new@example.com' });
    expect(answer.status).toBe(200);
    expect(answer.body.emails).toEqual([{ value: 'pat.new@example.com', type: 'work', primary: true }]);
    expect(inMetabase().email).toBe('pat.new@example.com');
  });

  it("keeps the original-case userName and sends no Metabase write when only bi-scim's attributes change", async () => {
    t.double.resetCalls();
    const answer = await patch(
      { op: 'replace', path: 'title', value: 'Principal' },
      { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555', type: 'work' }] },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ userName: 'Pat.Patch@Example.com', title: 'Principal', phoneNumbers: [{ value: '+1 555', type: 'work' }] });
    expect(t.double.callCount({ method: 'PUT' })).toBe(0);
  });
});

describe('no-ops and atomicity', () => {
  it('answers an empty Operations array with 200 and the unchanged resource, writing nothing', async () => {
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    t.double.resetCalls();
    const answer = await patch();
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(before);
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect(t.double.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('changes nothing when the last operation is invalid', async () => {
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    const answer = await patch(
      { op: 'replace', path: 'name.givenName', value: 'Changed' },
      { op: 'replace', value: { active: false } },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'changed@example.com' },
      { op: 'remove', path: 'phoneNumbers[type eq "fax"]' },
    );
    expectScimError(answer, 400, 'noTarget');
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(before);
  });

  it('changes nothing when the last operation targets a read-only attribute', async () => {
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    const answer = await patch({ op: 'replace', path: 'title', value: 'Changed' }, { op: 'replace', path: 'groups', value: [] });
    expectScimError(answer, 400, 'mutability');
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(before);
  });

  it('changes nothing when the last operation has a value of the wrong type', async () => {
    const before = (await t.request('GET', `/Users/${id}`)).body;
    const snapshot = doubleSnapshot(t);
    const answer = await patch({ op: 'replace', path: 'name.givenName', value: 'Changed' }, { op: 'replace', path: 'active', value: 'sometimes' });
    expectScimError(answer, 400, 'invalidValue');
    expect(doubleSnapshot(t)).toEqual(snapshot);
    expect((await t.request('GET', `/Users/${id}`)).body).toEqual(before);
  });

  it('refuses a PATCH body without the PatchOp schema', async () => {
    expectScimError(await t.request('PATCH', `/Users/${id}`, { Operations: [{ op: 'replace', value: { active: false } }] }), 400, 'invalidSyntax');
    expect(inMetabase().is_active).toBe(true);
  });
});
