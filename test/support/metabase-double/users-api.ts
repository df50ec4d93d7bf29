// Metabase's /api/user endpoints (users_rest/api.clj): list, current, get, invite, update, deactivate, reactivate.
import type { DoubleUser } from './directory.ts';
import { callerOf, requireSelfOrSuperuser, requireSuperuser, type RequestContext, type Route } from './core.ts';
import { exceptionError, fieldError, forbidden, json, notFound, textError, type Reply } from './responses.ts';
import { ADMIN_GROUP_ID, ALL_USERS_GROUP_ID, compareByName, INTERNAL_USER_ID } from './rules.ts';
import { decodeQueryValue, KINDS, normalizeLocale, pageOf, Schema } from './validation.ts';
import { structuredAttributes, userJson, userListEntry, userWithMemberships } from './views.ts';

/** `[:sequential ::user-group-membership]`: `{id: PositiveInt, is_group_manager?: boolean}` maps. */
const MEMBERSHIP_LIST = {
  message: 'sequence of map where {:id -> <value must be an integer greater than zero.>, :is_group_manager (optional) -> <boolean>}',
  accepts: (v: unknown) =>
    Array.isArray(v) &&
    v.every((m) => typeof m === 'object' && m !== null && KINDS.positiveInt.accepts(m.id) && [undefined, true, false].includes(m.is_group_manager)),
  specific: (v: unknown) => [`invalid type, received: ${JSON.stringify(v)}`],
};

/** users.schema/LoginAttributes: a map whose keys must not start with `@`. */
const LOGIN_ATTRIBUTES = {
  message: 'map from <login attribute keys must not start with `@`> to <anything>',
  accepts: (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => !k.startsWith('@')),
  specific: (v: unknown) =>
    Object.keys(v ?? {})
      .filter((k) => k.startsWith('@'))
      .map(() => 'login attribute keys must not start with `@`'),
};

const SSO_EMAIL_OWNERS = new Set(['google', 'ldap']);

/** Newest Metabase stringifies attribute values on write (42 → "42"), keeping nulls. */
function stringifyAttributes(attributes: unknown): Record<string, string> | null {
  if (attributes === null || typeof attributes !== 'object') return null;
  return Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v === null || typeof v === 'object' ? v : String(v)]));
}

type StatusFilter = (user: DoubleUser) => boolean;
const STATUS_FILTERS: Record<string, StatusFilter> = {
  all: () => true,
  deactivated: (u) => !u.is_active,
  active: (u) => u.is_active,
};

const LIKE_WILDCARDS: Record<string, string> = { '%': '.*', _: '.' };

/** `LIKE '%query%'` over lower(column): `%` and `_` are wildcards (never escaped by Metabase), backslash escapes. */
function likeMatcher(query: string): (value: string | null) => boolean {
  const pattern = query.toLowerCase();
  const literal = (char: string) => char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) source += literal(pattern[++i]);
    else source += LIKE_WILDCARDS[pattern[i]] ?? literal(pattern[i]);
  }
  const regex = new RegExp(source, 's');
  return (value) => value !== null && regex.test(value.toLowerCase());
}

/** GET /api/user's query params: how each is decoded, then checked. */
const LIST_PARAMS = [
  { name: 'status', decode: 'string', kind: KINDS.string },
  { name: 'query', decode: 'string', kind: KINDS.string },
  { name: 'group_id', decode: 'int', kind: KINDS.positiveInt },
  { name: 'include_deactivated', decode: 'boolean', kind: KINDS.booleanValue },
] as const;

function listUsers(ctx: RequestContext): Reply {
  const present = LIST_PARAMS.filter(({ name }) => ctx.query.has(name));
  const params = Object.fromEntries(present.map(({ name, decode }) => [name, decodeQueryValue(ctx.query.get(name), decode)]));
  const schema = new Schema(params);
  for (const { name, kind } of LIST_PARAMS) schema.check(name, kind);
  schema.done();
  requireSuperuser(ctx);
  const { directory, rules } = ctx.core;
  // include_deactivated=true wins over status in the code (filter-clauses), whatever the docstring says.
  const byStatus = params.include_deactivated === true ? STATUS_FILTERS.all : (STATUS_FILTERS[String(params.status ?? 'active')] ?? STATUS_FILTERS.active);
  const byQuery = typeof params.query === 'string' ? likeMatcher(params.query) : null;
  const groupId = params.group_id as number | undefined;
  const matches = directory
    .allUsers()
    .filter((u) => u.type === 'personal' && byStatus(u))
    .filter((u) => !byQuery || byQuery(u.first_name) || byQuery(u.last_name) || byQuery(u.email))
    .filter((u) => groupId === undefined || directory.findMembership(u.id, groupId) !== undefined)
    .sort(compareByName);
  const { limit, offset } = ctx.paging;
  return json({ data: pageOf(matches, ctx.paging).map((u) => userListEntry(rules, u)), total: matches.length, limit, offset });
}

function currentUser(ctx: RequestContext): Reply {
  const user = callerOf(ctx);
  const { rules, directory } = ctx.core;
  return json({
    ...userListEntry(rules, user),
    is_installer: user.id === 1,
    has_invited_second_user: user.id === 1 && directory.allUsers().length > 1,
    has_question_and_dashboard: false,
    has_model: false,
    first_login: user.last_login ?? new Date().toISOString(),
    permissions: { can_create_queries: true, can_create_native_queries: true },
    custom_homepage: null,
    can_write_any_collection: user.is_superuser,
  });
}

/** Inactive users, API-key users and the internal user are all returned by id. */
function getUser(ctx: RequestContext): Reply {
  requireSelfOrSuperuser(ctx, ctx.params.id);
  const user = ctx.core.directory.user(ctx.params.id);
  if (!user) throw notFound();
  return json({ ...userWithMemberships(ctx.core.rules, user), structured_attributes: structuredAttributes(user) });
}

function sameIds(a: number[], b: number[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((id) => right.has(id));
}

/**
 * maybe-set-user-group-memberships!: an absent or null list changes nothing; any other list (even `[]`) replaces
 * the groups and must keep All Users; with `is_superuser` both must agree on Administrators.
 */
function applyMembershipList(ctx: RequestContext, userId: number, list: unknown, isSuperuser?: unknown): void {
  if (!Array.isArray(list)) return;
  const ids = list.map((m: { id: number }) => m.id);
  if (typeof isSuperuser === 'boolean' && isSuperuser !== ids.includes(ADMIN_GROUP_ID)) {
    throw fieldError('is_superuser', 'Value of is_superuser must correspond to presence of Admin group ID in group_ids.');
  }
  if (sameIds(ctx.core.rules.groupIdsOf(userId), ids)) return;
  requireSuperuser(ctx);
  ctx.core.rules.setGroups(userId, ids);
}

/** `is_superuser` and `password` are not in the schema: the first is ignored, the second stripped (random password). */
function createUser(ctx: RequestContext): Reply {
  const body = ctx.body;
  new Schema(body)
    .check('first_name', KINDS.nonBlankString)
    .check('last_name', KINDS.nonBlankString)
    .check('email', KINDS.email, { required: true })
    .check('user_group_memberships', MEMBERSHIP_LIST)
    .check('login_attributes', LOGIN_ATTRIBUTES)
    .check('source', KINDS.string)
    .done();
  requireSuperuser(ctx);
  const { directory, rules } = ctx.core;
  const email = (body.email as string).toLowerCase();
  if (directory.userByEmail(email)) throw fieldError('email', 'Email address already in use.');
  const user = rules.createUser({
    email,
    first_name: (body.first_name as string | undefined) ?? null,
    last_name: (body.last_name as string | undefined) ?? null,
    login_attributes: stringifyAttributes(body.login_attributes),
  });
  applyMembershipList(ctx, user.id, body.user_group_memberships);
  if (body.source === 'setup') rules.setGroups(user.id, [ALL_USERS_GROUP_ID, ADMIN_GROUP_ID]);
  return json(userWithMemberships(rules, directory.user(user.id)!));
}

/** The keys PUT applies: present name/locale (and attributes for admins), non-null email (and is_superuser for admins). */
function userChanges(body: Record<string, unknown>, asSuperuser: boolean): Partial<DoubleUser> {
  const changes: Partial<DoubleUser> = {};
  if ('first_name' in body) changes.first_name = body.first_name as string | null;
  if ('last_name' in body) changes.last_name = body.last_name as string | null;
  if ('locale' in body) changes.locale = body.locale === null ? null : normalizeLocale(body.locale as string);
  if (typeof body.email === 'string') changes.email = body.email.toLowerCase();
  if (asSuperuser && 'login_attributes' in body) changes.login_attributes = stringifyAttributes(body.login_attributes);
  if (asSuperuser && typeof body.is_superuser === 'boolean') changes.is_superuser = body.is_superuser;
  return changes;
}

/** PUT /api/user/:id, checks in the handler's order (metabase-api.md §1.6). */
function updateUser(ctx: RequestContext): Reply {
  const { body, params } = ctx;
  new Schema(body)
    .check('email', KINDS.email)
    .check('first_name', KINDS.nonBlankString)
    .check('last_name', KINDS.nonBlankString)
    .check('user_group_memberships', MEMBERSHIP_LIST)
    .check('is_superuser', KINDS.boolean)
    .check('is_data_analyst', KINDS.boolean)
    .check('is_group_manager', KINDS.boolean)
    .check('login_attributes', LOGIN_ATTRIBUTES)
    .check('locale', KINDS.locale)
    .check('tenant_id', KINDS.positiveInt)
    .done();
  const caller = requireSelfOrSuperuser(ctx, params.id);
  if (params.id === INTERNAL_USER_ID) throw textError(400, 'Not able to modify the internal user');
  const { directory, rules } = ctx.core;
  const before = directory.user(params.id);
  if (!before?.is_active) throw notFound();
  const changesEmail = typeof body.email === 'string' && body.email !== before.email;
  if (changesEmail && !caller.is_superuser && SSO_EMAIL_OWNERS.has(before.sso_source ?? '')) throw forbidden();
  for (const [key, label] of [
    ['first_name', 'first'],
    ['last_name', 'last'],
  ] as const) {
    if (key in body && body[key] !== before[key] && before.sso_source !== null) {
      throw fieldError(key, `Editing ${label} name is not allowed for SSO users.`);
    }
  }
  const owner = typeof body.email === 'string' ? directory.userByEmail(body.email) : undefined;
  if (owner && owner.id !== params.id) throw fieldError('email', 'Email address already associated to another user.');
  rules.updateUser(params.id, userChanges(body, caller.is_superuser));
  applyMembershipList(ctx, params.id, body.user_group_memberships, body.is_superuser);
  return json(userWithMemberships(rules, directory.user(params.id)!));
}

/** Only personal users are deactivated (others answer success unchanged); memberships stay; sessions are revoked. */
function deactivateUser(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const id = ctx.params.id;
  if (id === INTERNAL_USER_ID) throw textError(400, 'Not able to modify the internal user');
  const user = ctx.core.directory.user(id);
  if (!user) throw notFound();
  if (user.type === 'personal') {
    ctx.core.rules.updateUser(id, { is_active: false });
    ctx.core.auth.revokeSessionsOf(id);
  }
  return json({ success: true });
}

/** Reactivation drops is_superuser (and so the Administrators membership) and Google/LDAP sso_source (both off here). */
function reactivateUser(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const id = ctx.params.id;
  if (id === INTERNAL_USER_ID) throw textError(400, 'Not able to modify the internal user');
  const user = ctx.core.directory.user(id);
  if (user?.type !== 'personal') throw notFound();
  const message = 'Not able to reactivate an active user';
  if (user.is_active) throw exceptionError(400, message, { extra: { message } });
  const ssoSource = SSO_EMAIL_OWNERS.has(user.sso_source ?? '') ? null : user.sso_source;
  const reactivated = ctx.core.rules.updateUser(id, { is_active: true, is_superuser: false, sso_source: ssoSource });
  return json(userJson(reactivated));
}

export const USER_ROUTES: Route[] = [
  { method: 'GET', path: '/api/user', handle: listUsers },
  { method: 'GET', path: '/api/user/current', handle: currentUser },
  { method: 'GET', path: '/api/user/:id', handle: getUser },
  { method: 'POST', path: '/api/user', handle: createUser },
  { method: 'PUT', path: '/api/user/:id', handle: updateUser },
  { method: 'DELETE', path: '/api/user/:id', handle: deactivateUser },
  { method: 'PUT', path: '/api/user/:id/reactivate', handle: reactivateUser },
];
