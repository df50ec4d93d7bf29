// The Metabase adapter against the double directly: session handling, exact email lookup, admin reactivation, and
// the membership reads whose answers grow with the group or the directory.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetabaseTarget } from '../../src/targets/metabase/adapter.ts';
import { TargetError } from '../../src/targets/target.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';

let double: MetabaseDouble;
const targets: MetabaseTarget[] = [];

beforeEach(async () => {
  double = await startMetabaseDouble();
});

afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.close()));
  await double.close();
});

function target(credentials: ConstructorParameters<typeof MetabaseTarget>[0]['credentials']): MetabaseTarget {
  const made = new MetabaseTarget({ url: double.url, credentials, timeoutMs: 5_000 });
  targets.push(made);
  return made;
}

const asAdmin = () => target({ username: double.adminEmail, password: double.adminPassword });
const logins = () => double.callCount({ method: 'POST', pathPrefix: '/api/session' });
const twenty = <T>(call: (i: number) => Promise<T>) => Promise.all(Array.from({ length: 20 }, (_, i) => call(i)));

describe('session login', () => {
  it('logs in once for 20 concurrent calls', async () => {
    const mb = asAdmin();
    const users = await twenty(() => mb.listUsers(0, 10));
    expect(users.every((page) => page.total >= 1)).toBe(true);
    expect(double.loginCount).toBe(1);
    expect(logins()).toBe(1);
  });

  it('logs in again exactly once when Metabase forgets the session under 20 concurrent calls', async () => {
    const mb = asAdmin();
    await mb.listUsers(0, 1);
    double.expireSessions();
    const pages = await twenty(() => mb.listUsers(0, 10));
    expect(pages).toHaveLength(20);
    expect(double.loginCount).toBe(2);
    expect(logins()).toBe(2);
  });

  it('reuses the session across sequential calls', async () => {
    const mb = asAdmin();
    for (let i = 0; i < 5; i++) await mb.getUser('1');
    expect(double.loginCount).toBe(1);
  });

  it('fails a wrong password with TargetError auth, sharing one login attempt among 20 concurrent calls', async () => {
    const mb = target({ username: double.adminEmail, password: 'not-the-password' });
    const outcomes = await twenty(() =>
      mb.listUsers(0, 10).then(
        () => null,
        (err: unknown) => err,
      ),
    );
    for (const err of outcomes) {
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).code).toBe('auth');
    }
    expect(logins()).toBe(1);
    expect(double.loginCount).toBe(0);
  });

  it('does not retry a refused login in a loop within one call', async () => {
    const mb = target({ username: double.adminEmail, password: 'wrong-again' });
    await expect(mb.getUser('1')).rejects.toMatchObject({ code: 'auth' });
    expect(logins()).toBe(1);
  });

  it('logs out on close', async () => {
    const mb = asAdmin();
    await mb.getUser('1');
    targets.splice(targets.indexOf(mb), 1);
    await mb.close();
    expect(double.callCount({ method: 'DELETE', pathPrefix: '/api/session' })).toBe(1);
  });
});

describe('findUserByEmail', () => {
  beforeEach(() => {
    double.seed.user({ email: 'joann@x.io', first_name: 'Jo', last_name: 'Ann' });
    double.seed.user({ email: 'ann@x.io', first_name: 'Ann', last_name: 'Exact' });
    double.seed.user({ email: 'gone@x.io', first_name: 'Gone', last_name: 'Away', is_active: false });
  });

  it('matches the exact email although Metabase query is a substring match', async () => {
    const mb = target({ apiKey: double.apiKey });
    expect((await mb.findUserByEmail('ann@x.io'))?.email).toBe('ann@x.io');
    expect((await mb.findUserByEmail('joann@x.io'))?.email).toBe('joann@x.io');
  });

  it('matches case-insensitively and finds inactive people', async () => {
    const mb = target({ apiKey: double.apiKey });
    expect((await mb.findUserByEmail('ANN@X.IO'))?.email).toBe('ann@x.io');
    expect(await mb.findUserByEmail('gone@x.io')).toMatchObject({ email: 'gone@x.io', active: false });
  });

  it('finds nobody for a fragment or a LIKE wildcard', async () => {
    const mb = target({ apiKey: double.apiKey });
    expect(await mb.findUserByEmail('nn@x.io')).toBeNull();
    expect(await mb.findUserByEmail('%ann@x.io')).toBeNull();
    expect(await mb.findUserByEmail('_nn@x.io')).toBeNull();
  });
});

describe('reactivation', () => {
  it("says Administrators is lost on reactivation, as Metabase drops it (restoring it is the caller's step)", async () => {
    const admin = double.seed.user({ email: 'second.admin@example.com', first_name: 'Second', last_name: 'Admin', is_superuser: true });
    const mb = target({ apiKey: double.apiKey });
    await mb.setUserActive(String(admin.id), false);
    const inactive = (await mb.getUser(String(admin.id)))!;
    expect(mb.reactivationLosses(inactive)).toEqual(['2']);
    await mb.setUserActive(String(admin.id), true);
    expect(double.state.userByEmail('second.admin@example.com')).toMatchObject({ is_active: true, is_superuser: false });
    expect(mb.reactivationLosses((await mb.getUser(String(admin.id)))!)).toEqual([]);
  });

  it('keeps other group memberships through deactivation and reactivation', async () => {
    const group = double.seed.group('Kept Group');
    const person = double.seed.user({ email: 'kept@example.com', first_name: 'Kept', last_name: 'Person' });
    double.seed.membership(person.id, group.id);
    const mb = target({ apiKey: double.apiKey });
    await mb.setUserActive(String(person.id), false);
    await mb.setUserActive(String(person.id), true);
    expect(double.state.groupNamesOf(person.id)).toEqual(['All Users', 'Kept Group']);
  });

  it('treats reactivating an active person as a no-op, with no reactivate call', async () => {
    const person = double.seed.user({ email: 'already@example.com' });
    const mb = target({ apiKey: double.apiKey });
    await mb.setUserActive(String(person.id), true);
    expect(double.callCount({ method: 'PUT', pathPrefix: '/api/user/' })).toBe(0);
  });
});

describe('membership reads sized by the group or the directory', () => {
  function personIn(email: string, ...groups: string[]) {
    const person = double.seed.user({ email, first_name: 'In', last_name: 'Groups' });
    const ids = groups.map((name) => double.seed.group(name).id);
    for (const id of ids) double.seed.membership(person.id, id);
    return { id: String(person.id), groupIds: ids.map(String) };
  }

  it("removes a deactivated person, whom the group's member list leaves out, through the membership map", async () => {
    const person = personIn('quiet@example.com', 'Left', 'Stays');
    const mb = target({ apiKey: double.apiKey });
    await mb.setUserActive(person.id, false);
    await mb.removeMembers(person.groupIds[0], [person.id]);
    expect(double.state.groupNamesOf(Number(person.id))).toEqual(['All Users', 'Stays']);
    expect(await mb.listMembers(person.groupIds[1])).toEqual([person.id]);
  });

  it('clears every group but All Users with one read of the membership map and no group read', async () => {
    const person = personIn('leaver@example.com', 'One', 'Two', 'Three');
    const mb = target({ apiKey: double.apiKey });
    double.resetCalls();
    await mb.clearMemberships((await mb.getUser(person.id))!);
    expect(double.state.groupNamesOf(Number(person.id))).toEqual(['All Users']);
    expect(double.callCount({ method: 'GET', pathPrefix: '/api/permissions/membership' })).toBe(1);
    expect(double.callCount({ method: 'GET', pathPrefix: '/api/permissions/group' })).toBe(0);
    expect(double.callCount({ method: 'DELETE', pathPrefix: '/api/permissions/membership/' })).toBe(3);
  });

  it('refuses a member list of another shape or a body that is not JSON, and removes nobody', async () => {
    const person = personIn('shaped@example.com', 'Shaped');
    const mb = target({ apiKey: double.apiKey });
    const route = `/api/permissions/group/${person.groupIds[0]}`;
    double.replyNext({ method: 'GET', pathPrefix: route }, { members: [{ user_id: 'seven', email: 'x@example.com', membership_id: 1 }] });
    await expect(mb.removeMembers(person.groupIds[0], [person.id])).rejects.toMatchObject({ code: 'unexpected_answer' });
    double.replyNext({ method: 'GET', pathPrefix: route }, 'Service warming up');
    await expect(mb.removeMembers(person.groupIds[0], [person.id])).rejects.toMatchObject({ code: 'unexpected_answer' });
    expect(double.callCount({ method: 'DELETE', pathPrefix: '/api/permissions/membership/' })).toBe(0);
    expect(double.state.groupNamesOf(Number(person.id))).toEqual(['All Users', 'Shaped']);
  });

  it('refuses an answer cut off before its JSON ends', async () => {
    const cut = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[{"id":1},{"id":2},');
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', resolve));
    const mb = new MetabaseTarget({ url: `http://127.0.0.1:${(cut.address() as AddressInfo).port}`, credentials: { apiKey: 'key' } });
    try {
      await expect(mb.listMembers('3')).rejects.toMatchObject({ code: 'unexpected_answer' });
    } finally {
      await mb.close();
      cut.close();
    }
  });
});

describe('service account', () => {
  it('names the API-key user as the service account, an admin', async () => {
    const account = await target({ apiKey: double.apiKey }).serviceAccount();
    expect(account).toEqual({ userId: String(double.core.apiKeyUserId), email: expect.stringMatching(/@api-key\.invalid$/), isAdmin: true });
  });

  it("never lists the API-key user among a group's members", async () => {
    const mb = target({ apiKey: double.apiKey });
    const members = await mb.listMembers('2');
    expect(members).toContain('1');
    expect(members).not.toContain(String(double.core.apiKeyUserId));
  });
});
