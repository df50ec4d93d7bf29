// A Metabase test double on 127.0.0.1 that behaves as shared/reference/metabase-api.md describes, with test controls.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetabaseState, type MetabaseCore, type MetabaseStateOptions } from './metabase-double/core.ts';
import type { DoubleGroup, DoubleMembership, DoubleUser } from './metabase-double/directory.ts';
import { ADMIN_GROUP_ID } from './metabase-double/rules.ts';
import { createControls, createMetabaseHandler, type CallRecord, type DoubleControls } from './metabase-double/router.ts';

export { createMetabaseState, DEFAULT_API_KEY, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD } from './metabase-double/core.ts';
export type { MetabaseCore, MetabaseStateOptions } from './metabase-double/core.ts';
export { createControls, createMetabaseHandler } from './metabase-double/router.ts';
export type { CallRecord, DoubleControls } from './metabase-double/router.ts';
export type { DoubleGroup, DoubleMembership, DoubleUser, UserType } from './metabase-double/directory.ts';

export interface MetabaseDoubleOptions extends MetabaseStateOptions {
  /** Fixed delay before every answer (benchmarks use 5 ms). */
  delayMs?: number;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface MetabaseDouble {
  /** http://127.0.0.1:<port> */
  url: string;
  apiKey: string;
  adminEmail: string;
  adminPassword: string;
  /** Every request, in arrival order. */
  calls: CallRecord[];
  resetCalls(): void;
  callCount(filter?: { method?: string; pathPrefix?: string }): number;
  /** Successful POST /api/session logins so far. */
  readonly loginCount: number;
  /** Forgets every session, so the next call with one answers 401 `Unauthenticated`. */
  expireSessions(): void;
  /** Read-only copies of the tables. */
  state: {
    users(): DoubleUser[];
    groups(): DoubleGroup[];
    memberships(): DoubleMembership[];
    userByEmail(email: string): DoubleUser | undefined;
    groupByName(name: string): DoubleGroup | undefined;
    groupNamesOf(userId: number): string[];
  };
  /** Direct writes that skip the API's checks (SSO users, inactive users, passwords for login tests…). */
  seed: {
    /** `id` and `personal_collection_id` are always assigned by the double. */
    user(fields: Partial<DoubleUser> & { email: string }): DoubleUser;
    group(name: string): DoubleGroup;
    membership(userId: number, groupId: number): void;
  };
  /** The next `count` requests matching method/path prefix answer `status` (0 drops the connection unanswered). */
  failNext(match: { method?: string; pathPrefix?: string }, status: number, count?: number): void;
  /** The next matching call is answered with `body` as JSON, with status 200 unless given. */
  replyNext(match: { method?: string; pathPrefix?: string }, body: unknown, status?: number): void;
  /** The next matching calls are applied, then their answers are lost (the connection drops). */
  loseNextAnswer(match: { method?: string; pathPrefix?: string }, count?: number): void;
  /** The next matching calls get Metabase's usual answer, but their change is undone: a write silently ignored. */
  ignoreNextChange(match: { method?: string; pathPrefix?: string }, count?: number): void;
  setDelay(ms: number): void;
  /** The in-memory Metabase behind the server. */
  core: MetabaseCore;
  close(): Promise<void>;
}

function byId<T extends { id: number }>(rows: T[]): T[] {
  return rows.map((row) => ({ ...row })).sort((a, b) => a.id - b.id);
}

function stateViews(core: MetabaseCore): MetabaseDouble['state'] {
  const { directory } = core;
  const copy = <T extends object>(row: T | undefined): T | undefined => (row ? { ...row } : undefined);
  return {
    users: () => byId(directory.allUsers()),
    groups: () => byId(directory.allGroups()),
    memberships: () => byId(directory.allMemberships()),
    userByEmail: (email) => copy(directory.userByEmail(email)),
    groupByName: (name) => copy(directory.allGroups().find((g) => g.name.toLowerCase() === name.toLowerCase())),
    groupNamesOf: (userId) => core.rules.groupIdsOf(userId).map((id) => directory.group(id)!.name),
  };
}

function seeders(core: MetabaseCore): MetabaseDouble['seed'] {
  const { directory, rules } = core;
  return {
    user({ id: _id, personal_collection_id: _collection, ...fields }) {
      if (directory.userByEmail(fields.email)) throw new Error(`a user with email ${fields.email} already exists`);
      return { ...rules.createUser(fields) };
    },
    group(name) {
      return { ...rules.createGroup(name) };
    },
    membership(userId, groupId) {
      if (!directory.user(userId) || !directory.group(groupId)) throw new Error(`no user ${userId} or group ${groupId}`);
      if (directory.findMembership(userId, groupId)) throw new Error(`user ${userId} is already in group ${groupId}`);
      directory.insertMembership(userId, groupId);
      if (groupId === ADMIN_GROUP_ID) directory.updateUser(userId, { is_superuser: true });
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startMetabaseDouble(options: MetabaseDoubleOptions = {}): Promise<MetabaseDouble> {
  const core = createMetabaseState(options);
  const controls: DoubleControls = createControls(options.delayMs ?? 0);
  const server = createServer(createMetabaseHandler(core, controls));
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: core.apiKey,
    adminEmail: core.adminEmail,
    adminPassword: core.adminPassword,
    calls: controls.calls,
    resetCalls: () => void controls.calls.splice(0),
    callCount: ({ method, pathPrefix } = {}) =>
      controls.calls.filter((c) => (!method || c.method === method.toUpperCase()) && (!pathPrefix || c.path.startsWith(pathPrefix))).length,
    get loginCount() {
      return core.auth.loginCount;
    },
    expireSessions: () => core.auth.expireSessions(),
    state: stateViews(core),
    seed: seeders(core),
    failNext: (match, status, count = 1) => void controls.faults.push({ ...match, status, remaining: count }),
    replyNext: (match, body, status = 200) => void controls.faults.push({ ...match, status, remaining: 1, body }),
    loseNextAnswer: (match, count = 1) => void controls.faults.push({ ...match, status: 0, remaining: count, afterApplying: true }),
    ignoreNextChange: (match, count = 1) => void controls.faults.push({ ...match, status: 0, remaining: count, dropChange: true }),
    setDelay: (ms) => void (controls.delayMs = ms),
    core,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
