// The Target contract: what every BI adapter must do, in terms of the port alone (run per adapter by its test file).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DirectoryUser } from '../../src/directory.ts';
import { TargetError, type Target, type TargetErrorCode } from '../../src/targets/target.ts';

export interface ContractSubject {
  target: Target;
  /** An email no other test uses. */
  uniqueEmail(): string;
  cleanup?(): Promise<void>;
}

/** Bounds the paging walk: no directory in a test run is larger than this. */
const MAX_PAGES = 500;
const PAGE_LIMIT = 7;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (err: unknown) => err,
  );
}

async function expectTargetError(promise: Promise<unknown>, code: TargetErrorCode): Promise<void> {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(TargetError);
  expect((err as TargetError).code).toBe(code);
}

export function describeTargetContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`${name} meets the Target contract`, () => {
    let subject: ContractSubject;
    let target: Target;

    beforeAll(async () => {
      subject = await setup();
      target = subject.target;
    });

    afterAll(async () => {
      await subject?.cleanup?.();
    });

    const newUser = (givenName = 'Ada', familyName = 'Lovelace'): Promise<DirectoryUser> => {
      const email = subject.uniqueEmail();
      return target.createUser({ email, username: `u-${email}`, givenName, familyName, locale: null });
    };
    const newGroupName = () => `contract-${randomUUID().slice(0, 8)}`;
    /** The login name each adapter matches on: its own username, or the email where it has none. */
    const loginOf = (user: DirectoryUser) => user.username ?? user.email;

    test('a created user is found by id, by email in another case and by login name in another case', async () => {
      const created = await newUser();
      expect(created).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', active: true });
      expect(await target.getUser(created.id)).toMatchObject({ id: created.id, email: created.email });
      expect((await target.findUserByEmail(created.email.toUpperCase()))?.id).toBe(created.id);
      expect((await target.findUserByUsername(loginOf(created).toUpperCase()))?.id).toBe(created.id);
    });

    test('createUser answers the person a read then shows; isAdministrator tells whether an admin group holds them', async () => {
      const created = await newUser();
      const { created: _, lastModified: __, ...shown } = (await target.getUser(created.id))!;
      expect(created).toMatchObject(shown);
      expect(await target.isAdministrator(created)).toBe(false);
      const admin = (await target.listGroups()).find((g) => g.isAdmin)!;
      await target.addMembers(admin.id, [created.id]);
      expect(await target.isAdministrator((await target.getUser(created.id))!)).toBe(true);
      await target.removeMembers(admin.id, [created.id]);
      expect(await target.isAdministrator((await target.getUser(created.id))!)).toBe(false);
    });

    test('an email or login name that is only a prefix of a real one finds nobody', async () => {
      const created = await newUser();
      expect(await target.findUserByEmail(created.email.slice(0, -1))).toBeNull();
      expect(await target.findUserByUsername(loginOf(created).slice(0, -1))).toBeNull();
    });

    test('listUsers pages are stable, never repeat a person, and include inactive people', async () => {
      const active = await newUser();
      const inactive = await newUser();
      await target.setUserActive(inactive.id, false);
      const seen: DirectoryUser[] = [];
      for (let page = 0; page < MAX_PAGES; page++) {
        const { items, total } = await target.listUsers(page * PAGE_LIMIT, PAGE_LIMIT);
        expect(items.length).toBeLessThanOrEqual(PAGE_LIMIT);
        const again = await target.listUsers(page * PAGE_LIMIT, PAGE_LIMIT);
        expect(again.items.map((u) => u.id)).toEqual(items.map((u) => u.id));
        seen.push(...items);
        if ((page + 1) * PAGE_LIMIT >= total) break;
      }
      const ids = seen.map((u) => u.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(seen.find((u) => u.id === active.id)?.active).toBe(true);
      expect(seen.find((u) => u.id === inactive.id)?.active).toBe(false);
    });

    test('countActiveUsers counts a new person, and not once they are deactivated', async () => {
      const before = await target.countActiveUsers();
      const user = await newUser();
      expect(await target.countActiveUsers()).toBe(before + 1);
      await target.setUserActive(user.id, false);
      expect(await target.countActiveUsers()).toBe(before);
    });

    test('activeAdmins lists the administrators, each with the groups that make them one', async () => {
      const admins = await target.activeAdmins();
      const adminGroup = await target.findMappingTarget(target.kind === 'metabase' ? 'Administrators' : 'Admin');
      expect([...admins.values()].flat()).toContain(adminGroup!.id);
      const user = await newUser();
      expect(admins.has(user.id)).toBe(false);
      await target.addMembers(adminGroup!.id, [user.id]);
      expect((await target.activeAdmins()).get(user.id)).toEqual([adminGroup!.id]);
      await target.setUserActive(user.id, false);
      expect((await target.activeAdmins()).has(user.id)).toBe(false);
    });

    test('updateUser changes only the keys it is given', async () => {
      const created = await newUser('Grace', 'Hopper');
      const renamed = await target.updateUser(created, { givenName: 'Amazing Grace' });
      expect(renamed).toMatchObject({ id: created.id, givenName: 'Amazing Grace', familyName: 'Hopper', email: created.email });
      const email = subject.uniqueEmail();
      const moved = await target.updateUser(renamed, { email });
      expect(moved).toMatchObject({ email, givenName: 'Amazing Grace', familyName: 'Hopper' });
      expect((await target.findUserByEmail(email))?.id).toBe(created.id);
      expect(await target.updateUser(moved, {})).toMatchObject({ id: created.id, email });
    });

    test('a deactivated user keeps their groups, and reactivation restores the same id with them', async () => {
      const user = await newUser();
      const group = await target.createGroup(newGroupName());
      await target.addMembers(group.id, [user.id]);
      await target.setUserActive(user.id, false);
      const inactive = await target.getUser(user.id);
      expect(inactive).toMatchObject({ id: user.id, active: false });
      expect(inactive?.groupIds).toContain(group.id);
      await target.setUserActive(user.id, true);
      const back = await target.getUser(user.id);
      expect(back).toMatchObject({ id: user.id, active: true });
      expect(back?.groupIds).toContain(group.id);
      expect(await target.listMembers(group.id)).toContain(user.id);
    });

    test('a created group is found by name in another case, renamed, and listed under its new name', async () => {
      const name = newGroupName();
      const group = await target.createGroup(name);
      expect(group).toMatchObject({ name, hidden: false });
      expect((await target.findGroupByName(name.toUpperCase()))?.id).toBe(group.id);
      const renamed = await target.renameGroup(group.id, `${name}-renamed`);
      expect(renamed).toMatchObject({ id: group.id, name: `${name}-renamed` });
      expect(await target.findGroupByName(name)).toBeNull();
      const listed = (await target.listGroups()).find((g) => g.id === group.id);
      expect(listed?.name).toBe(`${name}-renamed`);
    });

    test('adding the same member twice is no error and lists them once', async () => {
      const user = await newUser();
      const group = await target.createGroup(newGroupName());
      await target.addMembers(group.id, [user.id]);
      await target.addMembers(group.id, [user.id, user.id]);
      expect((await target.listMembers(group.id)).filter((id) => id === user.id)).toHaveLength(1);
      expect((await target.getUser(user.id))?.groupIds).toContain(group.id);
    });

    test('removing people who are not members changes nothing', async () => {
      const member = await newUser();
      const outsider = await newUser();
      const group = await target.createGroup(newGroupName());
      await target.addMembers(group.id, [member.id]);
      await target.removeMembers(group.id, [outsider.id]);
      expect(await target.listMembers(group.id)).toEqual([member.id]);
      await target.removeMembers(group.id, [member.id]);
      expect(await target.listMembers(group.id)).toEqual([]);
      expect((await target.getUser(member.id))?.groupIds).not.toContain(group.id);
    });

    test('adding an unknown person is not_found and adds nobody', async () => {
      const member = await newUser();
      const group = await target.createGroup(newGroupName());
      await expectTargetError(target.addMembers(group.id, [member.id, '987654321']), 'not_found');
      expect(await target.listMembers(group.id)).toEqual([]);
    });

    test('a second user with the same email is a conflict', async () => {
      const created = await newUser();
      await expectTargetError(
        target.createUser({ email: created.email, username: `other-${created.email}`, givenName: 'B', familyName: 'C', locale: null }),
        'conflict',
      );
    });

    test('a second group with the same name is a conflict', async () => {
      const group = await target.createGroup(newGroupName());
      await expectTargetError(target.createGroup(group.name), 'conflict');
    });

    test('unknown or malformed user and group ids read as null', async () => {
      expect(await target.getUser('987654321')).toBeNull();
      expect(await target.getUser('not-an-id')).toBeNull();
      expect(await target.getGroup('987654321')).toBeNull();
      expect(await target.getGroup('not-an-id')).toBeNull();
    });

    test('a deleted group is gone by id and by name', async () => {
      const group = await target.createGroup(newGroupName());
      await target.deleteGroup(group.id);
      expect(await target.getGroup(group.id)).toBeNull();
      expect(await target.findGroupByName(group.name)).toBeNull();
      expect((await target.listGroups()).some((g) => g.id === group.id)).toBe(false);
    });

    test('findMappingTarget finds the administrators group or role by name in any case', async () => {
      const admin = (await target.listGroups()).find((g) => g.isAdmin);
      expect(admin).toBeDefined();
      const mapped = await target.findMappingTarget(admin!.name.toLowerCase());
      expect(mapped).toMatchObject({ id: admin!.id, isAdmin: true });
      expect(await target.getGroup(admin!.id)).toMatchObject({ id: admin!.id, isAdmin: true });
    });

    test('hidden groups are flagged hidden and not found as visible groups', async () => {
      const hidden = (await target.listGroups()).filter((g) => g.hidden);
      expect(hidden.length).toBeGreaterThan(0);
      for (const group of hidden) {
        expect(await target.findGroupByName(group.name)).toBeNull();
        expect((await target.getGroup(group.id))?.hidden).toBe(true);
      }
    });

    test('the service account is an administrator', async () => {
      const account = await target.serviceAccount();
      expect(account.isAdmin).toBe(true);
      expect(account.userId).not.toBeNull();
    });
  });
}
