// Straight to Superset's security API (FAB): a JWT client that counts its calls, seeding, and the minimal pusher.
import { listQuery, toRison } from '../src/targets/superset/payloads.ts';
import { callJson, type JsonAnswer, type Pusher } from './pushers.ts';
import type { Person } from './scim.ts';

const USERS = '/api/v1/security/users/';
const GROUPS = '/api/v1/security/groups/';
const ROLES = '/api/v1/security/roles/';
const ITEM_ONLY = `?q=${encodeURIComponent(toRison({ keys: ['none'] }))}`;
const SEED_PASSWORD = 'Bench-Seed-Passw0rd!x';

export interface SupersetApi {
  url: string;
  /** Calls made so far (the login excluded). */
  calls: number;
  headers(): Record<string, string>;
  call(method: string, path: string, json?: unknown): Promise<JsonAnswer>;
}

/** Logs in once; a 401 (expired token) logs in again, once. */
export async function supersetApi(url: string, username: string, password: string): Promise<SupersetApi> {
  const login = async () => {
    const answer = await callJson(url, {}, 'POST', '/api/v1/security/login', { username, password, provider: 'db', refresh: false });
    return (answer.body as { access_token: string }).access_token;
  };
  let token = await login();
  const api: SupersetApi = {
    url,
    calls: 0,
    headers: () => ({ authorization: `Bearer ${token}` }),
    async call(method, path, json) {
      api.calls++;
      try {
        return await callJson(url, api.headers(), method, path, json);
      } catch (err) {
        if (!/answered 401/.test((err as Error).message)) throw err;
        token = await login();
        return callJson(url, api.headers(), method, path, json);
      }
    },
  };
  return api;
}

function listPath(route: string, col: string, opr: string, value: string, columns: string[]): string {
  return `${route}?q=${encodeURIComponent(listQuery([{ col, opr, value }], 0, 100, columns))}`;
}

export async function roleId(api: SupersetApi, name: string): Promise<number> {
  const found = (await api.call('GET', listPath(ROLES, 'name', 'eq', name, ['id', 'name']))).body as { result: Array<{ id: number }> };
  if (found.result.length === 0) throw new Error(`Superset has no role ${name}`);
  return found.result[0].id;
}

export async function createSupersetUser(api: SupersetApi, person: Person, baselineRoleId: number): Promise<string> {
  const body = {
    username: person.userName,
    email: person.userName,
    first_name: person.givenName,
    last_name: person.familyName,
    password: SEED_PASSWORD,
    active: true,
    roles: [baselineRoleId],
  };
  return String(((await api.call('POST', USERS, body)).body as { id: number }).id);
}

export async function createSupersetGroup(api: SupersetApi, name: string, userIds: string[] = []): Promise<string> {
  return String(((await api.call('POST', GROUPS, { name, label: name, description: 'bench', users: userIds.map(Number) })).body as { id: number }).id);
}

export async function groupMemberIds(api: SupersetApi, groupId: string): Promise<string[]> {
  const group = (await api.call('GET', `${GROUPS}${groupId}${ITEM_ONLY}`)).body as { result: { users: Array<{ id: number }> } };
  return group.result.users.map((u) => String(u.id));
}

/** A case-insensitive match on one column: FAB's `sw` is ILIKE, and the exact comparison is made here. */
async function taken(api: SupersetApi, column: 'username' | 'email', value: string): Promise<boolean> {
  const found = (await api.call('GET', listPath(USERS, column, 'sw', value, ['id', column]))).body as { result: Array<Record<string, string>> };
  return found.result.some((u) => u[column].toLowerCase() === value.toLowerCase());
}

/**
 * The fewest FAB calls for the same outcome (BENCHMARKS.md, "Minimum BI calls"): per person one lookup for Okta's
 * filter, then for the create a case-insensitive check of username and of email (FAB's uniqueness is exact-case, its
 * login matches either ignoring case) and the POST, whose new row needs no GET (it holds what was sent and the
 * baseline role); per group a name check and the POST; per PATCH batch one GET of the group and one PUT of its whole
 * `users` list.
 */
export function supersetMinimalPusher(api: SupersetApi, baselineRoleId: number): Pusher {
  return {
    async createUser(person) {
      if (await taken(api, 'username', person.userName)) throw new Error(`${person.userName} already exists`);
      // The create is a request of its own: it cannot trust the answer the filter got.
      if ((await taken(api, 'username', person.userName)) || (await taken(api, 'email', person.userName))) throw new Error(`${person.userName} is taken`);
      return createSupersetUser(api, person, baselineRoleId);
    },
    async createGroup(name) {
      const found = (await api.call('GET', listPath(GROUPS, 'name', 'sw', name, ['id', 'name']))).body as { result: Array<{ name: string }> };
      if (found.result.some((g) => g.name.toLowerCase() === name.toLowerCase())) throw new Error(`group ${name} already exists`);
      return createSupersetGroup(api, name);
    },
    async addMembers(groupId, _groupName, userIds) {
      const current = await groupMemberIds(api, groupId);
      await api.call('PUT', `${GROUPS}${groupId}`, { users: [...new Set([...current, ...userIds])].map(Number) });
    },
  };
}
