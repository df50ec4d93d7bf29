// The Metabase double's three tables (core_user, permissions_group, permissions_group_membership) with an undo journal.

export type UserType = 'personal' | 'api-key' | 'internal';

export interface DoubleUser {
  id: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  type: UserType;
  is_active: boolean;
  is_superuser: boolean;
  is_qbnewb: boolean;
  is_data_analyst: boolean;
  sso_source: string | null;
  locale: string | null;
  login_attributes: Record<string, string> | null;
  tenant_id: number | null;
  date_joined: string;
  updated_at: string;
  last_login: string | null;
  deactivated_at: string | null;
  /** Kept in plain text by the double; null stands for the random password Metabase gives invitees. */
  password: string | null;
  personal_collection_id: number;
}

export interface DoubleGroup {
  id: number;
  name: string;
  entity_id: string;
  magic_group_type: string | null;
  is_tenant_group: boolean;
}

export interface DoubleMembership {
  id: number;
  user_id: number;
  group_id: number;
  is_group_manager: boolean;
}

const NANO_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** Metabase's entity ids are 21-character NanoIDs. */
export function nanoId(): string {
  let id = '';
  for (let i = 0; i < 21; i++) id += NANO_ID_ALPHABET[Math.floor(Math.random() * NANO_ID_ALPHABET.length)];
  return id;
}

function addToIndex(index: Map<number, Set<number>>, key: number, value: number): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

/**
 * Rows and indexes only; Metabase's rules live in rules.ts. Every write inside `transaction` is journaled so a
 * failing request leaves nothing behind, as the app DB's transactions do. Id sequences are not rolled back, as in
 * PostgreSQL.
 */
export class Directory {
  private readonly users = new Map<number, DoubleUser>();
  private readonly userIdsByEmail = new Map<string, number>();
  private readonly groups = new Map<number, DoubleGroup>();
  private readonly memberships = new Map<number, DoubleMembership>();
  private readonly membershipsByUser = new Map<number, Set<number>>();
  private readonly membershipsByGroup = new Map<number, Set<number>>();
  private readonly sequences = { user: 1, group: 1, membership: 1, collection: 1 };
  private journal: Array<() => void> | null = null;

  transaction<T>(work: () => T): T {
    if (this.journal) return work();
    const journal: Array<() => void> = [];
    this.journal = journal;
    try {
      return work();
    } catch (err) {
      for (const undo of journal.reverse()) undo();
      throw err;
    } finally {
      this.journal = null;
    }
  }

  private record(undo: () => void): void {
    this.journal?.push(undo);
  }

  user(id: number): DoubleUser | undefined {
    return this.users.get(id);
  }

  userByEmail(email: string): DoubleUser | undefined {
    const id = this.userIdsByEmail.get(email.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  allUsers(): DoubleUser[] {
    return [...this.users.values()];
  }

  insertUser(fields: Omit<DoubleUser, 'id' | 'personal_collection_id'>, explicitId?: number): DoubleUser {
    const id = explicitId ?? this.sequences.user++;
    const user: DoubleUser = { ...fields, id, personal_collection_id: this.sequences.collection++ };
    this.users.set(id, user);
    this.userIdsByEmail.set(user.email.toLowerCase(), id);
    this.record(() => {
      this.users.delete(id);
      this.userIdsByEmail.delete(user.email.toLowerCase());
    });
    return user;
  }

  updateUser(id: number, changes: Partial<DoubleUser>): DoubleUser {
    const before = this.users.get(id);
    if (!before) throw new Error(`no user ${id}`);
    const after = { ...before, ...changes };
    this.users.set(id, after);
    this.userIdsByEmail.delete(before.email.toLowerCase());
    this.userIdsByEmail.set(after.email.toLowerCase(), id);
    this.record(() => {
      this.users.set(id, before);
      this.userIdsByEmail.delete(after.email.toLowerCase());
      this.userIdsByEmail.set(before.email.toLowerCase(), id);
    });
    return after;
  }

  group(id: number): DoubleGroup | undefined {
    return this.groups.get(id);
  }

  allGroups(): DoubleGroup[] {
    return [...this.groups.values()];
  }

  insertGroup(name: string, magicGroupType: string | null = null): DoubleGroup {
    const group: DoubleGroup = { id: this.sequences.group++, name, entity_id: nanoId(), magic_group_type: magicGroupType, is_tenant_group: false };
    this.groups.set(group.id, group);
    this.record(() => this.groups.delete(group.id));
    return group;
  }

  updateGroup(id: number, changes: Partial<DoubleGroup>): DoubleGroup {
    const before = this.groups.get(id);
    if (!before) throw new Error(`no group ${id}`);
    const after = { ...before, ...changes };
    this.groups.set(id, after);
    this.record(() => this.groups.set(id, before));
    return after;
  }

  /** Memberships go with the group (the FK cascades). */
  deleteGroup(id: number): void {
    const group = this.groups.get(id);
    if (!group) return;
    for (const membership of this.membershipsOfGroup(id)) this.deleteMembership(membership.id);
    this.groups.delete(id);
    this.record(() => this.groups.set(id, group));
  }

  membership(id: number): DoubleMembership | undefined {
    return this.memberships.get(id);
  }

  allMemberships(): DoubleMembership[] {
    return [...this.memberships.values()];
  }

  membershipsOfUser(userId: number): DoubleMembership[] {
    return [...(this.membershipsByUser.get(userId) ?? [])].map((id) => this.memberships.get(id)!).sort((a, b) => a.id - b.id);
  }

  membershipsOfGroup(groupId: number): DoubleMembership[] {
    return [...(this.membershipsByGroup.get(groupId) ?? [])].map((id) => this.memberships.get(id)!).sort((a, b) => a.id - b.id);
  }

  findMembership(userId: number, groupId: number): DoubleMembership | undefined {
    return this.membershipsOfUser(userId).find((m) => m.group_id === groupId);
  }

  insertMembership(userId: number, groupId: number): DoubleMembership {
    const membership: DoubleMembership = { id: this.sequences.membership++, user_id: userId, group_id: groupId, is_group_manager: false };
    this.memberships.set(membership.id, membership);
    addToIndex(this.membershipsByUser, userId, membership.id);
    addToIndex(this.membershipsByGroup, groupId, membership.id);
    this.record(() => this.removeMembershipRow(membership));
    return membership;
  }

  deleteMembership(id: number): void {
    const membership = this.memberships.get(id);
    if (!membership) return;
    this.removeMembershipRow(membership);
    this.record(() => {
      this.memberships.set(id, membership);
      addToIndex(this.membershipsByUser, membership.user_id, id);
      addToIndex(this.membershipsByGroup, membership.group_id, id);
    });
  }

  private removeMembershipRow(membership: DoubleMembership): void {
    this.memberships.delete(membership.id);
    this.membershipsByUser.get(membership.user_id)?.delete(membership.id);
    this.membershipsByGroup.get(membership.group_id)?.delete(membership.id);
  }
}
