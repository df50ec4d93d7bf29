// Plans of dry-run tokens: the overlay and the BI calls kept in the store under the token's keys, read back per
// person and group as what would land in the BI tool, and discarded as a whole.
import type { DirectoryGroup, DirectoryUser } from '../directory.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import { ScopedStore } from '../store/scoped.ts';
import type { PlannedCall } from '../targets/planning-calls.ts';
import { PROVISIONAL_PREFIX, type MemberChanges, type Overlay, type PlanBook, type PlannedGroup, type PlannedUser } from '../targets/planning.ts';
import type { Target } from '../targets/target.ts';

/** Tokens that have a plan, with when it began. */
const PLANS = 'plans';
const overlayMap = (token: string) => `plan:${token}`;
const callsMap = (token: string) => `plan-calls:${token}`;
const idCounter = (token: string) => `plan-ids:${token}`;
/** Where bi-scim's own records of a dry-run token live, apart from the real ones. */
export const dryRunScope = (token: string) => `dry-run:${token}`;

export interface RecordedCall extends PlannedCall {
  at: string;
}

/** Keys that sort in the order calls were recorded (milliseconds, then a per-process counter). */
let recorded = 0;
const orderKey = (now: number) => `${String(now).padStart(15, '0')}-${String(++recorded % 1e9).padStart(9, '0')}`;

export class StorePlanBook implements PlanBook {
  readonly #store: MappingStore;
  readonly #token: string;
  readonly #now: () => number;

  constructor(store: MappingStore, token: string, now: () => number = Date.now) {
    this.#store = store;
    this.#token = token;
    this.#now = now;
  }

  async overlay(): Promise<Overlay> {
    return parseOverlay(await this.#store.getEntries(overlayMap(this.#token)));
  }

  async #put(field: string, value: unknown): Promise<void> {
    await this.#begin();
    await this.#store.putEntry(overlayMap(this.#token), field, value);
  }

  async #begin(): Promise<void> {
    if (!(await this.#store.getEntries(PLANS))[this.#token]) await this.#store.putEntry(PLANS, this.#token, { startedAt: new Date(this.#now()).toISOString() });
  }

  putUser(user: PlannedUser) {
    return this.#put(`user:${user.user.id}`, user);
  }

  putGroup(group: PlannedGroup) {
    return this.#put(`group:${group.group.id}`, group);
  }

  updateMembers(groupId: string, update: (current: MemberChanges | null) => MemberChanges): Promise<void> {
    const field = `members:${groupId}`;
    return this.#store.withLock(`${overlayMap(this.#token)}:${field}`, async () => {
      const current = (await this.#store.getEntries(overlayMap(this.#token)))[field] as MemberChanges | undefined;
      await this.#put(field, update(current ?? null));
    });
  }

  async record(calls: PlannedCall[]): Promise<void> {
    if (calls.length > 0) await this.#begin();
    const at = new Date(this.#now()).toISOString();
    for (const call of calls) await this.#store.putEntry(callsMap(this.#token), orderKey(this.#now()), { ...call, at } satisfies RecordedCall);
  }

  provisionalId(): Promise<string> {
    return this.#store.withLock(idCounter(this.#token), async () => {
      const next = Number((await this.#store.getValue(idCounter(this.#token))) ?? 0) + 1;
      await this.#store.setValue(idCounter(this.#token), next);
      return `${PROVISIONAL_PREFIX}${next}`;
    });
  }
}

function parseOverlay(entries: Record<string, unknown>): Overlay {
  const overlay: Overlay = { users: new Map(), groups: new Map(), members: new Map() };
  const byId = (a: [string, unknown], b: [string, unknown]) => a[0].localeCompare(b[0], 'en', { numeric: true });
  for (const [field, value] of Object.entries(entries).sort(byId)) {
    const [kind, id] = [field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1)];
    if (kind === 'user') overlay.users.set(id, value as PlannedUser);
    else if (kind === 'group') overlay.groups.set(id, value as PlannedGroup);
    else if (kind === 'members') overlay.members.set(id, value as MemberChanges);
  }
  return overlay;
}

export async function plannedTokens(store: MappingStore): Promise<string[]> {
  return Object.keys(await store.getEntries(PLANS)).sort();
}

export async function plannedCalls(store: MappingStore, token: string): Promise<RecordedCall[]> {
  const entries = await store.getEntries(callsMap(token));
  return Object.keys(entries)
    .sort()
    .map((key) => entries[key] as RecordedCall);
}

/** Drops a token's plan and bi-scim's records of it: the token's next request starts from the BI tool as it is. */
export async function discardPlan(store: MappingStore, token: string): Promise<void> {
  for (const map of [overlayMap(token), callsMap(token)]) for (const field of Object.keys(await store.getEntries(map))) await store.deleteEntry(map, field);
  await store.deleteValue(idCounter(token));
  await new ScopedStore(store, dryRunScope(token)).drop();
  await store.deleteEntry(PLANS, token);
}

export type Change = 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete' | 'rename' | 'members';

export interface PlannedPerson {
  id: string;
  userName: string | null;
  change: Change;
  /** What would land in the BI tool; null for a deleted person. */
  user: Pick<DirectoryUser, 'email' | 'username' | 'givenName' | 'familyName' | 'locale' | 'active' | 'isAdmin'> | null;
  /** Groups (and roles) the person would be in, with whether each makes them an administrator. */
  groups: Array<{ id: string; name: string; admin: boolean }>;
}

export interface PlannedGroupRow {
  id: string;
  name: string;
  change: Change;
  wasName: string | null;
  added: string[];
  removed: string[];
}

export interface PlanReport {
  token: string;
  people: PlannedPerson[];
  groups: PlannedGroupRow[];
  calls: RecordedCall[];
}

function personChange(planned: PlannedUser | undefined, user: DirectoryUser | null): Change {
  if (!planned) return 'members';
  if (planned.wasActive === null) return 'create';
  if (!user || planned.deleted) return 'delete';
  if (planned.wasActive !== user.active) return user.active ? 'reactivate' : 'deactivate';
  return 'update';
}

/** Everyone and every group the plan touches, as the dry-run token's target and store see them. */
export async function planReport(token: string, store: MappingStore, target: Target, scoped: MappingStore): Promise<PlanReport> {
  const overlay = await new StorePlanBook(store, token).overlay();
  const groups = new Map((await target.listGroups()).map((g): [string, DirectoryGroup] => [g.id, g]));
  const memberIds = [...overlay.members.values()].flatMap((m) => [...m.added, ...m.removed]);
  const people: PlannedPerson[] = [];
  for (const id of new Set([...overlay.users.keys(), ...memberIds])) {
    const [user, record] = await Promise.all([target.getUser(id), scoped.get('User', id)]);
    const { email, username, givenName, familyName, locale, active, isAdmin } = user ?? ({} as DirectoryUser);
    people.push({
      id,
      userName: (record?.attributes.userName as string | undefined) ?? null,
      change: personChange(overlay.users.get(id), user),
      user: user && { email, username, givenName, familyName, locale, active, isAdmin },
      groups: (user?.groupIds ?? []).flatMap((g) => (groups.has(g) ? [{ id: g, name: groups.get(g)!.name, admin: groups.get(g)!.isAdmin }] : [])),
    });
  }
  const emailOf = (id: string) => people.find((p) => p.id === id)?.user?.email ?? id;
  const groupRows = [...new Set([...overlay.groups.keys(), ...overlay.members.keys()])].map((id): PlannedGroupRow => {
    const planned = overlay.groups.get(id);
    const change: Change = !planned
      ? 'members'
      : planned.deleted
        ? 'delete'
        : planned.wasName === null
          ? 'create'
          : planned.wasName !== planned.group.name
            ? 'rename'
            : 'members';
    const members = overlay.members.get(id);
    return {
      id,
      name: planned?.group.name ?? groups.get(id)?.name ?? id,
      change,
      wasName: planned?.wasName ?? null,
      added: (members?.added ?? []).map(emailOf),
      removed: (members?.removed ?? []).map(emailOf),
    };
  });
  return { token, people, groups: groupRows, calls: await plannedCalls(store, token) };
}
