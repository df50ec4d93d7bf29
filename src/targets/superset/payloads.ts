// Translation between Superset's security API (FAB users, roles, groups, Rison queries, errors) and the neutral model.
// Longer because every translation between FAB and the neutral model is here, both directions, so each adapter has one payloads file.
import { randomInt } from 'node:crypto';
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput } from '../../directory.ts';
import { describeBody, upstreamError, type HttpResponse } from '../http.ts';
import { TargetError, type TargetErrorCode } from '../target.ts';
import { z } from 'zod';

// The keys bi-scim reads from FAB's answers (superset-api.md §3–§5); other keys are dropped.
const pk = z.number().int();
export const idRow = z.object({ id: pk });
export const supersetRef = z.object({ id: pk, name: z.string() });
export type SupersetRef = z.output<typeof supersetRef>;

export const supersetUser = z.object({
  id: pk,
  username: z.string(),
  email: z.string(),
  first_name: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  last_name: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  active: z.boolean().nullable(),
  roles: z.array(supersetRef),
  groups: z.array(supersetRef),
  created_on: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  changed_on: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});
export type SupersetUser = z.output<typeof supersetUser>;

export const supersetGroup = supersetRef.extend({ roles: z.array(supersetRef) });
export type SupersetGroup = z.output<typeof supersetGroup>;

/** A list page (`count` counts every match) and a single item, around any row shape. */
export const listPage = <S extends z.ZodType>(row: S) => z.object({ count: z.number().int(), result: z.array(row) });
export const item = <S extends z.ZodType>(row: S) => z.object({ result: row });
export const meAnswer = item(z.object({ id: pk, email: z.string() }));
export const groupUsers = item(z.object({ users: z.array(idRow) }));
/** An answer bi-scim does not read (FAB echoes what was sent). */
export const ignored = z.unknown();

export type GroupMode = 'groups' | 'roles';

/** Where a neutral group id points: a FAB group, or a role (`role:<pk>` in groups mode, the bare pk in roles mode). */
export interface GroupRef {
  kind: 'group' | 'role';
  pk: number;
}

export interface Filter {
  col: string;
  opr: string;
  value: string | number | boolean | number[];
}

/** Routes of FAB's security API (the trailing slash matters on collections, superset-api.md §3.1). */
export const ROUTES = {
  users: '/api/v1/security/users/',
  user: '/api/v1/security/users/:id',
  groups: '/api/v1/security/groups/',
  group: '/api/v1/security/groups/:id',
  roles: '/api/v1/security/roles/',
  role: '/api/v1/security/roles/:id',
} as const;
/** A single row without FAB's `_info`-style extras. */
export const ITEM_ONLY = { q: '(keys:!(none))' };
/** Parallel calls one request may make; Superset on SQLite serialises writers anyway. */
export const BI_CONCURRENCY = 4;

/** Roles `superset init` owns (ROBOT_PERMISSION_ROLES): never renamed or deleted through SCIM, hidden unless mapped. */
export const BUILT_IN_ROLES = ['Admin', 'Alpha', 'Gamma', 'Public', 'sql_lab'];
export const ADMIN_ROLE = 'Admin';
/** FAB_API_MAX_PAGE_SIZE: larger page sizes are silently clamped to it. */
export const PAGE_SIZE = 100;
/** Column widths of ab_user / ab_group in Superset 6.1 (FAB 5.0.2); longer values are a 500 on PostgreSQL. */
const NAME_MAX = 64;
const USERNAME_MAX = 128;
export const GROUP_NAME_MAX = 100;

/** Rison (what FAB parses from `q`): strings always quoted, `!` and `'` escaped with `!`. */
export function toRison(value: unknown): string {
  if (value === null || value === undefined) return '!n';
  if (typeof value === 'boolean') return value ? '!t' : '!f';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/!/g, '!!').replace(/'/g, "!'")}'`;
  if (Array.isArray(value)) return `!(${value.map(toRison).join(',')})`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `(${entries.map(([k, v]) => `${k}:${toRison(v)}`).join(',')})`;
}

/** One list page in ascending id order: FAB adds a unique tie-breaker (FAB ≥ 4.6.3), so windows never overlap. */
export function listQuery(filters: Filter[], page: number, pageSize: number, columns?: string[]): string {
  return toRison({ filters, columns, order_column: 'id', order_direction: 'asc', page, page_size: pageSize, keys: ['none'] });
}

export function parseGroupRef(id: string, mode: GroupMode): GroupRef | null {
  const match = /^(role:)?([1-9][0-9]{0,15})$/.exec(id);
  if (!match || (mode === 'roles' && match[1])) return null;
  return { kind: mode === 'roles' || match[1] ? 'role' : 'group', pk: Number(match[2]) };
}

export function formatGroupRef(ref: GroupRef, mode: GroupMode): string {
  return ref.kind === 'role' && mode === 'groups' ? `role:${ref.pk}` : String(ref.pk);
}

/** What it takes to map users and groups: ids resolved once per call, not per row. */
export interface MappingContext {
  mode: GroupMode;
  adminRoleId: number;
  /** Role names hidden from SCIM (built-ins and the baseline role), lower-cased. */
  hiddenRoles: ReadonlySet<string>;
}

/** Superset stores naive timestamps from the server clock; run it with TZ=UTC and they read as UTC. */
function toIsoUtc(naive: string | null): string | null {
  if (!naive) return null;
  return /[zZ]|[+-]\d\d:?\d\d$/.test(naive) ? naive : `${naive}Z`;
}

/** A FAB group carrying Admin makes its members administrators too (FAB's effective roles). */
export function holdsAdmin(g: SupersetGroup, adminRoleId: number): boolean {
  return g.roles.some((r) => r.id === adminRoleId);
}

export function toDirectoryUser(u: SupersetUser, ctx: MappingContext): DirectoryUser {
  const roleIds = u.roles.map((r) => formatGroupRef({ kind: 'role', pk: r.id }, ctx.mode));
  const groupIds = ctx.mode === 'groups' ? [...u.groups.map((g) => String(g.id)), ...roleIds] : roleIds;
  return {
    id: String(u.id),
    email: u.email,
    username: u.username,
    givenName: u.first_name === '' ? null : u.first_name,
    familyName: u.last_name === '' ? null : u.last_name,
    active: u.active !== false,
    locale: null,
    // The answer names the person's groups without their roles: in a group, only Target.isAdministrator can tell.
    isAdmin: u.roles.some((r) => r.id === ctx.adminRoleId) || (u.groups.length > 0 ? null : false),
    ssoSource: null,
    groupIds,
    created: toIsoUtc(u.created_on),
    lastModified: toIsoUtc(u.changed_on),
  };
}

export function fromGroup(g: SupersetGroup, ctx: MappingContext): DirectoryGroup {
  return { id: String(g.id), name: g.name, hidden: ctx.mode === 'roles', isAdmin: holdsAdmin(g, ctx.adminRoleId) };
}

export function fromRole(r: SupersetRef, ctx: MappingContext): DirectoryGroup {
  const hidden = ctx.mode === 'groups' || ctx.hiddenRoles.has(r.name.toLowerCase());
  return { id: formatGroupRef({ kind: 'role', pk: r.id }, ctx.mode), name: r.name, hidden, isAdmin: r.id === ctx.adminRoleId };
}

function truncate(value: string | null | undefined, max: number): string {
  return (value ?? '').slice(0, max);
}

/**
 * A password nobody will type: SSO users never use it, yet FAB requires one. Four of each class satisfy FAB's
 * complexity rule (≥2 upper, ≥3 lower, ≥2 digits, ≥1 special) should an operator turn it on.
 */
export function generatePassword(): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%*+-=?@^_~'];
  const all = classes.join('');
  const chars = [
    ...classes.flatMap((set) => Array.from({ length: 4 }, () => set[randomInt(set.length)])),
    ...Array.from({ length: 24 }, () => all[randomInt(all.length)]),
  ];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

export function toUserCreate(input: DirectoryUserInput, baselineRoleId: number): Record<string, unknown> {
  return {
    username: truncate(input.username ?? input.email, USERNAME_MAX),
    email: input.email,
    first_name: truncate(input.givenName, NAME_MAX),
    last_name: truncate(input.familyName, NAME_MAX),
    password: generatePassword(),
    active: true,
    roles: [baselineRoleId],
  };
}

/** Rows of neutral key → FAB column with its transform; only keys present and different are sent. */
const USER_FIELDS: ReadonlyArray<[keyof DirectoryUserInput, string, (v: string | null) => string]> = [
  ['email', 'email', (v) => v ?? ''],
  ['username', 'username', (v) => truncate(v, USERNAME_MAX)],
  ['givenName', 'first_name', (v) => truncate(v, NAME_MAX)],
  ['familyName', 'last_name', (v) => truncate(v, NAME_MAX)],
];

export function toUserUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Record<string, string> {
  const body: Record<string, string> = {};
  for (const [key, column, transform] of USER_FIELDS) {
    const next = changes[key];
    if (next === undefined || (key === 'username' && next === null)) continue;
    const value = transform(next);
    if (value !== transform(current[key])) body[column] = value;
  }
  return body;
}

/** The neutral fields a create or update body sets, as Superset would answer them back (empty names are none). */
export function fromUserBody(body: Record<string, unknown>): Partial<DirectoryUser> {
  const user: Record<string, string | null> = {};
  for (const [key, column] of USER_FIELDS) {
    if (!(column in body)) continue;
    const value = body[column] as string;
    user[key] = key === 'givenName' || key === 'familyName' ? value || null : value;
  }
  return user as Partial<DirectoryUser>;
}

/** Superset's words for refusals the neutral model names, tried before the generic status mapping. */
const KNOWN_REFUSALS: ReadonlyArray<[(status: number, detail: string) => boolean, TargetErrorCode]> = [
  [(s, d) => (s === 422 || s === 400) && /UNIQUE constraint failed|duplicate key value|already exists/i.test(d), 'conflict'],
  [(s, d) => s === 400 && /with ID\(s\) \[[^\]]*\] (do not exist|not found)/i.test(d), 'not_found'],
  [(s, d) => s === 422 && /foreign key/i.test(d), 'conflict'],
];

/**
 * A 404 for an API Superset did not register, not for a missing row. FAB answers a missing row with
 * `{"message": "Not found"}`; an unknown route gets Superset's own `{"errors": [...]}` (or its HTML page without
 * `Accept: application/json`); and a route without `:params` only 404s when it is not there at all.
 */
export function isUnregisteredApi(route: string, res: HttpResponse): boolean {
  const body = res.body as { message?: unknown } | null;
  return res.status === 404 && (!route.includes(':') || typeof body?.message !== 'string');
}

export function supersetError(method: string, route: string, res: HttpResponse, account: string): TargetError {
  const detail = describeBody(res.body);
  if (isUnregisteredApi(route, res)) {
    return new TargetError(
      'bad_gateway',
      `Superset has no ${route}: the security REST API is off. Set FAB_ADD_SECURITY_API = True in superset_config.py and run "superset init"`,
      404,
    );
  }
  if (res.status === 403) {
    return new TargetError('auth', `Superset forbade ${method} ${route} to "${account}": bi-scim needs an account with the Admin role`, 403);
  }
  const known = KNOWN_REFUSALS.find(([test]) => test(res.status, detail));
  if (known) return new TargetError(known[1], `Superset refused ${method} ${route}: ${detail}`, res.status, { detail: `Superset refused: ${detail}` });
  return upstreamError(method, route, res);
}
