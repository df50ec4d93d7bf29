// Two ways to push one directory: through bi-scim as Okta does, and straight to the BI API with the fewest calls.
import { request } from 'undici';
import { loadAgent } from './load.ts';
import { filterPath, oktaGroup, oktaMembers, oktaUser, type Person, type ScimClient } from './scim.ts';

/** What an initial provisioning does, one IdP request (or its minimal BI equivalent) per method call. */
export interface Pusher {
  createUser(person: Person): Promise<string>;
  createGroup(name: string): Promise<string>;
  addMembers(groupId: string, groupName: string, userIds: string[]): Promise<void>;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** One JSON call with fixed headers; a status outside 2xx is an error naming the call. */
export async function callJson(origin: string, headers: Record<string, string>, method: string, path: string, json?: unknown): Promise<JsonAnswer> {
  const res = await request(`${origin}${path}`, {
    method: method as 'GET',
    headers: { accept: 'application/json', ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
    dispatcher: loadAgent,
  });
  const text = await res.body.text();
  const body: unknown = text !== '' && /json/.test(String(res.headers['content-type'])) ? JSON.parse(text) : text;
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return { status: res.statusCode, body };
}

/**
 * Okta's requests: filter then create for a person, create then PATCH batches for a group. Without `filterFirst`
 * a person is only POSTed (the 100,000-person push, where each filter would scan the whole table: figure 6).
 */
export function scimPusher(scim: ScimClient, { filterFirst = true } = {}): Pusher {
  return {
    async createUser(person) {
      if (filterFirst) {
        const found = await scim.expect(200, 'GET', `/Users${filterPath('userName', person.userName)}`);
        if (found.totalResults !== 0) throw new Error(`${person.userName} already exists`);
      }
      return String((await scim.expect(201, 'POST', '/Users', oktaUser(person))).id);
    },
    async createGroup(name) {
      return String((await scim.expect(201, 'POST', '/Groups', oktaGroup(name))).id);
    },
    async addMembers(groupId, groupName, userIds) {
      await scim.expect([200, 204], 'PATCH', `/Groups/${groupId}`, oktaMembers(groupId, groupName, userIds));
    },
  };
}

/**
 * The fewest Metabase calls for the same outcome (BENCHMARKS.md, "Minimum BI calls"): a lookup for Okta's filter,
 * POST and a locale PUT per person, one POST per group, and per member a membership pre-check plus a POST.
 */
export function metabaseMinimalPusher(origin: string, apiKey: string): Pusher {
  const call = (method: string, path: string, json?: unknown) => callJson(origin, { 'x-api-key': apiKey }, method, path, json);
  return {
    async createUser(person) {
      const found = (await call('GET', `/api/user?status=all&query=${encodeURIComponent(person.userName)}`)).body as { data: Array<{ email: string }> };
      if (found.data.some((u) => u.email === person.userName)) throw new Error(`${person.userName} already exists`);
      const created = (await call('POST', '/api/user', { email: person.userName, first_name: person.givenName, last_name: person.familyName })).body as {
        id: number;
      };
      await call('PUT', `/api/user/${created.id}`, { locale: 'en_US' });
      return String(created.id);
    },
    async createGroup(name) {
      return String(((await call('POST', '/api/permissions/group', { name })).body as { id: number }).id);
    },
    async addMembers(groupId, _groupName, userIds) {
      for (const userId of userIds) {
        const user = (await call('GET', `/api/user/${userId}`)).body as { user_group_memberships: Array<{ id: number }> };
        if (user.user_group_memberships.some((m) => String(m.id) === groupId)) continue;
        await call('POST', '/api/permissions/membership', { group_id: Number(groupId), user_id: Number(userId) });
      }
    },
  };
}
