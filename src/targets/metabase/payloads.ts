// Translation between Metabase's JSON (users, groups, errors) and the neutral directory model.
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput } from '../../directory.ts';
import { describeBody, upstreamError, type HttpResponse } from '../http.ts';
import { TargetError, type TargetErrorCode } from '../target.ts';
import { z } from 'zod';

/** The keys bi-scim reads from a user (metabase-api.md §1.2); other keys are dropped. */
export const metabaseUser = z.object({
  id: z.number().int(),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  is_active: z.boolean(),
  is_superuser: z.boolean(),
  locale: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  sso_source: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  date_joined: z.string().nullish(),
  updated_at: z.string().nullish(),
  /** GET/POST/PUT by id. */
  user_group_memberships: z.array(z.object({ id: z.number().int() })).optional(),
  /** List entries. */
  group_ids: z.array(z.number().int()).optional(),
});
export type MetabaseUser = z.output<typeof metabaseUser>;

/** `GET /api/user`'s envelope (§1.3). */
export const userPage = z.object({ data: z.array(metabaseUser), total: z.number().int() });

export const metabaseGroup = z.object({ id: z.number().int(), name: z.string(), magic_group_type: z.string().nullish() });
export type MetabaseGroup = z.output<typeof metabaseGroup>;

/** One of `GET /api/permissions/group/:id`'s `members`: the group's active members with their membership ids (§2.2). */
export const groupMember = z.object({ user_id: z.number().int(), email: z.string(), membership_id: z.number().int() });

/** One person's entry in `GET /api/permissions/membership`, the map of user id → memberships (§2.2). */
export const userMemberships = z.array(z.object({ membership_id: z.number().int(), group_id: z.number().int() }));
export type UserMemberships = z.output<typeof userMemberships>;

/** An entry of `GET /api/user`'s `data` where only the id is read. */
export const userId = z.object({ id: z.number().int() });

/** An answer bi-scim does not read (e.g. `{"success": true}`). */
export const ignored = z.unknown();

/** Metabase's magic groups by id where `magic_group_type` is absent (releases before it existed). */
const MAGIC_GROUP_IDS: Record<number, string> = { 1: 'all-internal-users', 2: 'admin' };

/** API-key users appear in group member lists but never in /api/user; SCIM must not see them. */
export function isApiKeyUser(email: string): boolean {
  return email.toLowerCase().endsWith('@api-key.invalid');
}

/** Metabase's internal user (id 13371338) answers GET by id but is no person either. */
const INTERNAL_USER_EMAIL = 'internal@metabase.com';

export function isPerson(user: Pick<MetabaseUser, 'email'>): boolean {
  return !isApiKeyUser(user.email) && user.email.toLowerCase() !== INTERNAL_USER_EMAIL;
}

export function toDirectoryUser(u: MetabaseUser): DirectoryUser {
  const groupIds = u.user_group_memberships?.map((m) => m.id) ?? u.group_ids ?? [];
  return {
    id: String(u.id),
    email: u.email,
    username: null,
    givenName: u.first_name,
    familyName: u.last_name,
    active: u.is_active,
    locale: u.locale,
    isAdmin: u.is_superuser,
    ssoSource: u.sso_source ?? null,
    groupIds: groupIds.map(String),
    created: u.date_joined ?? null,
    lastModified: u.updated_at ?? null,
  };
}

export function toDirectoryGroup(g: MetabaseGroup): DirectoryGroup {
  const magic = g.magic_group_type ?? MAGIC_GROUP_IDS[g.id] ?? null;
  return { id: String(g.id), name: g.name, hidden: magic !== null, isAdmin: magic === 'admin' };
}

/** Metabase stores locales as `xx` or `xx_YY` and answers 400 to anything else, so only those are sent. */
export function toMetabaseLocale(locale: string | null): string | null | undefined {
  if (locale === null) return null;
  const match = /^([a-z]{2})(?:[-_]([a-z]{2}))?$/i.exec(locale);
  if (!match) return undefined;
  return match[2] ? `${match[1].toLowerCase()}_${match[2].toUpperCase()}` : match[1].toLowerCase();
}

/**
 * The PUT /api/user/:id body for the keys that really change. Names of SSO-sourced users are left out:
 * Metabase answers 400 to any name edit for them, even from an admin (metabase-api.md §1.6 step 5).
 */
export function toUserCreate(input: DirectoryUserInput): { email: string; first_name: string | null; last_name: string | null } {
  return { email: input.email, first_name: input.givenName, last_name: input.familyName };
}

export function toUserUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (changes.email !== undefined && changes.email.toLowerCase() !== current.email.toLowerCase()) body.email = changes.email;
  if (current.ssoSource === null) {
    if (changes.givenName !== undefined && changes.givenName !== current.givenName) body.first_name = changes.givenName;
    if (changes.familyName !== undefined && changes.familyName !== current.familyName) body.last_name = changes.familyName;
  }
  if (changes.locale !== undefined) {
    const locale = toMetabaseLocale(changes.locale);
    if (locale !== undefined && locale !== current.locale) body.locale = locale;
  }
  return body;
}

/** Metabase's own words for refusals that the neutral model names (bare text or `errors`). */
const KNOWN_REFUSALS: ReadonlyArray<[RegExp, TargetErrorCode]> = [
  [/already (in use|associated to another user)|group with that name already exists/i, 'conflict'],
  [/cannot remove the last member of the 'Admin' group/i, 'protected'],
  [/cannot edit or delete the '.*' permissions group|cannot add or remove users to\/from the 'All Users' group/i, 'forbidden'],
];

export function metabaseError(method: string, route: string, res: HttpResponse): TargetError {
  const detail = describeBody(res.body);
  const known = res.status === 400 ? KNOWN_REFUSALS.find(([pattern]) => pattern.test(detail)) : undefined;
  if (known) return new TargetError(known[1], `Metabase refused ${method} ${route}: ${detail}`, res.status, { detail: `Metabase refused: ${detail}` });
  return upstreamError(method, route, res);
}
