// The Target of a dry-run token: reads see the BI tool with its plan laid over it; writes are checked, planned, never sent.
// Longer because it is the whole Target port over an overlay in one class; the calls and the plan's storage have files of their own.
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput, Page } from '../directory.ts';
import type { PlannedCall } from './planning-calls.ts';
import { TargetError, type Target } from './target.ts';

/** A person as the plan leaves them; `user.groupIds` are the BI tool's own (membership changes are in MemberChanges). */
export interface PlannedUser {
  user: DirectoryUser;
  /** Whether the BI tool has them active now; null for a person the plan creates. */
  wasActive: boolean | null;
  deleted?: boolean;
}

export interface PlannedGroup {
  group: DirectoryGroup;
  /** The BI tool's name now; null for a group the plan creates. */
  wasName: string | null;
  deleted?: boolean;
}

/** People a plan adds to and removes from one group, and whether that group makes its members administrators. */
export interface MemberChanges {
  added: string[];
  removed: string[];
  admin: boolean;
}

export interface Overlay {
  users: Map<string, PlannedUser>;
  groups: Map<string, PlannedGroup>;
  members: Map<string, MemberChanges>;
}

/** Where a plan is kept (operations/plan.ts keeps it in the store, under the token's keys). */
export interface PlanBook {
  overlay(): Promise<Overlay>;
  putUser(user: PlannedUser): Promise<void>;
  putGroup(group: PlannedGroup): Promise<void>;
  /** Changes one group's entry atomically: people joining and leaving through different requests are all kept. */
  updateMembers(groupId: string, update: (current: MemberChanges | null) => MemberChanges): Promise<void>;
  record(calls: PlannedCall[]): Promise<void>;
  /** A fresh provisional id: never a BI tool's own (they are numeric, or `role:<n>`). */
  provisionalId(): Promise<string>;
}

export const PROVISIONAL_PREFIX = 'provisional-';
export const isProvisional = (id: string) => id.startsWith(PROVISIONAL_PREFIX);

const same = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
/** Metabase has no login name apart from the email, and its adapter looks usernames up by email. */
const loginOf = (u: DirectoryUser) => u.username ?? u.email;

/** The person with the plan's membership changes applied (and admin rights following the admin groups). */
function withMemberships(user: DirectoryUser, members: Map<string, MemberChanges>): DirectoryUser {
  const groups = new Set(user.groupIds);
  let { isAdmin } = user;
  for (const [groupId, change] of members) {
    if (change.removed.includes(user.id) && groups.delete(groupId) && change.admin) isAdmin = false;
    if (change.added.includes(user.id) && !groups.has(groupId)) {
      groups.add(groupId);
      if (change.admin) isAdmin = true;
    }
  }
  return { ...user, groupIds: [...groups], isAdmin };
}

export class PlanningTarget implements Target {
  readonly kind: Target['kind'];
  readonly adminGroupsAreFixed: boolean;
  readonly writes: Target['writes'];
  readonly #base: Target;
  readonly #plan: PlanBook;

  constructor(base: Target, plan: PlanBook) {
    this.#base = base;
    this.#plan = plan;
    this.kind = base.kind;
    this.adminGroupsAreFixed = base.adminGroupsAreFixed;
    this.writes = base.writes;
  }

  checkHealth() {
    return this.#base.checkHealth();
  }

  serviceAccount() {
    return this.#base.serviceAccount();
  }

  reactivationLosses(user: DirectoryUser) {
    return this.#base.reactivationLosses(user);
  }

  fieldsToWrite(current: DirectoryUser, changes: Partial<DirectoryUserInput>) {
    return this.#base.fieldsToWrite(current, changes);
  }

  previewCreate(input: DirectoryUserInput) {
    return this.#base.previewCreate(input);
  }

  previewUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>) {
    return this.#base.previewUpdate(current, changes);
  }

  /** A person the BI tool holds, seen through the plan (null when the plan deletes them). */
  #overlayUser(user: DirectoryUser | null, o: Overlay): DirectoryUser | null {
    if (!user) return null;
    const planned = o.users.get(user.id);
    if (planned?.deleted) return null;
    return withMemberships(planned?.user ?? user, o.members);
  }

  /** The people the plan creates, in the order it created them. */
  #created(o: Overlay): DirectoryUser[] {
    return [...o.users.values()].filter((u) => u.wasActive === null && !u.deleted).map((u) => withMemberships(u.user, o.members));
  }

  async getUser(id: string): Promise<DirectoryUser | null> {
    const o = await this.#plan.overlay();
    if (o.users.has(id)) return this.#overlayUser(o.users.get(id)!.user, o);
    return isProvisional(id) ? null : this.#overlayUser(await this.#base.getUser(id), o);
  }

  /** A planned person answers first; one the BI tool finds counts only while the plan has not moved them off that value. */
  async #find(value: string, key: (u: DirectoryUser) => string | null, lookUp: () => Promise<DirectoryUser | null>): Promise<DirectoryUser | null> {
    const o = await this.#plan.overlay();
    const planned = [...o.users.values()].find((u) => !u.deleted && same(key(u.user), value));
    if (planned) return withMemberships(planned.user, o.members);
    const found = this.#overlayUser(await lookUp(), o);
    return found && same(key(found), value) ? found : null;
  }

  findUserByEmail(email: string) {
    return this.#find(
      email,
      (u) => u.email,
      () => this.#base.findUserByEmail(email),
    );
  }

  findUserByUsername(username: string) {
    return this.#find(username, loginOf, () => this.#base.findUserByUsername(username));
  }

  /** The BI tool's people first, then the planned ones (their ids sort after every real one). */
  async listUsers(offset: number, limit: number): Promise<Page<DirectoryUser>> {
    const [o, page] = await Promise.all([this.#plan.overlay(), this.#base.listUsers(offset, limit)]);
    const items = page.items.map((u) => this.#overlayUser(u, o)).filter((u): u is DirectoryUser => u !== null);
    const created = this.#created(o);
    const from = Math.max(0, offset - page.total);
    items.push(...created.slice(from, from + Math.max(0, limit - page.items.length)));
    const deleted = [...o.users.values()].filter((u) => u.deleted && u.wasActive !== null).length;
    return { items, total: page.total + created.length - deleted };
  }

  async countActiveUsers(): Promise<number> {
    const [o, count] = await Promise.all([this.#plan.overlay(), this.#base.countActiveUsers()]);
    const shift = [...o.users.values()].reduce((sum, u) => sum + Number(!u.deleted && u.user.active) - Number(u.wasActive ?? false), 0);
    return count + shift;
  }

  /** A grant the plan makes is already in `isAdmin` (withMemberships); otherwise the groups the plan leaves are read. */
  isAdministrator(user: DirectoryUser): Promise<boolean> {
    return this.#base.isAdministrator(user);
  }

  async activeAdmins(): Promise<Map<string, string[]>> {
    const [o, admins] = await Promise.all([this.#plan.overlay(), this.#base.activeAdmins()]);
    const touched = new Set([...o.users.keys(), ...[...o.members.values()].flatMap((m) => [...m.added, ...m.removed])]);
    for (const id of touched) {
      const user = await this.getUser(id);
      if (!user?.active || !(await this.isAdministrator(user))) {
        admins.delete(id);
        continue;
      }
      const via = [...o.members].filter(([, m]) => m.admin && m.added.includes(id)).map(([groupId]) => groupId);
      admins.set(id, [...new Set([...(admins.get(id) ?? []), ...via])]);
    }
    return admins;
  }

  async createUser(input: DirectoryUserInput): Promise<DirectoryUser> {
    const { body, result } = await this.#base.previewCreate(input);
    const taken = (await this.findUserByEmail(result.email)) ?? (result.username ? await this.findUserByUsername(result.username) : null);
    if (taken) throw new TargetError('conflict', `The BI tool already has ${taken.id} with email or username "${input.email}"`, 409);
    const user = { ...result, id: await this.#plan.provisionalId() };
    await this.#plan.putUser({ user, wasActive: null });
    await this.#plan.record([this.writes.createUser(body)]);
    return user;
  }

  /** The plan's own entry for a person, started from the BI tool's view the first time the plan changes them. */
  async #entry(id: string): Promise<PlannedUser> {
    const o = await this.#plan.overlay();
    const planned = o.users.get(id);
    if (planned && !planned.deleted) return planned;
    const user = isProvisional(id) ? null : await this.#base.getUser(id);
    if (!user) throw new TargetError('not_found', `BI user ${id} not found`, 404);
    return { user, wasActive: user.active };
  }

  async updateUser(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Promise<DirectoryUser> {
    const { body, result } = this.#base.previewUpdate(current, changes);
    if (Object.keys(body).length === 0) return current;
    for (const [value, find] of [
      [result.email, (v: string) => this.findUserByEmail(v)],
      [result.username, (v: string) => this.findUserByUsername(v)],
    ] as const) {
      const holder = value ? await find(value) : null;
      if (holder && holder.id !== current.id) throw new TargetError('conflict', `BI user ${holder.id} already has "${value}"`, 409);
    }
    const entry = await this.#entry(current.id);
    await this.#plan.putUser({ ...entry, user: { ...result, groupIds: entry.user.groupIds, isAdmin: entry.user.isAdmin } });
    await this.#plan.record([this.writes.updateUser(current.id, body)]);
    return result;
  }

  async setUserActive(id: string, active: boolean, current?: DirectoryUser): Promise<void> {
    const user = current ?? (await this.getUser(id));
    if (!user) throw new TargetError('not_found', `BI user ${id} not found`, 404);
    if (user.active === active && !(!active && this.writes.deactivatesInactive)) return;
    const entry = await this.#entry(id);
    await this.#plan.putUser({ ...entry, user: { ...entry.user, active } });
    // What the BI tool drops on reactivation (Metabase: Administrators) is dropped from the plan's view too.
    if (active && !user.active) for (const groupId of this.reactivationLosses(user)) await this.#changeMembers(groupId, [id], 'remove', true);
    await this.#plan.record([this.writes.setActive(id, active)]);
  }

  async clearMemberships(user: DirectoryUser): Promise<void> {
    const kept = await this.writes.keptGroups();
    const leaving = user.groupIds.filter((g) => !kept.includes(g));
    for (const groupId of leaving) await this.#changeMembers(groupId, [user.id], 'remove', false);
    await this.#plan.record(this.writes.clearMemberships(user, leaving));
  }

  async deleteUser(id: string): Promise<void> {
    if (!this.writes.canDeleteUsers) return this.#base.deleteUser(id);
    const entry = await this.#entry(id);
    await this.#plan.putUser({ ...entry, deleted: true });
    await this.#plan.record([this.writes.deleteUser(id)]);
  }

  /** The BI tool's groups seen through the plan, then the ones it creates. */
  async listGroups(): Promise<DirectoryGroup[]> {
    const [o, groups] = await Promise.all([this.#plan.overlay(), this.#base.listGroups()]);
    const seen = groups.map((g) => o.groups.get(g.id) ?? { group: g, wasName: g.name });
    const created = [...o.groups.values()].filter((g) => g.wasName === null);
    return [...seen, ...created].filter((g) => !g.deleted).map((g) => g.group);
  }

  async getGroup(id: string): Promise<DirectoryGroup | null> {
    const o = await this.#plan.overlay();
    const planned = o.groups.get(id);
    if (planned) return planned.deleted ? null : planned.group;
    return isProvisional(id) ? null : this.#base.getGroup(id);
  }

  async #groupNamed(name: string, lookUp: () => Promise<DirectoryGroup | null>): Promise<DirectoryGroup | null> {
    const o = await this.#plan.overlay();
    const planned = [...o.groups.values()].find((g) => !g.deleted && same(g.group.name, name));
    if (planned) return planned.group;
    const found = await lookUp();
    const seen = found && (o.groups.get(found.id) ?? { group: found });
    return seen && !('deleted' in seen && seen.deleted) && same(seen.group.name, name) ? seen.group : null;
  }

  findGroupByName(name: string) {
    return this.#groupNamed(name, () => this.#base.findGroupByName(name));
  }

  findMappingTarget(name: string) {
    return this.#groupNamed(name, () => this.#base.findMappingTarget(name));
  }

  async createGroup(name: string): Promise<DirectoryGroup> {
    if ((await this.listGroups()).some((g) => same(g.name, name))) throw new TargetError('conflict', `The BI tool already has a group "${name}"`, 409);
    const group = { id: await this.#plan.provisionalId(), name, hidden: false, isAdmin: false };
    await this.#plan.putGroup({ group, wasName: null });
    await this.#plan.record([this.writes.createGroup(name)]);
    return group;
  }

  async #requireGroup(id: string, what: string): Promise<DirectoryGroup> {
    const group = await this.getGroup(id);
    if (!group) throw new TargetError('not_found', `BI group ${id} not found`, 404);
    if (group.hidden) throw new TargetError('forbidden', `${group.name} is not managed by SCIM: refused to ${what} it`, 403);
    return group;
  }

  async renameGroup(id: string, name: string): Promise<DirectoryGroup> {
    const group = await this.#requireGroup(id, 'rename');
    if (group.name === name) return group;
    const holder = await this.findMappingTarget(name);
    if (holder && holder.id !== id) throw new TargetError('conflict', `The BI tool already has a group "${name}"`, 409);
    const o = await this.#plan.overlay();
    const renamed = { ...group, name };
    await this.#plan.putGroup({ group: renamed, wasName: o.groups.get(id)?.wasName ?? (isProvisional(id) ? null : group.name) });
    await this.#plan.record(this.writes.renameGroup(id, name, same(group.name, name)));
    return renamed;
  }

  async deleteGroup(id: string): Promise<void> {
    const group = await this.getGroup(id);
    if (group?.hidden) throw new TargetError('forbidden', `${group.name} is not managed by SCIM: refused to delete it`, 403);
    if (group) {
      const o = await this.#plan.overlay();
      await this.#plan.putGroup({ group, wasName: o.groups.get(id)?.wasName ?? (isProvisional(id) ? null : group.name), deleted: true });
    }
    if (group || this.writes.deletesUnknownGroups) await this.#plan.record([this.writes.deleteGroup(id)]);
  }

  async listMembers(groupId: string): Promise<string[]> {
    const group = await this.getGroup(groupId);
    if (!group) throw new TargetError('not_found', `BI group ${groupId} not found`, 404);
    const [o, members] = await Promise.all([this.#plan.overlay(), isProvisional(groupId) ? [] : this.#base.listMembers(groupId)]);
    const change = o.members.get(groupId);
    const current = new Set(members);
    for (const id of change?.removed ?? []) current.delete(id);
    for (const id of change?.added ?? []) current.add(id);
    return [...current];
  }

  /** Unknown people change nothing and are named, as the BI tools answer them. */
  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    const group = await this.getGroup(groupId);
    if (!group) throw new TargetError('not_found', `BI group ${groupId} not found`, 404);
    const users = await Promise.all([...new Set(userIds)].map((id) => this.getUser(id)));
    const unknown = [...new Set(userIds)].filter((_, i) => !users[i]);
    if (unknown.length > 0) throw new TargetError('not_found', `BI users ${unknown.join(', ')} not found`, 404);
    const joining = (users as DirectoryUser[]).filter((u) => !u.groupIds.includes(groupId)).map((u) => u.id);
    if (joining.length === 0) return;
    await this.#changeMembers(groupId, joining, 'add', group.isAdmin);
    await this.#plan.record(this.writes.changeMembers(groupId, joining, 'add'));
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const group = await this.getGroup(groupId);
    if (!group) throw new TargetError('not_found', `BI group ${groupId} not found`, 404);
    const members = new Set(await this.listMembers(groupId));
    const leaving = [...new Set(userIds)].filter((id) => members.has(id));
    if (leaving.length === 0) return;
    await this.#changeMembers(groupId, leaving, 'remove', group.isAdmin);
    await this.#plan.record(this.writes.changeMembers(groupId, leaving, 'remove'));
  }

  #changeMembers(groupId: string, ids: string[], change: 'add' | 'remove', admin: boolean): Promise<void> {
    return this.#plan.updateMembers(groupId, (current) => {
      const { added, removed } = current ?? { added: [], removed: [] };
      const join = (list: string[]) => [...new Set([...list, ...ids])];
      const leave = (list: string[]) => list.filter((id) => !ids.includes(id));
      return {
        added: change === 'add' ? join(added) : leave(added),
        removed: change === 'add' ? leave(removed) : join(removed),
        admin: admin || (current?.admin ?? false),
      };
    });
  }

  /** The BI tool's client belongs to the real target. */
  async close(): Promise<void> {}
}
