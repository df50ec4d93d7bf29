// The Metabase Target: /api/user and /api/permissions/* of an unmodified open-source Metabase.
import { randomUUID } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput, Page, ServiceAccount } from '../../directory.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { HttpClient, type CallOptions, type HttpCallSample, type HttpResponse } from '../http.ts';
import { TargetError, type Target } from '../target.ts';
import {
  isApiKeyUser,
  isPerson,
  metabaseError,
  toDirectoryGroup,
  toDirectoryUser,
  toUserUpdate,
  type MetabaseGroup,
  type MetabaseMember,
  type MetabaseUser,
} from './payloads.ts';
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

function isNumericId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

export class MetabaseTarget implements Target {
  readonly kind = 'metabase';
  private readonly http: HttpClient;
  private readonly session: MetabaseSession;

  constructor({ url, credentials, timeoutMs, onCall }: MetabaseTargetOptions) {
    this.http = new HttpClient({ baseUrl: url, timeoutMs, onCall });
    this.session = new MetabaseSession(this.http, credentials);
  }

  /** Calls Metabase and returns the body of a 2xx answer; 404 gives null when `allowMissing`. */
  private async send<T>(method: string, route: string, options: CallOptions = {}, allowMissing = false): Promise<T | null> {
    const res: HttpResponse = await this.session.call(method, route, options);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    if (allowMissing && res.status === 404) return null;
    throw metabaseError(method, route, res);
  }

  private async must<T>(method: string, route: string, options: CallOptions = {}): Promise<T> {
    return (await this.send<T>(method, route, options)) as T;
  }

  async checkHealth(): Promise<void> {
    const health = await this.http.call('GET', '/api/health');
    if (health.status !== 200) throw new TargetError('unavailable', `Metabase health answered ${health.status}`, health.status);
    const account = await this.serviceAccount();
    if (!account.isAdmin) throw new TargetError('forbidden', 'the Metabase credentials are not in the Administrators group');
  }

  async serviceAccount(): Promise<ServiceAccount> {
    const me = await this.must<MetabaseUser>('GET', '/api/user/current');
    return { userId: String(me.id), email: me.email, isAdmin: me.is_superuser };
  }

  /** API-key and internal users are reachable by id but are not people: SCIM never sees them (nor does /api/user). */
  async getUser(id: string): Promise<DirectoryUser | null> {
    if (!isNumericId(id)) return null;
    const user = await this.send<MetabaseUser>('GET', '/api/user/:id', { params: { id } }, true);
    return user && isPerson(user) ? toDirectoryUser(user) : null;
  }

  /** `query` is a case-insensitive substring match (and `%`/`_` are wildcards), so the exact match is made here. */
  async findUserByEmail(email: string): Promise<DirectoryUser | null> {
    const page = await this.must<{ data: MetabaseUser[] }>('GET', '/api/user', { query: { status: 'all', query: email } });
    const match = page.data.find((u) => u.email.toLowerCase() === email.toLowerCase());
    return match ? toDirectoryUser(match) : null;
  }

  findUserByUsername(username: string): Promise<DirectoryUser | null> {
    return this.findUserByEmail(username);
  }

  /** Metabase orders by lower(first_name), lower(last_name), id: a total order, so pages are stable. */
  async listUsers(offset: number, limit: number): Promise<Page<DirectoryUser>> {
    const page = await this.must<{ data: MetabaseUser[]; total: number }>('GET', '/api/user', {
      query: { status: 'all', limit, offset },
    });
    return { items: page.data.map(toDirectoryUser), total: page.total };
  }

  async createUser(input: DirectoryUserInput): Promise<DirectoryUser> {
    const created = await this.must<MetabaseUser>('POST', '/api/user', {
      json: { email: input.email, first_name: input.givenName, last_name: input.familyName },
    });
    // POST /api/user takes no locale: the caller's follow-up updateUser sets it.
    return toDirectoryUser(created);
  }

  async updateUser(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Promise<DirectoryUser> {
    const body = toUserUpdate(current, changes);
    if (Object.keys(body).length === 0) return current;
    const updated = await this.must<MetabaseUser>('PUT', '/api/user/:id', { params: { id: current.id }, json: body });
    return toDirectoryUser(updated);
  }

  /** Reactivation clears is_superuser and the Administrators membership, so an admin gets it back here. */
  async setUserActive(id: string, active: boolean, current?: DirectoryUser): Promise<void> {
    if (!active) {
      await this.must('DELETE', '/api/user/:id', { params: { id } });
      return;
    }
    const before = current ?? (await this.getUser(id));
    if (!before) throw new TargetError('not_found', `Metabase user ${id} not found`, 404);
    if (before.active) return;
    await this.must('PUT', '/api/user/:id/reactivate', { params: { id } });
    if (before.groupIds.includes(ADMIN_GROUP_ID)) await this.addMembers(ADMIN_GROUP_ID, [id]);
  }

  async deleteUser(): Promise<void> {
    throw new TargetError('invalid', 'Metabase cannot delete people, only deactivate them');
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    const groups = await this.must<MetabaseGroup[]>('GET', '/api/permissions/group');
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
    return toDirectoryGroup(await this.must<MetabaseGroup>('POST', '/api/permissions/group', { json: { name } }));
  }

  /** Metabase refuses a rename that only changes case (the name collides with itself), so that goes via a free name. */
  async renameGroup(id: string, name: string): Promise<DirectoryGroup> {
    const rename = (to: string) => this.must<MetabaseGroup>('PUT', '/api/permissions/group/:id', { params: { id }, json: { name: to } });
    const current = await this.getGroup(id);
    if (current && current.name !== name && current.name.toLowerCase() === name.toLowerCase()) {
      await rename(`${name} (${randomUUID().slice(0, 8)})`);
    }
    return toDirectoryGroup(await rename(name));
  }

  async deleteGroup(id: string): Promise<void> {
    await this.send('DELETE', '/api/permissions/group/:id', { params: { id } }, true);
  }

  /** Active members with their membership ids (Metabase lists no others here). */
  private async activeMembers(groupId: string): Promise<MetabaseMember[]> {
    if (!isNumericId(groupId)) throw new TargetError('not_found', `Metabase group ${groupId} not found`, 404);
    const group = await this.must<{ members?: MetabaseMember[] }>('GET', '/api/permissions/group/:id', { params: { id: groupId } });
    return (group.members ?? []).filter((m) => !isApiKeyUser(m.email));
  }

  /** Everyone in the group, deactivated people included (their memberships are kept), so deltas see them too. */
  async listMembers(groupId: string): Promise<string[]> {
    if (!isNumericId(groupId)) throw new TargetError('not_found', `Metabase group ${groupId} not found`, 404);
    const page = await this.must<{ data: MetabaseUser[] }>('GET', '/api/user', { query: { status: 'all', group_id: groupId } });
    return page.data.map((u) => String(u.id));
  }

  /** A duplicate membership insert is a 500 in Metabase, so each person's groups are checked first. */
  /** Everyone's groups are read first: a duplicate insert is a 500 in Metabase, and an unknown id must change nothing. */
  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    const users = await mapWithConcurrency(userIds, BI_CONCURRENCY, (id) => this.getUser(id));
    const unknown = userIds.filter((_, i) => !users[i]);
    if (unknown.length > 0) throw new TargetError('not_found', `Metabase users ${unknown.join(', ')} not found`, 404);
    for (const user of users) {
      if (user!.groupIds.includes(groupId)) continue;
      await this.must('POST', '/api/permissions/membership', { json: { group_id: Number(groupId), user_id: Number(user!.id) }, discardBody: true });
    }
  }

  /** Membership ids come from the group's active members; inactive people's only from the full membership map. */
  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const membershipIds = new Map((await this.activeMembers(groupId)).map((m) => [String(m.user_id), m.membership_id]));
    const missing = userIds.filter((id) => !membershipIds.has(id));
    if (missing.length > 0) {
      const all = await this.must<Record<string, Array<{ membership_id: number; group_id: number }>>>('GET', '/api/permissions/membership');
      for (const id of missing) {
        const membership = all[id]?.find((m) => String(m.group_id) === groupId && m.group_id !== ALL_USERS_GROUP_ID);
        if (membership) membershipIds.set(id, membership.membership_id);
      }
    }
    for (const userId of userIds) {
      const membershipId = membershipIds.get(userId);
      if (membershipId !== undefined) await this.send('DELETE', '/api/permissions/membership/:id', { params: { id: membershipId } }, true);
    }
  }

  async close(): Promise<void> {
    await this.session.close();
    await this.http.close();
  }
}

