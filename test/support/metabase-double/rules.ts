// Metabase's model hooks for users, groups and memberships (magic groups, last admin, is_superuser sync) on the tables.
import type { Directory, DoubleGroup, DoubleMembership, DoubleUser } from './directory.ts';
import { ALL_USERS_REFUSAL, exceptionError, GROUP_NAME_TAKEN, LAST_ADMIN_REFUSAL, sqlError, textError } from './responses.ts';

export const ALL_USERS_GROUP_ID = 1;
export const ADMIN_GROUP_ID = 2;
/** config/internal-mb-user-id. */
export const INTERNAL_USER_ID = 13371338;

export type NewUser = Partial<Omit<DoubleUser, 'id' | 'personal_collection_id'>> & { email: string };

export function nowIso(): string {
  return new Date().toISOString();
}

function lowerOrNull(value: string | null): string | null {
  return value === null ? null : value.toLowerCase();
}

/** Ascending, NULLs last as PostgreSQL sorts them; code-point order (C collation). */
export function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** ORDER BY lower(first_name), lower(last_name), id — the order of GET /api/user and of group `members`. */
export function compareByName(a: DoubleUser, b: DoubleUser): number {
  return (
    compareNullable(lowerOrNull(a.first_name), lowerOrNull(b.first_name)) || compareNullable(lowerOrNull(a.last_name), lowerOrNull(b.last_name)) || a.id - b.id
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export class MetabaseRules {
  readonly directory: Directory;

  constructor(directory: Directory) {
    this.directory = directory;
  }

  /** User after-insert hook: everyone joins All Users, a superuser also Administrators, past the All-Users guard. */
  createUser(fields: NewUser): DoubleUser {
    const now = nowIso();
    const user = this.directory.insertUser({
      first_name: null,
      last_name: null,
      type: 'personal',
      is_active: true,
      is_superuser: false,
      is_qbnewb: true,
      is_data_analyst: false,
      sso_source: null,
      locale: null,
      login_attributes: null,
      tenant_id: null,
      date_joined: now,
      updated_at: now,
      last_login: null,
      deactivated_at: fields.is_active === false ? now : null,
      password: null,
      ...fields,
      email: fields.email.toLowerCase(),
    });
    this.directory.insertMembership(user.id, ALL_USERS_GROUP_ID);
    if (user.is_superuser) this.directory.insertMembership(user.id, ADMIN_GROUP_ID);
    return user;
  }

  /** User before-update hook: only real changes count; deactivation guards the last admin; is_superuser moves the admin membership. */
  updateUser(id: number, requested: Partial<DoubleUser>): DoubleUser {
    const user = this.directory.user(id)!;
    const changes: Partial<DoubleUser> = Object.fromEntries(
      Object.entries(requested).filter(([key, value]) => !sameValue(user[key as keyof DoubleUser], value)),
    );
    if (Object.keys(changes).length === 0) return user;
    const adminMembership = this.directory.findMembership(id, ADMIN_GROUP_ID);
    if (changes.is_active === false && adminMembership) this.throwIfLastAdmin(id);
    if (changes.is_superuser === true && !adminMembership) this.directory.insertMembership(id, ADMIN_GROUP_ID);
    if (changes.is_superuser === false && adminMembership) this.removeMembership(adminMembership, { syncSuperuser: false });
    if (changes.is_active !== undefined) changes.deactivated_at = changes.is_active ? null : nowIso();
    return this.directory.updateUser(id, { ...changes, updated_at: nowIso() });
  }

  /** The last *active* member of Administrators can be neither removed nor deactivated. */
  throwIfLastAdmin(userId: number): void {
    const others = this.directory.membershipsOfGroup(ADMIN_GROUP_ID).filter((m) => m.user_id !== userId && this.directory.user(m.user_id)?.is_active);
    if (others.length === 0) throw textError(400, LAST_ADMIN_REFUSAL);
  }

  /**
   * add-users-to-groups!: All Users is refused first; there is no duplicate pre-check, so the unique constraint
   * fails (500), and a missing user or group inserts no row (500 "Error inserting…"). Joining Administrators makes
   * the user a superuser.
   */
  addToGroup(userId: number, groupId: number): DoubleMembership {
    if (groupId === ALL_USERS_GROUP_ID) throw textError(400, ALL_USERS_REFUSAL);
    if (!this.directory.user(userId) || !this.directory.group(groupId)) {
      throw exceptionError(500, 'Error inserting Permissions Group Membership');
    }
    if (this.directory.findMembership(userId, groupId)) {
      throw sqlError(
        'ERROR: duplicate key value violates unique constraint "unique_permissions_group_membership_user_id_group_id"\n' +
          `  Detail: Key (user_id, group_id)=(${userId}, ${groupId}) already exists.`,
        '23505',
      );
    }
    const membership = this.directory.insertMembership(userId, groupId);
    if (groupId === ADMIN_GROUP_ID) this.directory.updateUser(userId, { is_superuser: true, updated_at: nowIso() });
    return membership;
  }

  /** Membership before-delete hook: All Users is refused; leaving Administrators guards the last admin and drops is_superuser. */
  removeMembership(membership: DoubleMembership, { syncSuperuser = true } = {}): void {
    if (membership.group_id === ALL_USERS_GROUP_ID) throw textError(400, ALL_USERS_REFUSAL);
    if (membership.group_id === ADMIN_GROUP_ID) {
      this.throwIfLastAdmin(membership.user_id);
      if (syncSuperuser) this.directory.updateUser(membership.user_id, { is_superuser: false, updated_at: nowIso() });
    }
    this.directory.deleteMembership(membership.id);
  }

  /** set-permissions-groups!: removals first, then additions (every addition is checked for All Users before any insert). */
  setGroups(userId: number, groupIds: number[]): void {
    const wanted = new Set(groupIds);
    const current = this.directory.membershipsOfUser(userId);
    for (const membership of current) if (!wanted.has(membership.group_id)) this.removeMembership(membership);
    const held = new Set(current.map((m) => m.group_id));
    const additions = [...wanted].filter((id) => !held.has(id));
    if (additions.includes(ALL_USERS_GROUP_ID)) throw textError(400, ALL_USERS_REFUSAL);
    for (const groupId of additions) this.addToGroup(userId, groupId);
  }

  groupIdsOf(userId: number): number[] {
    return this.directory
      .membershipsOfUser(userId)
      .map((m) => m.group_id)
      .sort((a, b) => a - b);
  }

  /** Names are unique case-insensitively, and a group's own name counts: see renameGroup. */
  private checkNameFree(name: string): void {
    const lower = name.toLowerCase();
    if (this.directory.allGroups().some((g) => g.name.toLowerCase() === lower)) throw textError(400, GROUP_NAME_TAKEN);
  }

  private checkNotMagic(group: DoubleGroup): void {
    if (group.magic_group_type !== null) {
      throw textError(400, `You cannot edit or delete the '${group.name}' permissions group!`);
    }
  }

  createGroup(name: string): DoubleGroup {
    this.checkNameFree(name);
    return this.directory.insertGroup(name);
  }

  /**
   * Group before-update hook, which runs only when the name really changes: an identical name is a no-op (even
   * for magic groups), while a different-case version of the group's own name collides with itself (400).
   */
  renameGroup(id: number, name: string): DoubleGroup {
    const group = this.directory.group(id)!;
    if (group.name === name) return group;
    this.checkNotMagic(group);
    this.checkNameFree(name);
    return this.directory.updateGroup(id, { name });
  }

  deleteGroup(id: number): void {
    const group = this.directory.group(id);
    if (!group) return;
    this.checkNotMagic(group);
    this.directory.deleteGroup(id);
  }

  /** permissions.db/group-members: active users only, ordered by lower first and last name. */
  activeMembers(groupId: number): Array<{ user: DoubleUser; membership: DoubleMembership }> {
    return this.directory
      .membershipsOfGroup(groupId)
      .map((membership) => ({ membership, user: this.directory.user(membership.user_id)! }))
      .filter(({ user }) => user.is_active)
      .sort((a, b) => compareByName(a.user, b.user));
  }
}
