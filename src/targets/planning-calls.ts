// The BI writes each adapter sends for each Target write, as rows a dry run records instead of sending them.
import type { DirectoryUser } from '../directory.ts';
import { ROUTES } from './superset/payloads.ts';

/** One BI call a dry run would have made: the route template, its parameters and a summary of the body. */
export interface PlannedCall {
  method: string;
  route: string;
  params?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** How an adapter writes; where the two differ in more than routes, a flag says so. */
export interface CallModel {
  /** Metabase sends DELETE /api/user/:id to an inactive person too (it answers 200); Superset sends nothing. */
  deactivatesInactive: boolean;
  /** Metabase cannot hard-delete people. */
  canDeleteUsers: boolean;
  /** Metabase sends the DELETE of a group it does not know (and ignores the 404); Superset looks first. */
  deletesUnknownGroups: boolean;
  /** Groups every person keeps, which clearing memberships leaves (Metabase All Users; Superset's baseline role). */
  keptGroups(): Promise<string[]>;
  createUser(body: Record<string, unknown>): PlannedCall;
  updateUser(id: string, body: Record<string, unknown>): PlannedCall;
  setActive(id: string, active: boolean): PlannedCall;
  deleteUser(id: string): PlannedCall;
  clearMemberships(user: DirectoryUser, leaving: string[]): PlannedCall[];
  createGroup(name: string): PlannedCall;
  /** `caseOnly`: the new name differs from the old one in case alone. */
  renameGroup(id: string, name: string, caseOnly: boolean): PlannedCall[];
  deleteGroup(id: string): PlannedCall;
  /** `ids` are the people the change really adds or removes (members already in, or not in, are skipped). */
  changeMembers(groupId: string, ids: string[], change: 'add' | 'remove'): PlannedCall[];
}

const call = (method: string, route: string, params?: Record<string, string>, body?: Record<string, unknown>): PlannedCall => ({
  method,
  route,
  ...(params ? { params } : {}),
  ...(body ? { body } : {}),
});

const METABASE_ALL_USERS = '1';

export const METABASE_CALLS: CallModel = {
  deactivatesInactive: true,
  canDeleteUsers: false,
  deletesUnknownGroups: true,
  keptGroups: async () => [METABASE_ALL_USERS],
  createUser: (body) => call('POST', '/api/user', undefined, body),
  updateUser: (id, body) => call('PUT', '/api/user/:id', { id }, body),
  setActive: (id, active) => (active ? call('PUT', '/api/user/:id/reactivate', { id }) : call('DELETE', '/api/user/:id', { id })),
  deleteUser: (id) => call('DELETE', '/api/user/:id', { id }),
  clearMemberships: (user, leaving) => leaving.map((group) => call('DELETE', '/api/permissions/membership/:id', { group, user: user.id })),
  createGroup: (name) => call('POST', '/api/permissions/group', undefined, { name }),
  // A rename that only changes case goes via a free name first (metabase-api.md: the name collides with itself).
  renameGroup: (id, name, caseOnly) => [
    ...(caseOnly ? [call('PUT', '/api/permissions/group/:id', { id }, { name: `${name} (…)` })] : []),
    call('PUT', '/api/permissions/group/:id', { id }, { name }),
  ],
  deleteGroup: (id) => call('DELETE', '/api/permissions/group/:id', { id }),
  changeMembers: (group, ids, change) =>
    ids.map((user) =>
      change === 'add'
        ? call('POST', '/api/permissions/membership', undefined, { group_id: group, user_id: user })
        : call('DELETE', '/api/permissions/membership/:id', { group, user }),
    ),
};

const ROLE_REF = /^role:(\d+)$/;

/** Superset's model in groups mode (FAB groups, roles as `role:<pk>`) or roles mode (every group a role). */
export function supersetCalls(mode: 'groups' | 'roles', baselineRole: { name: string; ref: () => Promise<string | null> }): CallModel {
  const isRole = (id: string) => mode === 'roles' || ROLE_REF.test(id);
  const pk = (id: string) => ROLE_REF.exec(id)?.[1] ?? id;
  return {
    deactivatesInactive: false,
    canDeleteUsers: true,
    deletesUnknownGroups: false,
    keptGroups: async () => [await baselineRole.ref()].filter((id): id is string => id !== null),
    createUser: (body) => call('POST', ROUTES.users, undefined, body),
    updateUser: (id, body) => call('PUT', ROUTES.user, { id }, body),
    setActive: (id, active) => call('PUT', ROUTES.user, { id }, { active }),
    deleteUser: (id) => call('DELETE', ROUTES.user, { id }),
    clearMemberships: (user) => [call('PUT', ROUTES.user, { id: user.id }, { roles: [baselineRole.name], groups: [] })],
    createGroup: (name) => (mode === 'roles' ? call('POST', ROUTES.roles, undefined, { name }) : call('POST', ROUTES.groups, undefined, { name, label: name })),
    renameGroup: (id, name) => [isRole(id) ? call('PUT', ROUTES.role, { id: pk(id) }, { name }) : call('PUT', ROUTES.group, { id }, { name, label: name })],
    deleteGroup: (id) => call('DELETE', isRole(id) ? ROUTES.role : ROUTES.group, { id: pk(id) }),
    // A FAB group's whole user list is one PUT; a role is changed person by person.
    changeMembers: (group, ids, change) =>
      isRole(group)
        ? ids.map((user) => call('PUT', ROUTES.user, { id: user }, { [change === 'add' ? 'addRole' : 'removeRole']: pk(group) }))
        : [call('PUT', ROUTES.group, { id: group }, { [change === 'add' ? 'addUsers' : 'removeUsers']: ids })],
  };
}
