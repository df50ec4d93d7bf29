// The Superset Target: FAB's security REST API (/api/v1/security/users|roles|groups/) of an unmodified Apache Superset.
// Longer because it is the whole Target port for Superset in one class; roles, admins, members and payloads have files of their own.
import { PromiseCache } from '../../cache.ts';
import type { Config } from '../../config.ts';
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput, Page, ServiceAccount } from '../../directory.ts';
import { isNumericId } from '../api-client.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { HttpClient, type HttpCallSample } from '../http.ts';
import { supersetCalls, type CallModel } from '../planning-calls.ts';
import { fieldsWritten, TargetError, type Preview, type Target } from '../target.ts';
import { activeAdmins } from './admins.ts';
import { MemberWriter } from './members.ts';
import {
  ADMIN_ROLE,
  BI_CONCURRENCY,
  BUILT_IN_ROLES,
  GROUP_NAME_MAX,
  ITEM_ONLY,
  PAGE_SIZE,
  ROUTES,
  fromGroup,
  holdsAdmin,
  fromRole,
  listQuery,
  formatGroupRef,
  parseGroupRef,
} from './payloads.ts';
import {
  fromUserBody,
  idRow,
  ignored,
  item,
  listPage,
  meAnswer,
  supersetGroup,
  supersetRef,
  supersetUser,
  toDirectoryUser,
  toUserCreate,
  toUserUpdate,
} from './payloads.ts';
import type { Filter, GroupRef, MappingContext, SupersetGroup, SupersetUser } from './payloads.ts';
import { SupersetApi, SupersetSession, type SessionOptions } from './session.ts';

export interface SupersetTargetOptions {
  url: string;
  username: string;
  password: string;
  superset: Config['superset'];
  http?: { onCall?: (sample: HttpCallSample) => void; timeoutMs?: number };
  /** Serialises read-modify-write of one user's or group's lists across replicas. */
  withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  session?: SessionOptions;
}

const { users: USERS, user: USER, groups: GROUPS, group: GROUP, roles: ROLES, role: ROLE } = ROUTES;
/** Group columns without `users`, which would carry every member. */
const GROUP_COLUMNS = ['id', 'name', 'roles.id', 'roles.name'];

export class SupersetTarget implements Target {
  readonly kind = 'superset';
  readonly adminGroupsAreFixed = false;
  readonly writes: CallModel;
  private readonly http: HttpClient;
  private readonly session: SupersetSession;
  private readonly api: SupersetApi;
  private readonly settings: Config['superset'];
  private readonly hiddenRoles: ReadonlySet<string>;
  /** Admin's and the baseline role's ids never change while Superset runs. */
  private readonly roleIds = new PromiseCache<string, number>();
  private readonly members: MemberWriter;

  constructor({ url, username, password, superset, http, withLock, session }: SupersetTargetOptions) {
    this.http = new HttpClient({ baseUrl: url, timeoutMs: http?.timeoutMs, onCall: http?.onCall });
    this.session = new SupersetSession(this.http, { username, password }, session);
    this.api = new SupersetApi(this.session);
    this.settings = superset;
    this.hiddenRoles = new Set([...BUILT_IN_ROLES, superset.baselineRole].map((n) => n.toLowerCase()));
    this.members = new MemberWriter(this.api, withLock, () => this.baselineRoleId());
    this.writes = supersetCalls(superset.groupMode, { name: superset.baselineRole, ref: () => this.existingBaselineRole() });
  }

  private get mode() {
    return this.settings.groupMode;
  }

  /** A role's id, looked up once; the baseline role is created empty if it is missing. */
  private roleId(name: string): Promise<number> {
    return this.roleIds.get(name, () => this.lookUpRole(name, name === this.settings.baselineRole));
  }

  private async lookUpRole(name: string, create: boolean): Promise<number> {
    const found = await this.api.findByName(ROLES, 'name', name, supersetRef);
    if (found) return found.id;
    if (!create) throw new TargetError('bad_gateway', `Superset has no "${name}" role: run "superset init"`);
    // Another replica creating it at the same time makes this POST fail (FAB answers 500); the lookup then finds it.
    const created = await this.api.send('POST', ROLES, { json: { name } }, idRow).catch(() => null);
    return created?.id ?? (await this.lookUpRole(name, false));
  }

  /** The baseline role's neutral id without creating it (a dry run writes nothing). */
  private async existingBaselineRole(): Promise<string | null> {
    const found = await this.api.findByName(ROLES, 'name', this.settings.baselineRole, supersetRef);
    return found ? formatGroupRef({ kind: 'role', pk: found.id }, this.mode) : null;
  }

  private baselineRoleId(): Promise<number> {
    return this.roleId(this.settings.baselineRole);
  }

  private groupRows(filters: Filter[] = []): Promise<SupersetGroup[]> {
    return this.api.list(GROUPS, filters, supersetGroup, GROUP_COLUMNS);
  }

  private async context(): Promise<MappingContext> {
    return { mode: this.mode, adminRoleId: await this.roleId(ADMIN_ROLE), hiddenRoles: this.hiddenRoles };
  }

  /**
   * A person is an administrator through the Admin role or a FAB group carrying it. FAB's user answer names the
   * groups without their roles, so a read leaves `isAdmin` null for people in groups: the few writes that need it ask
   * `isAdministrator`, and reads stay one call.
   */
  private async toUsers(rows: SupersetUser[]): Promise<DirectoryUser[]> {
    const ctx = await this.context();
    return rows.map((u) => toDirectoryUser(u, ctx));
  }

  /** The roles of the person's FAB groups, read live: a grant of Admin to a group made by hand a second ago counts. */
  async isAdministrator(user: DirectoryUser): Promise<boolean> {
    if (user.isAdmin !== null) return user.isAdmin;
    // Groups mode lists FAB groups among groupIds by their bare pk; roles mode shows roles only, so the row tells.
    const pks = this.mode === 'groups' ? user.groupIds.filter(isNumericId).map(Number) : (await this.requireUserRow(user.id)).groups.map((g) => g.id);
    if (pks.length === 0) return false;
    const adminRoleId = await this.roleId(ADMIN_ROLE);
    return (await this.groupRows([{ col: 'id', opr: 'in', value: pks }])).some((g) => holdsAdmin(g, adminRoleId));
  }

  private async toUser(row: SupersetUser | null): Promise<DirectoryUser | null> {
    return row && (await this.toUsers([row]))[0];
  }

  async checkHealth(): Promise<void> {
    const health = await this.http.call('GET', '/health');
    if (health.status !== 200) throw new TargetError('unavailable', `Superset /health answered ${health.status}`, health.status);
    // 404 here means the security API is not registered, 403 that the account may not use it.
    await this.api.must('GET', '/api/v1/security/users/_info', { query: { q: '(keys:!(permissions))' } }, ignored);
    if (!(await this.serviceAccount()).isAdmin) throw new TargetError('auth', `the Superset account "${this.session.username}" does not have the Admin role`);
  }

  async serviceAccount(): Promise<ServiceAccount> {
    const me = await this.api.must('GET', '/api/v1/me/', {}, meAnswer);
    const user = await this.getUser(String(me.result.id));
    return { userId: String(me.result.id), email: me.result.email, isAdmin: user ? await this.isAdministrator(user) : false };
  }

  private async userRow(id: string): Promise<SupersetUser | null> {
    if (!isNumericId(id)) return null;
    return (await this.api.send('GET', USER, { params: { id }, query: ITEM_ONLY }, item(supersetUser), true))?.result ?? null;
  }

  private async requireUserRow(id: string): Promise<SupersetUser> {
    const row = await this.userRow(id);
    if (!row) throw new TargetError('not_found', `Superset user ${id} not found`, 404);
    return row;
  }

  async getUser(id: string): Promise<DirectoryUser | null> {
    return this.toUser(await this.userRow(id));
  }

  async findUserByEmail(email: string): Promise<DirectoryUser | null> {
    return this.toUser(await this.api.findByName(USERS, 'email', email, supersetUser));
  }

  async findUserByUsername(username: string): Promise<DirectoryUser | null> {
    return this.toUser(await this.api.findByName(USERS, 'username', username, supersetUser));
  }

  /** FAB pages are fixed windows: one page when the window lines up, otherwise the 100-row pages that cover it. */
  async listUsers(offset: number, limit: number): Promise<Page<DirectoryUser>> {
    const size = limit > 0 && limit <= PAGE_SIZE && offset % limit === 0 ? limit : PAGE_SIZE;
    const first = Math.floor(offset / size);
    const pageNumbers = Array.from({ length: Math.max(Math.floor((offset + limit - 1) / size) - first + 1, 1) }, (_, i) => first + i);
    const pages = await mapWithConcurrency(pageNumbers, BI_CONCURRENCY, (page) =>
      this.api.must('GET', USERS, { query: { q: listQuery([], page, size) } }, listPage(supersetUser)),
    );
    const start = offset - first * size;
    const rows = pages.flatMap((p) => p.result).slice(start, start + Math.max(limit, 0));
    return { items: await this.toUsers(rows), total: pages[0].count };
  }

  /** `count` counts every match whatever the page (superset-api.md §3.2), so one row is enough. */
  async countActiveUsers(): Promise<number> {
    const q = listQuery([{ col: 'active', opr: 'eq', value: true }], 0, 1, ['id']);
    return (await this.api.must('GET', USERS, { query: { q } }, listPage(idRow))).count;
  }

  /** FAB's uniqueness is exact-case, but its logins match usernames case-insensitively and fail on two matches. */
  private async assertUserFree(values: Partial<Record<'email' | 'username', string>>, ownId: string | null): Promise<void> {
    for (const [col, value] of Object.entries(values)) {
      const holder = await this.api.findByName(USERS, col, value, idRow, ['id', col]);
      if (holder && String(holder.id) !== ownId) throw new TargetError('conflict', `Superset user ${holder.id} already has ${col} "${value}"`, 409);
    }
  }

  /** FAB's POST answers only the id; the person it made holds what was sent and the baseline role alone. */
  async createUser(input: DirectoryUserInput): Promise<DirectoryUser> {
    const baseline = await this.baselineRoleId();
    const body = toUserCreate(input, baseline);
    await this.assertUserFree({ email: input.email, username: body.username as string }, null);
    const created = await this.api.must('POST', USERS, { json: body }, idRow);
    return { id: String(created.id), ...(await this.madeFrom(body, baseline)) };
  }

  /** The person a create body makes: no group, the baseline role (none before its first real create). */
  private async madeFrom(body: Record<string, unknown>, baseline: number | null): Promise<Omit<DirectoryUser, 'id'>> {
    const roles = baseline === null ? [] : [formatGroupRef({ kind: 'role', pk: baseline }, this.mode)];
    const isAdmin = baseline !== null && baseline === (await this.roleId(ADMIN_ROLE));
    const none = { username: null, givenName: null, familyName: null, locale: null, ssoSource: null, created: null, lastModified: null };
    return { ...none, email: body.email as string, ...fromUserBody(body), active: true, isAdmin, groupIds: roles };
  }

  /** A PUT that breaks uniqueness is a bare 500 in FAB, so uniqueness is checked first; FAB's answer echoes what was sent. */
  async updateUser(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Promise<DirectoryUser> {
    const body = toUserUpdate(current, changes);
    if (Object.keys(body).length === 0) return current;
    const moved = (col: 'email' | 'username') =>
      body[col] !== undefined && body[col].toLowerCase() !== (current[col] ?? '').toLowerCase() ? { [col]: body[col] } : {};
    await this.assertUserFree({ ...moved('email'), ...moved('username') }, current.id);
    await this.api.must('PUT', USER, { params: { id: current.id }, json: body }, ignored);
    return this.previewUpdate(current, changes).result;
  }

  /** `active:false` keeps roles and groups, and FAB refuses an inactive person's logins and tokens at once. */
  fieldsToWrite(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Array<keyof DirectoryUserInput> {
    return fieldsWritten(toUserUpdate, current, changes);
  }

  /** The password stays out of the preview; a missing baseline role (created on the first real create) leaves no role. */
  async previewCreate(input: DirectoryUserInput): Promise<Preview<Omit<DirectoryUser, 'id'>>> {
    const ref = await this.existingBaselineRole();
    const baseline = ref === null ? null : Number(parseGroupRef(ref, this.mode)!.pk);
    const { password: _, ...body } = toUserCreate(input, baseline ?? 0);
    return { body, result: await this.madeFrom(body, baseline) };
  }

  previewUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Preview<DirectoryUser> {
    const body = toUserUpdate(current, changes);
    return { body, result: { ...current, ...fromUserBody(body) } };
  }

  async setUserActive(id: string, active: boolean, current?: DirectoryUser): Promise<void> {
    const user = current ?? (await this.toUser(await this.requireUserRow(id)))!;
    if (user.active === active) return;
    await this.api.must('PUT', USER, { params: { id }, json: { active } }, ignored);
  }

  /** FAB drops nothing on reactivation: roles and groups stay as they were. */
  reactivationLosses(): string[] {
    return [];
  }

  /** One PUT: no group, and the baseline role alone (FAB refuses a person with neither). */
  async clearMemberships(user: DirectoryUser): Promise<void> {
    await this.api.must('PUT', USER, { params: { id: user.id }, json: { roles: [await this.baselineRoleId()], groups: [] } }, ignored);
  }

  async activeAdmins(): Promise<Map<string, string[]>> {
    const [groups, adminRoleId] = await Promise.all([this.groupRows(), this.roleId(ADMIN_ROLE)]);
    const adminGroupIds = new Set(groups.filter((g) => holdsAdmin(g, adminRoleId)).map((g) => g.id));
    return activeAdmins(this.api, { adminRoleId, adminGroupIds, adminRoleRef: formatGroupRef({ kind: 'role', pk: adminRoleId }, this.mode) });
  }

  /** Fails with `conflict` where the database keeps references to the person (PostgreSQL/MySQL foreign keys). */
  async deleteUser(id: string): Promise<void> {
    // The ORM delete drops the person's role and group links too, also on SQLite where ids are reused.
    await this.api.must('DELETE', USER, { params: { id } }, ignored);
  }

  // Groups: FAB groups (id = pk) plus roles as hidden `role:<pk>` in groups mode; roles only (id = pk) in roles mode.

  async listGroups(): Promise<DirectoryGroup[]> {
    const [groups, roles] = await Promise.all([this.groupRows(), this.api.list(ROLES, [], supersetRef)]);
    const ctx = await this.context();
    return [...(this.mode === 'groups' ? groups.map((g) => fromGroup(g, ctx)) : []), ...roles.map((r) => fromRole(r, ctx))];
  }

  private async groupByRef(ref: GroupRef): Promise<DirectoryGroup | null> {
    const byId: Filter[] = [{ col: 'id', opr: 'eq', value: ref.pk }];
    if (ref.kind === 'role') {
      const [role] = await this.api.list(ROLES, byId, supersetRef);
      return role ? fromRole(role, await this.context()) : null;
    }
    const [group] = await this.groupRows(byId);
    return group ? fromGroup(group, await this.context()) : null;
  }

  async getGroup(id: string): Promise<DirectoryGroup | null> {
    const ref = parseGroupRef(id, this.mode);
    return ref && this.groupByRef(ref);
  }

  private async requireGroup(id: string): Promise<{ ref: GroupRef; group: DirectoryGroup }> {
    const ref = parseGroupRef(id, this.mode);
    const group = ref && (await this.groupByRef(ref));
    if (!ref || !group) throw new TargetError('not_found', `Superset group ${id} not found`, 404);
    return { ref, group };
  }

  /** The kind SCIM manages, by exact case-insensitive name: FAB groups in groups mode, roles in roles mode. */
  private async managedByName(name: string): Promise<DirectoryGroup | null> {
    if (this.mode === 'roles') return this.roleByName(name);
    const group = await this.api.findByName(GROUPS, 'name', name, supersetGroup, GROUP_COLUMNS);
    return group && fromGroup(group, await this.context());
  }

  private async roleByName(name: string): Promise<DirectoryGroup | null> {
    const role = await this.api.findByName(ROLES, 'name', name, supersetRef);
    return role && fromRole(role, await this.context());
  }

  async findGroupByName(name: string): Promise<DirectoryGroup | null> {
    const group = await this.managedByName(name);
    return group && !group.hidden ? group : null;
  }

  /** Mappings name roles (Admin, Alpha, …); in groups mode an existing FAB group of that name is the fallback. */
  async findMappingTarget(name: string): Promise<DirectoryGroup | null> {
    return (await this.roleByName(name)) ?? (this.mode === 'groups' ? this.managedByName(name) : null);
  }

  /** FAB's unique constraint is exact-case; SCIM displayNames are unique ignoring case. */
  private async assertNameFree(name: string, ownId: string | null): Promise<void> {
    const holder = await this.managedByName(name);
    if (holder && holder.id !== ownId) throw new TargetError('conflict', `Superset already has "${holder.name}" (${holder.id})`, 409);
  }

  async createGroup(name: string): Promise<DirectoryGroup> {
    if (name.length > GROUP_NAME_MAX) throw new TargetError('invalid', `Superset group names are at most ${GROUP_NAME_MAX} characters`);
    await this.assertNameFree(name, null);
    const kind = this.mode === 'roles' ? 'role' : 'group';
    const [route, json] = kind === 'role' ? [ROLES, { name }] : [GROUPS, { name, label: name, description: 'Provisioned by bi-scim (SCIM)' }];
    const created = await this.api.must('POST', route, { json }, idRow);
    // FAB's POST answers only the id; what it made carries no role yet, so no Admin.
    const ctx = await this.context();
    return kind === 'role' ? fromRole({ id: created.id, name }, ctx) : fromGroup({ id: created.id, name, roles: [] }, ctx);
  }

  /** Roles that Superset or an operator owns are not SCIM's to rename or delete. */
  private assertManaged(group: DirectoryGroup, what: string): void {
    if (group.hidden) throw new TargetError('forbidden', `Superset ${group.name} is not managed by SCIM: refused to ${what} it`, 403);
  }

  async renameGroup(id: string, name: string): Promise<DirectoryGroup> {
    const { ref, group } = await this.requireGroup(id);
    this.assertManaged(group, 'rename');
    if (group.name === name) return group;
    await this.assertNameFree(name, id);
    const [route, json] = ref.kind === 'role' ? [ROLE, { name }] : [GROUP, { name, label: name }];
    await this.api.must('PUT', route, { params: { id: ref.pk }, json }, ignored);
    return (await this.groupByRef(ref))!;
  }

  async deleteGroup(id: string): Promise<void> {
    const ref = parseGroupRef(id, this.mode);
    const group = ref && (await this.groupByRef(ref));
    if (!ref || !group) return;
    this.assertManaged(group, 'delete');
    await this.api.send('DELETE', ref.kind === 'role' ? ROLE : GROUP, { params: { id: ref.pk } }, ignored, true);
  }

  /** Every member, inactive ones included: deactivation keeps memberships. A FAB group's read finds a missing group. */
  async listMembers(groupId: string): Promise<string[]> {
    const parsed = parseGroupRef(groupId, this.mode);
    if (parsed?.kind === 'group') return this.members.groupMemberIds(parsed.pk);
    const { ref } = await this.requireGroup(groupId);
    const rows = await this.api.list(USERS, [{ col: 'roles', opr: 'rel_m_m', value: ref.pk }], idRow, ['id']);
    return rows.map((r) => String(r.id));
  }

  addMembers(groupId: string, userIds: string[]): Promise<void> {
    return this.changeMembers(groupId, [...new Set(userIds)], 'add');
  }

  removeMembers(groupId: string, userIds: string[]): Promise<void> {
    return this.changeMembers(groupId, [...new Set(userIds)], 'remove');
  }

  /**
   * Every write is read-modify-write under a lock (members.ts); unknown ids change nothing. A FAB group's own read
   * (its users) finds a missing group; a role is looked up first.
   */
  private async changeMembers(groupId: string, ids: string[], change: 'add' | 'remove'): Promise<void> {
    const parsed = parseGroupRef(groupId, this.mode);
    const ref = parsed?.kind === 'group' ? parsed : (await this.requireGroup(groupId)).ref;
    if (ids.length === 0) return;
    const malformed = ids.filter((id) => !isNumericId(id));
    if (malformed.length > 0) throw new TargetError('not_found', `Superset users ${malformed.join(', ')} not found`, 404);
    await this.members.change(ref, ids, change);
  }

  async close(): Promise<void> {
    this.session.close();
    await this.http.close();
  }
}
