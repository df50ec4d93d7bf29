// The Superset adapter against a real Apache Superset 6.1.0: the Target contract in both modes, then Superset's own rules.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Config } from '../../src/config.ts';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { noMetrics } from '../../src/metrics.ts';
import { createProvisioning } from '../../src/provisioning/context.ts';
import { URN } from '../../src/scim/urns.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { parseConfiguredTokens } from '../../src/tokens.ts';
import { HttpClient, type HttpCallSample } from '../../src/targets/http.ts';
import { SupersetTarget } from '../../src/targets/superset/adapter.ts';
import { SupersetSession } from '../../src/targets/superset/session.ts';
import { TargetError } from '../../src/targets/target.ts';
import { SUPERSET_TOKEN_SECONDS } from '../support/superset/global-setup.ts';
import { startExpiringProxy } from '../support/superset/expiring-proxy.ts';
import { startSuperset, type RunningSuperset } from '../support/superset/harness.ts';
import { describeTargetContract } from './contract.ts';

const url = inject('supersetUrl');
const admin = { username: inject('supersetUsername') ?? '', password: inject('supersetPassword') ?? '' };
const STARTS_WITHIN_MS = 180_000;
const store = new MemoryStore();

if (process.env.CI && !url) {
  test('a real Superset is installed for CI', () => {
    throw new Error('Apache Superset is not installed, so the Superset adapter was not tested: run bash test/support/superset/install.sh');
  });
}

type Settings = Config['superset'];
const settings = (overrides: Partial<Settings> = {}): Settings => ({
  usernameTemplate: '{userName}',
  groupMode: 'groups',
  baselineRole: 'Gamma',
  hardDelete: false,
  ...overrides,
});
const uniqueEmail = () => `Person.${randomUUID().slice(0, 12)}@Example.com`;
const targets: SupersetTarget[] = [];

function makeTarget(overrides: Partial<Settings> = {}, credentials = admin, baseUrl = url!, onCall?: (s: HttpCallSample) => void): SupersetTarget {
  const target = new SupersetTarget({
    url: baseUrl,
    ...credentials,
    superset: settings(overrides),
    http: { onCall },
    withLock: (key, fn) => store.withLock(key, fn),
  });
  targets.push(target);
  return target;
}

/** Direct calls for what the adapter never does itself (passwords, a group's roles), through the same session code. */
async function api<T>(method: string, route: string, json?: unknown, credentials = admin): Promise<{ status: number; body: T }> {
  const http = new HttpClient({ baseUrl: url! });
  try {
    return (await new SupersetSession(http, credentials).call(method, route, { json })) as { status: number; body: T };
  } finally {
    await http.close();
  }
}

async function withPassword(userId: string, username: string): Promise<{ username: string; password: string }> {
  const password = `Pw-${randomUUID()}-Aa1!`;
  expect((await api('PUT', `/api/v1/security/users/${userId}`, { password })).status).toBe(200);
  return { username, password };
}

async function rolesOf(userId: string): Promise<string[]> {
  const { body } = await api<{ result: { roles: Array<{ name: string }> } }>('GET', `/api/v1/security/users/${userId}`);
  return body.result.roles.map((r) => r.name).sort();
}

async function errorOf(promise: Promise<unknown>): Promise<TargetError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TargetError);
  return err as TargetError;
}

const newUser = (target: SupersetTarget, email = uniqueEmail()) =>
  target.createUser({ email, username: email.split('@')[0], givenName: 'Test', familyName: 'Person', locale: null });

describe.skipIf(!url)('Superset adapter on a real Superset 6.1.0', () => {
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.close()));
  });

  describeTargetContract('Superset in groups mode', async () => ({ target: makeTarget(), uniqueEmail }));
  describeTargetContract('Superset in roles mode', async () => ({ target: makeTarget({ groupMode: 'roles' }), uniqueEmail }));

  describe('authentication', () => {
    const counting = () => {
      const calls: HttpCallSample[] = [];
      const count = (route: string, status?: number) => calls.filter((c) => c.route === route && (status === undefined || c.status === status)).length;
      return { onCall: (s: HttpCallSample) => calls.push(s), count };
    };

    test('one login serves many concurrent calls', async () => {
      const { onCall, count } = counting();
      const target = makeTarget({}, admin, url, onCall);
      await Promise.all(Array.from({ length: 10 }, () => target.listGroups()));
      await target.getUser('1');
      expect(count('/api/v1/security/login')).toBe(1);
    });

    test('a token near its expiry is refreshed, without a new login', async () => {
      const { onCall, count } = counting();
      const http = new HttpClient({ baseUrl: url!, onCall });
      let skewMs = 0;
      const session = new SupersetSession(http, admin, { now: () => Date.now() + skewMs });
      expect((await session.call('GET', '/api/v1/me/')).status).toBe(200);
      skewMs = SUPERSET_TOKEN_SECONDS * 900;
      expect((await session.call('GET', '/api/v1/me/')).status).toBe(200);
      expect([count('/api/v1/security/login'), count('/api/v1/security/refresh', 200)]).toEqual([1, 1]);
      await http.close();
    });

    test('a token Superset rejects as expired is replaced by one fresh login', async () => {
      const { onCall, count } = counting();
      const proxy = await startExpiringProxy(url!, inject('supersetSecretKey')!);
      const http = new HttpClient({ baseUrl: proxy.url, onCall });
      // A stopped clock never renews on its own, so only Superset's 401 can trigger the new login.
      const session = new SupersetSession(http, admin, { now: () => 0 });
      try {
        expect((await session.call('GET', '/api/v1/me/')).status).toBe(200);
        proxy.expireNextToken();
        expect((await session.call('GET', '/api/v1/me/')).status).toBe(200);
        expect([count('/api/v1/me/', 401), count('/api/v1/security/login', 200)]).toEqual([1, 2]);
      } finally {
        await http.close();
        await proxy.close();
      }
    });

    test('a wrong password is an auth error that says the login was refused', async () => {
      const err = await errorOf(makeTarget({}, { username: admin.username, password: 'wrong' }).checkHealth());
      expect([err.code, err.message]).toEqual(['auth', expect.stringMatching(/refused the login/)]);
    });

    test('an account without the Admin role is told it needs it', async () => {
      const user = await newUser(makeTarget());
      const err = await errorOf(makeTarget({}, await withPassword(user.id, user.username!)).checkHealth());
      expect([err.code, err.message]).toEqual(['auth', expect.stringMatching(/Admin role/)]);
    });

    test('checkHealth passes for the admin, who is the service account', async () => {
      const target = makeTarget();
      await target.checkHealth();
      expect(await target.serviceAccount()).toEqual({ userId: '1', email: 'admin@example.com', isAdmin: true });
    });
  });

  describe('users', () => {
    test('email and username are unique ignoring case, unlike in FAB itself', async () => {
      const target = makeTarget();
      const user = await newUser(target);
      expect((await errorOf(newUser(target, user.email.toLowerCase()))).code).toBe('conflict');
      const other = uniqueEmail();
      const sameName = target.createUser({ email: other, username: user.username!.toUpperCase(), givenName: null, familyName: null, locale: null });
      expect((await errorOf(sameName)).code).toBe('conflict');
      const second = await newUser(target);
      expect((await errorOf(target.updateUser(second, { email: user.email.toUpperCase() }))).code).toBe('conflict');
    });

    test('LIKE wildcards in an email match nobody else, and + and quotes survive the query', async () => {
      const target = makeTarget();
      const tag = randomUUID().slice(0, 8);
      await newUser(target, `wild${tag}x@example.com`);
      expect(await target.findUserByEmail(`wild${tag}_@example.com`)).toBeNull();
      expect(await target.findUserByEmail(`wild%@example.com`)).toBeNull();
      const tricky = await newUser(target, `o'brien+${tag}!@example.com`);
      expect((await target.findUserByEmail(tricky.email.toUpperCase()))?.id).toBe(tricky.id);
      const group = await target.createGroup(`O'Brien's team! ${tag}`);
      expect((await target.findGroupByName(group.name.toLowerCase()))?.id).toBe(group.id);
    });

    test('a page window that does not line up with FAB pages holds the same people as an aligned one', async () => {
      const target = makeTarget();
      const missing = Math.max(0, 30 - (await target.listUsers(0, 1)).total);
      await Promise.all(Array.from({ length: missing }, () => newUser(target)));
      const aligned = await target.listUsers(0, 40);
      const shifted = await target.listUsers(5, 20);
      expect(shifted.total).toBe(aligned.total);
      expect(shifted.items.map((u) => u.id)).toEqual(aligned.items.slice(5, 25).map((u) => u.id));
      expect((await target.listUsers(aligned.total, 10)).items).toEqual([]);
    });

    test('a new user holds only the baseline role, and missing names read back as null', async () => {
      const target = makeTarget();
      const user = await target.createUser({ email: uniqueEmail(), username: `n-${randomUUID()}`, givenName: null, familyName: null, locale: null });
      expect(user).toMatchObject({ givenName: null, familyName: null, isAdmin: false, active: true });
      expect(await rolesOf(user.id)).toEqual(['Gamma']);
      expect(user.groupIds).toEqual([(await target.findMappingTarget('Gamma'))!.id]);
    });

    test('a missing baseline role is created without permissions and given to new users', async () => {
      const baselineRole = `scim-baseline-${randomUUID().slice(0, 8)}`;
      const user = await newUser(makeTarget({ baselineRole }));
      expect(await rolesOf(user.id)).toEqual([baselineRole]);
      const role = await makeTarget().findMappingTarget(baselineRole);
      const { body } = await api<{ result: unknown[] }>('GET', `/api/v1/security/roles/${role!.id.replace('role:', '')}/permissions/`);
      expect(body.result).toEqual([]);
    });

    test('a deactivated user can no longer log in, and a reactivated one can again', async () => {
      const target = makeTarget();
      const user = await newUser(target);
      const credentials = await withPassword(user.id, user.username!);
      await target.setUserActive(user.id, false);
      expect((await errorOf(api('GET', '/api/v1/me/', undefined, credentials))).code).toBe('auth');
      await target.setUserActive(user.id, true);
      expect((await api('GET', '/api/v1/me/', undefined, credentials)).status).toBe(200);
    });

    test('a hard-deleted user is gone, and a user given the same id does not inherit their groups', async () => {
      const target = makeTarget();
      const group = await target.createGroup(`del-${randomUUID().slice(0, 8)}`);
      const user = await newUser(target);
      await target.addMembers(group.id, [user.id]);
      await target.deleteUser(user.id);
      expect(await target.getUser(user.id)).toBeNull();
      expect(await target.findUserByEmail(user.email)).toBeNull();
      expect(await target.listMembers(group.id)).toEqual([]);
      const next = await newUser(target);
      expect(next.groupIds).not.toContain(group.id);
      expect((await errorOf(target.deleteUser('987654321'))).code).toBe('not_found');
    });
  });

  describe('groups and roles', () => {
    test('a person in a group that carries a role really gets its permissions', async () => {
      const target = makeTarget();
      const group = await target.createGroup(`analysts-${randomUUID().slice(0, 8)}`);
      const alpha = await target.findMappingTarget('Alpha');
      expect((await api('PUT', `/api/v1/security/groups/${group.id}`, { roles: [Number(alpha!.id.replace('role:', ''))] })).status).toBe(200);
      const user = await newUser(target);
      const credentials = await withPassword(user.id, user.username!);
      const datasetPermissions = async () =>
        (await api<{ permissions: string[] }>('GET', '/api/v1/dataset/_info?q=(keys:!(permissions))', undefined, credentials)).body.permissions;
      expect(await datasetPermissions()).not.toContain('can_write');
      await target.addMembers(group.id, [user.id]);
      expect(await datasetPermissions()).toContain('can_write');
      const me = await api<{ result: { roles: Record<string, unknown> } }>('GET', '/api/v1/me/roles/', undefined, credentials);
      expect(Object.keys(me.body.result.roles).sort()).toEqual(['Alpha', 'Gamma']);
    });

    test('in roles mode a SCIM group is a role: members hold it and keep the baseline role', async () => {
      const target = makeTarget({ groupMode: 'roles' });
      const role = await target.createGroup(`scim-role-${randomUUID().slice(0, 8)}`);
      expect(role).toMatchObject({ hidden: false, isAdmin: false });
      const user = await newUser(target);
      await target.addMembers(role.id, [user.id]);
      expect(await rolesOf(user.id)).toEqual(['Gamma', role.name].sort());
      const gamma = await target.findMappingTarget('gamma');
      expect((await target.getUser(user.id))?.groupIds.sort()).toEqual([gamma!.id, role.id].sort());
      await target.removeMembers(role.id, [user.id]);
      expect(await rolesOf(user.id)).toEqual(['Gamma']);
      await target.removeMembers(gamma!.id, [user.id]);
      expect(await rolesOf(user.id)).toEqual(['Gamma']);
    });

    test('a person whose only role came from a group keeps the baseline role after leaving it', async () => {
      const target = makeTarget();
      const group = await target.createGroup(`only-${randomUUID().slice(0, 8)}`);
      const email = uniqueEmail();
      const made = await api<{ id: number }>('POST', '/api/v1/security/users/', {
        first_name: 'A',
        last_name: 'B',
        username: email,
        email,
        password: `Pw-${randomUUID()}-Aa1!`,
        groups: [Number(group.id)],
      });
      expect(await rolesOf(String(made.body.id))).toEqual([]);
      await target.removeMembers(group.id, [String(made.body.id)]);
      expect(await rolesOf(String(made.body.id))).toEqual(['Gamma']);
      expect(await target.listMembers(group.id)).toEqual([]);
    });

    test('built-in roles cannot be renamed or deleted through SCIM', async () => {
      for (const target of [makeTarget(), makeTarget({ groupMode: 'roles' })]) {
        const alpha = await target.findMappingTarget('Alpha');
        expect(alpha).toMatchObject({ hidden: true, isAdmin: false });
        expect((await errorOf(target.renameGroup(alpha!.id, 'Beta'))).code).toBe('forbidden');
        expect((await errorOf(target.deleteGroup(alpha!.id))).code).toBe('forbidden');
      }
    });

    test('group names are unique ignoring case, unlike in FAB itself', async () => {
      const target = makeTarget();
      const group = await target.createGroup(`Case-${randomUUID().slice(0, 8)}`);
      expect((await errorOf(target.createGroup(group.name.toLowerCase()))).code).toBe('conflict');
      expect((await target.renameGroup(group.id, group.name.toUpperCase())).name).toBe(group.name.toUpperCase());
    });
  });
});

describe.skipIf(!url)('the last active human Admin of Superset, through SCIM (a private Superset)', () => {
  let own: RunningSuperset;
  beforeAll(async () => {
    own = await startSuperset();
  }, STARTS_WITHIN_MS);
  afterAll(async () => {
    await own?.stop();
  });

  test("bi-scim's own account does not count: the last human Admin, direct or through a group, stays", async () => {
    const target = makeTarget({}, own, own.url);
    const provisioning = createProvisioning({
      store: new MemoryStore(),
      target,
      logger: pino({ level: 'silent' }),
      metrics: noMetrics,
      options: { groupMappings: [{ idpGroup: 'superset-admins', target: 'Admin' }], protectedUsers: [], usernameTemplate: '{userName}', hardDelete: false },
    });
    const app = createApp({
      provisioning,
      logger: provisioning.logger,
      basePath: '',
      tokens: parseConfiguredTokens('t', 'env'),
      maxBodyBytes: 1_000_000,
      rateLimitRps: 0,
    });
    const scim = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
      const res = await app.request(path, {
        method,
        headers: { authorization: 'Bearer t', 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    const user = (name: string) => ({
      schemas: [URN.user],
      userName: `${name}-${randomUUID().slice(0, 6)}@example.com`,
      emails: [{ value: `${name}-${randomUUID().slice(0, 6)}@example.com`, primary: true }],
      active: true,
    });
    const deactivate = (id: string) => scim('PATCH', `/Users/${id}`, { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] });
    const removeMember = (group: string, id: string) =>
      scim('PATCH', `/Groups/${group}`, { schemas: [URN.patchOp], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] });

    const human = (await scim('POST', '/Users', user('human'))).body.id as string;
    const admins = (await scim('POST', '/Groups', { schemas: [URN.group], displayName: 'superset-admins', members: [{ value: human }] })).body.id as string;
    expect((await target.getUser(human))?.isAdmin).toBe(true);
    for (const answer of [await deactivate(human), await scim('DELETE', `/Users/${human}`), await removeMember(admins, human)]) expect(answer.status).toBe(403);
    expect((await target.getUser(human))?.active).toBe(true);

    // Admin through a FAB group carrying the Admin role: the direct role may go, the group may not.
    const platform = (await scim('POST', '/Groups', { schemas: [URN.group], displayName: `platform-${randomUUID().slice(0, 6)}`, members: [{ value: human }] }))
      .body.id as string;
    const adminRolePk = Number((await target.findMappingTarget('Admin'))!.id.replace('role:', ''));
    const http = new HttpClient({ baseUrl: own.url });
    expect((await new SupersetSession(http, own).call('PUT', `/api/v1/security/groups/${platform}`, { json: { roles: [adminRolePk] } })).status).toBe(200);
    await http.close();
    expect((await removeMember(admins, human)).status).toBe(204);
    // A person's read names their groups without the groups' roles: it cannot tell, and the live check can.
    const viaGroup = (await target.getUser(human))!;
    expect(viaGroup.isAdmin).toBeNull();
    expect(await target.isAdministrator(viaGroup)).toBe(true);
    expect((await removeMember(platform, human)).status).toBe(403);
    expect((await scim('DELETE', `/Groups/${platform}`)).status).toBe(403);

    // A second active human Admin makes either expendable.
    const second = (await scim('POST', '/Users', user('second'))).body.id as string;
    expect(
      (await scim('PATCH', `/Groups/${admins}`, { schemas: [URN.patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: second }] }] })).status,
    ).toBe(204);
    expect((await removeMember(platform, human)).status).toBe(204);
    expect((await target.getUser(human))?.isAdmin).toBe(false);
  }, 90_000);
});

describe.skipIf(!url)('Superset adapter on a Superset without the security API', () => {
  let off: RunningSuperset;
  beforeAll(async () => {
    off = await startSuperset({ securityApi: false });
  }, STARTS_WITHIN_MS);
  afterAll(async () => {
    await off?.stop();
  });

  test('checkHealth and reads by id tell the operator to set FAB_ADD_SECURITY_API', async () => {
    const target = makeTarget({}, off, off.url);
    for (const attempt of [() => target.checkHealth(), () => target.getUser('1'), () => target.getGroup('1')]) {
      const err = await errorOf(attempt());
      expect([err.code, err.message]).toEqual(['bad_gateway', expect.stringMatching(/FAB_ADD_SECURITY_API = True/)]);
    }
  });
});
