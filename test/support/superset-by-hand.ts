// Changes a Superset administrator makes by hand, through Superset's own security API (superset-api.md §3.6): what
// drift must catch. Roles and groups of a PUT replace the whole list, so each change reads the person first.
import { randomUUID } from 'node:crypto';
import { HttpClient } from '../../src/targets/http.ts';
import { SupersetSession } from '../../src/targets/superset/session.ts';
import type { ByHand } from './metabase-by-hand.ts';

interface Ref {
  id: number;
  name: string;
}

export interface SupersetByHand extends ByHand {
  /** Superset's own call, as its administrator. */
  call<T>(method: string, route: string, json?: unknown): Promise<T>;
  /** A human administrator no IdP manages (Settings → List Users → +, role Admin); returns the id. */
  createAdmin(email: string): Promise<string>;
  /** A FAB group no IdP manages (Settings → List Groups → +) carrying the named roles; returns the id. */
  createGroup(name: string, roles: string[]): Promise<string>;
}

export function supersetByHand(url: string, admin: { username: string; password: string }): SupersetByHand {
  const call = async <T>(method: string, route: string, json?: unknown): Promise<T> => {
    const http = new HttpClient({ baseUrl: url });
    const session = new SupersetSession(http, admin);
    try {
      const answer = (await session.call(method, route, { json })) as { status: number; body: T };
      if (answer.status >= 300) throw new Error(`${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    } finally {
      session.close();
      await http.close();
    }
  };
  const person = async (userId: string) => (await call<{ result: { roles: Ref[]; groups: Ref[] } }>('GET', `/api/v1/security/users/${userId}`)).result;
  const ids = (refs: Ref[]) => refs.map((r) => r.id);
  const update = (userId: string, fields: Record<string, unknown>) => call('PUT', `/api/v1/security/users/${userId}`, fields);
  const roleId = async (name: string) => {
    const role = (await call<{ result: Ref[] }>('GET', '/api/v1/security/roles/?q=(page_size:100)')).result.find((r) => r.name === name);
    if (!role) throw new Error(`Superset has no ${name} role`);
    return role.id;
  };
  return {
    call,
    async createAdmin(email) {
      const [first_name, last_name] = email.split('@')[0].split('.');
      const password = `Pw-${randomUUID()}-Aa1!`;
      const created = await call<{ id: number }>('POST', '/api/v1/security/users/', {
        first_name,
        last_name,
        username: email,
        email,
        password,
        active: true,
        roles: [await roleId('Admin')],
      });
      return String(created.id);
    },
    async createGroup(name, roles) {
      const created = await call<{ id: number }>('POST', '/api/v1/security/groups/', { name, roles: await Promise.all(roles.map(roleId)), users: [] });
      return String(created.id);
    },
    grantAdmin: async (userId) => void (await update(userId, { roles: [...ids((await person(userId)).roles), await roleId('Admin')] })),
    reactivate: async (userId) => void (await update(userId, { active: true })),
    deactivate: async (userId) => void (await update(userId, { active: false })),
    async addMember(groupId, userId) {
      await update(userId, { groups: [...ids((await person(userId)).groups), Number(groupId)] });
    },
    async removeMember(groupId, userId) {
      const { groups, roles } = await person(userId);
      if (!groups.some((g) => g.id === Number(groupId))) throw new Error(`User ${userId} is not in group ${groupId}`);
      await update(userId, { groups: ids(groups).filter((id) => id !== Number(groupId)), roles: ids(roles) });
    },
    setFirstName: async (userId, firstName) => void (await update(userId, { first_name: firstName })),
  };
}
