// The Metabase Target: /api/user and /api/permissions/* of an unmodified open-source Metabase.
// Longer because it is the whole Target port for Metabase in one class; payloads and the session have files of their own.
import { randomUUID } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput, Page, ServiceAccount } from '../../directory.ts';
import { ApiClient, isNumericId } from '../api-client.ts';
import { HttpClient, type HttpCallSample } from '../http.ts';
import { METABASE_CALLS } from '../planning-calls.ts';
import { fieldsWritten, TargetError, type Preview, type Target } from '../target.ts';
import {
  groupMember,
  ignored,
  isApiKeyUser,
  isPerson,
  metabaseError,
  metabaseGroup,
  metabaseUser,
  toDirectoryGroup,
  toDirectoryUser,
  toUserCreate,
  toUserUpdate,
  userId,
  userMemberships,
  userPage,
  type UserMemberships,
} from './payloads.ts';
import { z } from 'zod';
import { MetabaseSession, type MetabaseCredentials } from './session.ts';

export interface MetabaseTargetOptions {
  url: string;
  credentials: MetabaseCredentials;
  timeoutMs?: number;
  onCall?: (sample: HttpCallSample) => void;
}

const ADMIN_GROUP_ID = '2';
/** Parallel reads one request may make against Metabase. */
const BI_CONCURRENCY = 8;
const ALL_USERS_GROUP_ID = 1;

export class MetabaseTarget implements Target {
  readonly kind = 'metabase';
  readonly adminGroupsAreFixed = true;
  readonly writes = METABASE_CALLS;
  private readonly http: HttpClient;
  private readonly session: MetabaseSession;
  private readonly api: ApiClient;

  constructor({ url, credentials, timeoutMs, onCall }: MetabaseTargetOptions) {
    this.http = new HttpClient({ baseUrl: url, timeoutMs, onCall });
    this.session = new MetabaseSession(this.http, credentials);
    this.api = new ApiClient(this.session, { toError: metabaseError });
  }

  async checkHealth(): Promise<void> {
    const health = await this.http.call('GET', '/api/health');
    if (health.status !== 200) throw new TargetError('unavailable', `Metabase health answered ${health.status}`, health.status);
    const account = await this.serviceAccount();
    if (!account.isAdmin)
      throw new TargetError('auth', "the Metabase credentials are not in the Administrators group: bi-scim needs an administrator's API key or login");
  }

  async serviceAccount(): Promise<ServiceAccount> {
    const me = await this.api.must('GET', '/api/user/current', {}, metabaseUser);
    return { userId: String(me.id), email: me.email, isAdmin: me.is_superuser };
  }

  /** API-key and internal users are reachable by id but are not people: SCIM never sees them (nor does /api/user). */
  async getUser(id: string): Promise<DirectoryUser | null> {
    if (!isNumericId(id)) return null;
    const user = await this.api.send('GET', '/api/user/:id', { params: { id } }, metabaseUser, true);
    return user && isPerson(user) ? toDirectoryUser(user) : null;
  }

  /** `query` is a case-insensitive substring match (and `%`/`_` are wildcards), so the exact match is made here. */
  async findUserByEmail(email: string): Promise<DirectoryUser | null> {
    const page = await this.api.must('GET', '/api/user', { query: { status: 'all', query: email } }, userPage);
    const match = page.data.find((u) => u.email.toLowerCase() === email.toLowerCase());
    return match ? toDirectoryUser(match) : null;
  }

  findUserByUsername(username: string): Promise<DirectoryUser | null> {
    return this.findUserByEmail(username);
  }

  /** Metabase orders by lower(first_name), lower(last_name), id: a total order, so pages are stable. */
  async listUsers(offset: number, limit: number): Promise<Page<DirectoryUser>> {
    const page = await this.api.must('GET', '/api/user', { query: { status: 'all', limit, offset } }, userPage);
    return { items: page.data.map(toDirectoryUser), total: page.total };
  }

  /** `total` counts every match whatever the page size (metabase-api.md §1.3), so one row is enough. */
  async countActiveUsers(): Promise<number> {
    return (await this.api.must('GET', '/api/user', { query: { status: 'active', limit: 1, offset: 0 } }, userPage)).total;
  }

  async createUser(input: DirectoryUserInput): Promise<DirectoryUser> {
    const created = await this.api.must('POST', '/api/user', { json: toUserCreate(input) }, metabaseUser);
    // POST /api/user takes no locale: the caller's follow-up updateUser sets it.
    return toDirectoryUser(created);
  }

  async updateUser(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Promise<DirectoryUser> {
    const body = toUserUpdate(current, changes);
    if (Object.keys(body).length === 0) return current;
    const updated = await this.api.must('PUT', '/api/user/:id', { params: { id: current.id }, json: body }, metabaseUser);
    return toDirectoryUser(updated);
  }

  fieldsToWrite(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Array<keyof DirectoryUserInput> {
    return fieldsWritten(toUserUpdate, current, changes);
  }

  /** A new person is active, in All Users only, without a locale (set by the follow-up update), email lower-cased. */
  async previewCreate(input: DirectoryUserInput): Promise<Preview<Omit<DirectoryUser, 'id'>>> {
    const body = toUserCreate(input);
    const none = { username: null, locale: null, active: true, isAdmin: false, ssoSource: null, created: null, lastModified: null };
    return {
      body,
      result: { ...none, email: body.email.toLowerCase(), givenName: body.first_name, familyName: body.last_name, groupIds: [String(ALL_USERS_GROUP_ID)] },
    };
  }

  previewUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Preview<DirectoryUser> {
    const body = toUserUpdate(current, changes);
    const column = <T>(name: string, now: T) => (name in body ? (body[name] as T) : now);
    const email = column('email', current.email).toLowerCase();
    const result = {
      ...current,
      email,
      givenName: column('first_name', current.givenName),
      familyName: column('last_name', current.familyName),
      locale: column('locale', current.locale),
    };
    return { body, result };
  }

  async setUserActive(id: string, active: boolean, current?: DirectoryUser): Promise<void> {
    if (!active) {
      await this.api.must('DELETE', '/api/user/:id', { params: { id } }, ignored);
      return;
    }
    const before = current ?? (await this.getUser(id));
    if (!before) throw new TargetError('not_found', `Metabase user ${id} not found`, 404);
    if (before.active) return;
    await this.api.must('PUT', '/api/user/:id/reactivate', { params: { id } }, ignored);
  }

  /** Reactivation clears is_superuser and with it the Administrators membership (metabase-api.md §1.8). */
  reactivationLosses(user: DirectoryUser): string[] {
    return user.groupIds.includes(ADMIN_GROUP_ID) ? [ADMIN_GROUP_ID] : [];
  }

  /** Every group but All Users, which Metabase keeps for everyone: one read of the membership map, then each removal. */
  async clearMemberships(user: DirectoryUser): Promise<void> {
    const memberships = (await this.membershipsOf([user.id])).get(user.id) ?? [];
    for (const { group_id, membership_id } of memberships) {
      if (group_id !== ALL_USERS_GROUP_ID) await this.deleteMembership(membership_id);
    }
  }

  /** People in Administrators who are active; /api/user lists no API-key or internal user. */
  async activeAdmins(): Promise<Map<string, string[]>> {
    const page = await this.api.must('GET', '/api/user', { query: { status: 'active', group_id: ADMIN_GROUP_ID } }, userPage);
    return new Map(page.data.filter(isPerson).map((u) => [String(u.id), [ADMIN_GROUP_ID]]));
  }

  /** Metabase's user answer always tells (`is_superuser`). */
  async isAdministrator(user: DirectoryUser): Promise<boolean> {
    return user.isAdmin === true;
  }

  async deleteUser(): Promise<void> {
    throw new TargetError('invalid', 'Metabase cannot delete people, only deactivate them');
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    const groups = await this.api.must('GET', '/api/permissions/group', {}, z.array(metabaseGroup));
    return groups.map(toDirectoryGroup).sort((a, b) => Number(a.id) - Number(b.id));
  }

  async getGroup(id: string): Promise<DirectoryGroup | null> {
    const group = isNumericId(id) ? (await this.listGroups()).find((g) => g.id === id) : undefined;
    return group ?? null;
  }

  async findGroupByName(name: string): Promise<DirectoryGroup | null> {
    const group = await this.findMappingTarget(name);
    return group && !group.hidden ? group : null;
  }

  async findMappingTarget(name: string): Promise<DirectoryGroup | null> {
    const groups = await this.listGroups();
    return groups.find((g) => g.name.toLowerCase() === name.toLowerCase()) ?? null;
  }

  async createGroup(name: string): Promise<DirectoryGroup> {
    return toDirectoryGroup(await this.api.must('POST', '/api/permissions/group', { json: { name } }, metabaseGroup));
  }

  /** Metabase refuses a rename that only changes case (the name collides with itself), so that goes via a free name. */
  async renameGroup(id: string, name: string): Promise<DirectoryGroup> {
    const rename = (to: string) => this.api.must('PUT', '/api/permissions/group/:id', { params: { id }, json: { name: to } }, metabaseGroup);
    const current = await this.getGroup(id);
    if (current && current.name !== name && current.name.toLowerCase() === name.toLowerCase()) {
      await rename(`${name} (${randomUUID().slice(0, 8)})`);
    }
    return toDirectoryGroup(await rename(name));
  }

  async deleteGroup(id: string): Promise<void> {
    await this.api.send('DELETE', '/api/permissions/group/:id', { params: { id } }, ignored, true);
  }

  /**
   * Everyone in the group, deactivated people included (their memberships are kept), so deltas see them too. The
   * answer carries each person whole; only the ids are kept as it is read.
   */
  async listMembers(groupId: string): Promise<string[]> {
    if (!isNumericId(groupId)) throw new TargetError('not_found', `Metabase group ${groupId} not found`, 404);
    const ids: string[] = [];
    await this.api.each('GET', '/api/user', { query: { status: 'all', group_id: groupId } }, '$.data.*', userId, (u) => ids.push(String(u.id)));
    return ids;
  }

  /**
   * Everyone's groups are read first: a duplicate insert is a 500 in Metabase, and an unknown id must change nothing.
   * The reads stop at the first batch holding an unknown id, so a list of made-up ids costs a few calls, not one each.
   */
  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    const users: DirectoryUser[] = [];
    for (let start = 0; start < userIds.length; start += BI_CONCURRENCY) {
      const batch = userIds.slice(start, start + BI_CONCURRENCY);
      const found = await Promise.all(batch.map((id) => this.getUser(id)));
      const unknown = batch.filter((_, i) => !found[i]);
      if (unknown.length > 0) throw new TargetError('not_found', `Metabase users ${unknown.join(', ')} not found`, 404);
      users.push(...(found as DirectoryUser[]));
    }
    for (const user of users) {
      if (user.groupIds.includes(groupId)) continue;
      // The answer is the group's whole member list (metabase-api.md §2.2): drained unread.
      await this.api.must('POST', '/api/permissions/membership', { json: { group_id: Number(groupId), user_id: Number(user.id) }, discardBody: true }, ignored);
    }
  }

  /**
   * Membership ids come from the group's active members; deactivated people's only from the whole membership map.
   * Both answers grow with the group or the directory, so only the memberships of the people leaving are kept.
   */
  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    if (!isNumericId(groupId)) throw new TargetError('not_found', `Metabase group ${groupId} not found`, 404);
    const leaving = new Set(userIds);
    const membershipIds = new Map<string, number>();
    await this.api.each('GET', '/api/permissions/group/:id', { params: { id: groupId } }, '$.members.*', groupMember, (m) => {
      if (leaving.has(String(m.user_id)) && !isApiKeyUser(m.email)) membershipIds.set(String(m.user_id), m.membership_id);
    });
    const missing = userIds.filter((id) => !membershipIds.has(id));
    if (missing.length > 0) {
      for (const [id, memberships] of await this.membershipsOf(missing)) {
        const membership = memberships.find((m) => String(m.group_id) === groupId && m.group_id !== ALL_USERS_GROUP_ID);
        if (membership) membershipIds.set(id, membership.membership_id);
      }
    }
    for (const userId of userIds) {
      const membershipId = membershipIds.get(userId);
      if (membershipId !== undefined) await this.deleteMembership(membershipId);
    }
  }

  /** These people's entries of the membership map, which holds everyone, deactivated people included. */
  private async membershipsOf(userIds: string[]): Promise<Map<string, UserMemberships>> {
    const wanted = new Set(userIds);
    const found = new Map<string, UserMemberships>();
    await this.api.each('GET', '/api/permissions/membership', {}, '$.*', userMemberships, (memberships, key) => {
      if (wanted.has(String(key))) found.set(String(key), memberships);
    });
    return found;
  }

  private async deleteMembership(id: number): Promise<void> {
    await this.api.send('DELETE', '/api/permissions/membership/:id', { params: { id } }, ignored, true);
  }

  async close(): Promise<void> {
    await this.session.close();
    await this.http.close();
  }
}
