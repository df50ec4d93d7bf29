// The Metabase adapter against the double directly: session handling, exact email lookup, admin reactivation.
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
