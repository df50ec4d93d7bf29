// The JSON shapes Metabase answers with: users (single, list entry), groups, members, memberships.
import type { DoubleGroup, DoubleMembership, DoubleUser } from './directory.ts';
import type { MetabaseRules } from './rules.ts';

/** first + last name trimmed, or the email when both are null (users.models.user/add-common-name). */
export function commonName(user: Pick<DoubleUser, 'first_name' | 'last_name' | 'email'>): string {
  if (user.first_name === null && user.last_name === null) return user.email;
  return `${user.first_name ?? ''} ${user.last_name ?? ''}`.trim();
}

/** admin-or-self-visible-columns plus common_name, in Metabase's column order; never `entity_id` or `type`. */
export function userJson(user: DoubleUser): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    date_joined: user.date_joined,
    first_name: user.first_name,
    last_name: user.last_name,
    last_login: user.last_login,
    is_superuser: user.is_superuser,
    is_data_analyst: user.is_data_analyst,
    is_qbnewb: user.is_qbnewb,
    tenant_id: user.tenant_id,
    sso_source: user.sso_source,
    is_active: user.is_active,
    updated_at: user.updated_at,
    login_attributes: user.login_attributes,
    jwt_attributes: null,
    locale: user.locale,
    common_name: commonName(user),
  };
}

/** GET/POST/PUT by id: `user_group_memberships` is `[{id: groupId}]` sorted by id (no is_group_manager in OSS). */
export function userWithMemberships(rules: MetabaseRules, user: DoubleUser): Record<string, unknown> {
  return { ...userJson(user), user_group_memberships: rules.groupIdsOf(user.id).map((id) => ({ id })) };
}

/** GET /api/user/:id (newest): attribute → {source, frozen, value}. */
export function structuredAttributes(user: DoubleUser): Record<string, unknown> {
  return Object.fromEntries(Object.entries(user.login_attributes ?? {}).map(([key, value]) => [key, { source: 'user', frozen: false, value }]));
}

/** A GET /api/user entry for an admin: no user_group_memberships, but group_ids and the personal collection. */
export function userListEntry(rules: MetabaseRules, user: DoubleUser): Record<string, unknown> {
  return {
    ...userJson(user),
    personal_collection_id: user.personal_collection_id,
    tenant_collection_id: null,
    group_ids: rules.groupIdsOf(user.id),
  };
}

export function groupJson(group: DoubleGroup): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    entity_id: group.entity_id,
    magic_group_type: group.magic_group_type,
    is_tenant_group: group.is_tenant_group,
  };
}

/** One `members` entry (permissions.db/group-members); `user_id` duplicates `id` for legacy reasons. */
export function memberJson(user: DoubleUser, membership: DoubleMembership): Record<string, unknown> {
  return {
    id: user.id,
    user_id: user.id,
    first_name: user.first_name,
    last_name: user.last_name,
    email: user.email,
    is_superuser: user.is_superuser,
    type: user.type,
    group_id: membership.group_id,
    membership_id: membership.id,
    common_name: commonName(user),
  };
}

export function membersOf(rules: MetabaseRules, groupId: number): Array<Record<string, unknown>> {
  return rules.activeMembers(groupId).map(({ user, membership }) => memberJson(user, membership));
}

export function membershipJson(membership: DoubleMembership): Record<string, unknown> {
  return {
    membership_id: membership.id,
    group_id: membership.group_id,
    user_id: membership.user_id,
    is_group_manager: membership.is_group_manager,
  };
}
