// Membership writes: FAB replaces whole lists, so every change is read-modify-write under a lock.
import { z } from 'zod';
import { mapWithConcurrency } from '../concurrency.ts';
import { TargetError } from '../target.ts';
import { BI_CONCURRENCY, ITEM_ONLY, ROUTES, groupUsers, idRow, ignored, item, type GroupRef } from './payloads.ts';
import type { SupersetApi } from './session.ts';

export type MemberChange = 'add' | 'remove';

/** A person's role ids and groups, all a membership write reads. */
const ROLES_AND_GROUPS = idRow.extend({ roles: z.array(idRow), groups: z.array(idRow) });

type WithLock = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export class MemberWriter {
  readonly #api: SupersetApi;
  readonly #withLock: WithLock;
  readonly #baselineRoleId: () => Promise<number>;

  constructor(api: SupersetApi, withLock: WithLock, baselineRoleId: () => Promise<number>) {
    this.#api = api;
    this.#withLock = withLock;
    this.#baselineRoleId = baselineRoleId;
  }

  async groupMemberIds(pk: number): Promise<string[]> {
    const body = await this.#api.send('GET', ROUTES.group, { params: { id: pk }, query: ITEM_ONLY }, groupUsers, true);
    if (!body) throw new TargetError('not_found', `Superset group ${pk} not found`, 404);
    return body.result.users.map((u) => String(u.id));
  }

  /** A FAB group's `users` under the group's lock (one GET and one PUT however many people); a role per person. */
  change(ref: GroupRef, ids: string[], change: MemberChange): Promise<void> {
    return ref.kind === 'group' ? this.#writeGroupUsers(ref.pk, ids, change) : this.#writeUsersRole(ref.pk, ids, change);
  }

  #writeGroupUsers(pk: number, ids: string[], change: MemberChange): Promise<void> {
    return this.#withLock(`superset:group:${pk}`, async () => {
      const current = await this.groupMemberIds(pk);
      const next = change === 'add' ? [...new Set([...current, ...ids])] : current.filter((id) => !ids.includes(id));
      if (next.length === current.length) return;
      if (change === 'remove')
        await this.#keepSomeRole(
          current.filter((id) => ids.includes(id)),
          pk,
        );
      // FAB checks every id before writing: an unknown one is a 400 that changes nothing.
      await this.#api.must('PUT', ROUTES.group, { params: { id: pk }, json: { users: next.map(Number) } }, ignored);
    });
  }

  /** People this group was the only source of roles for (made outside bi-scim) get the baseline role first. */
  async #keepSomeRole(leaving: string[], pk: number): Promise<void> {
    const rows = await this.#api.list(ROUTES.users, [{ col: 'id', opr: 'in', value: leaving.map(Number) }], ROLES_AND_GROUPS, ['id', 'roles.id', 'groups']);
    const bare = rows.filter((u) => u.roles.length === 0 && u.groups.every((g) => g.id === pk));
    const roles = [await this.#baselineRoleId()];
    await mapWithConcurrency(bare, BI_CONCURRENCY, (u) => this.#api.must('PUT', ROUTES.user, { params: { id: u.id }, json: { roles } }, ignored));
  }

  async #writeUsersRole(rolePk: number, ids: string[], change: MemberChange): Promise<void> {
    const baseline = await this.#baselineRoleId();
    // Every person keeps the baseline role, so nobody is ever left without a role.
    if (change === 'remove' && rolePk === baseline) return;
    const known = new Set((await this.#api.list(ROUTES.users, [{ col: 'id', opr: 'in', value: ids.map(Number) }], idRow, ['id'])).map((r) => String(r.id)));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new TargetError('not_found', `Superset users ${unknown.join(', ')} not found`, 404);
    await mapWithConcurrency(ids, BI_CONCURRENCY, (id) =>
      this.#withLock(`superset:user:${id}`, async () => {
        const row = await this.#api.must('GET', ROUTES.user, { params: { id }, query: ITEM_ONLY }, item(ROLES_AND_GROUPS));
        const roles = row.result.roles.map((r) => r.id);
        if (roles.includes(rolePk) === (change === 'add')) return;
        const next = change === 'add' ? [...roles, rolePk] : roles.filter((r) => r !== rolePk);
        await this.#api.must('PUT', ROUTES.user, { params: { id }, json: { roles: next.length > 0 ? next : [baseline] } }, ignored);
      }),
    );
  }
}
