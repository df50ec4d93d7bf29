// Who administers Superset: the Admin role held directly or through a FAB group carrying it (FAB's effective roles).
import type { SupersetApi } from './session.ts';
import { ROUTES, idRow, type Filter } from './payloads.ts';

export interface AdminFacts {
  adminRoleId: number;
  /** FAB groups that carry the Admin role. */
  adminGroupIds: ReadonlySet<number>;
  /** The neutral id of the Admin role (`role:<pk>` in groups mode). */
  adminRoleRef: string;
}

/** Active administrators, each with the neutral ids of the role or groups that make them one. */
export async function activeAdmins(api: SupersetApi, { adminRoleId, adminGroupIds, adminRoleRef }: AdminFacts): Promise<Map<string, string[]>> {
  const sources: Array<[Filter, string]> = [
    [{ col: 'roles', opr: 'rel_m_m', value: adminRoleId }, adminRoleRef],
    ...[...adminGroupIds].map((pk): [Filter, string] => [{ col: 'groups', opr: 'rel_m_m', value: pk }, String(pk)]),
  ];
  const admins = new Map<string, string[]>();
  for (const [filter, via] of sources) {
    for (const { id } of await api.list(ROUTES.users, [filter, { col: 'active', opr: 'eq', value: true }], idRow, ['id'])) {
      admins.set(String(id), [...(admins.get(String(id)) ?? []), via]);
    }
  }
  return admins;
}
