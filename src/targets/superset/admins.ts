// The last-admin rule for Superset: a change that may strip administrators runs only while another active Admin remains.
import type { SupersetApi } from './session.ts';
import { ROUTES, type Filter } from './payloads.ts';
import { TargetError } from '../target.ts';

/** How someone is an administrator: `role` (the Admin role held directly) or `group:<pk>` (a group carrying it). */
export type AdminSource = string;

export interface AdminFacts {
  adminRoleId: number;
  /** FAB groups that carry the Admin role. */
  adminGroupIds: ReadonlySet<number>;
}

const ADMINS_LOCK = 'superset:admins';

export class AdminGuard {
  readonly #api: SupersetApi;
  readonly #facts: () => Promise<AdminFacts>;
  readonly #withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;

  constructor(api: SupersetApi, facts: () => Promise<AdminFacts>, withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>) {
    this.#api = api;
    this.#facts = facts;
    this.#withLock = withLock;
  }

  /** Active administrators, each with every source that makes them one. */
  async activeAdmins(): Promise<Map<string, Set<AdminSource>>> {
    const { adminRoleId, adminGroupIds } = await this.#facts();
    const sources: Array<[Filter, AdminSource]> = [
      [{ col: 'roles', opr: 'rel_m_m', value: adminRoleId }, 'role'],
      ...[...adminGroupIds].map((pk): [Filter, AdminSource] => [{ col: 'groups', opr: 'rel_m_m', value: pk }, `group:${pk}`]),
    ];
    const admins = new Map<string, Set<AdminSource>>();
    for (const [filter, via] of sources) {
      for (const { id } of await this.#api.list<{ id: number }>(ROUTES.users, [filter, { col: 'active', opr: 'eq', value: true }], ['id'])) {
        admins.set(String(id), (admins.get(String(id)) ?? new Set()).add(via));
      }
    }
    return admins;
  }

  /**
   * Runs `change` — which may strip administrators — serialised with every other such change, unless no active
   * administrator would remain. `loses(userId, via)` says which sources the change takes away.
   */
  async run(affectsAdmins: boolean, loses: (userId: string, via: AdminSource) => boolean, what: string, change: () => Promise<void>): Promise<void> {
    if (!affectsAdmins) return change();
    await this.#withLock(ADMINS_LOCK, async () => {
      const remaining = [...(await this.activeAdmins())].filter(([userId, vias]) => [...vias].some((via) => !loses(userId, via)));
      if (remaining.length === 0) throw new TargetError('protected', `Superset would be left without an active Admin: refused to ${what}`);
      await change();
    });
  }
}
