// The double's in-memory Metabase (tables, rules, auth) seeded like a fresh install, and what a route handler sees.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Authenticator } from './auth.ts';
import { Directory, type DoubleUser } from './directory.ts';
import { forbidden, type Reply } from './responses.ts';
import { INTERNAL_USER_ID, MetabaseRules, nowIso } from './rules.ts';
import type { Paging } from './validation.ts';

export const DEFAULT_API_KEY = 'mb_test_key_bi_scim_double_AAAAAAAAAAAAAAAAAAAA';
export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';
export const DEFAULT_ADMIN_PASSWORD = 'admin-password-1';
/** MB_MAX_SESSION_AGE's default: 14 days. */
export const DEFAULT_MAX_SESSION_AGE_MINUTES = 20_160;

export interface MetabaseStateOptions {
  apiKey?: string;
  adminEmail?: string;
  adminPassword?: string;
  maxSessionAgeMinutes?: number;
}

export interface MetabaseCore {
  directory: Directory;
  rules: MetabaseRules;
  auth: Authenticator;
  apiKey: string;
  adminEmail: string;
  adminPassword: string;
  apiKeyUserId: number;
}

/**
 * A fresh Metabase: All Users (1) and Administrators (2), the installing admin, the API key's hidden user (an
 * Administrators key, so a superuser) and the internal user, which belongs to no group and is never listed.
 */
export function createMetabaseState(options: MetabaseStateOptions = {}): MetabaseCore {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const adminEmail = (options.adminEmail ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
  const adminPassword = options.adminPassword ?? DEFAULT_ADMIN_PASSWORD;
  const directory = new Directory();
  const rules = new MetabaseRules(directory);
  directory.insertGroup('All Users', 'all-internal-users');
  directory.insertGroup('Administrators', 'admin');
  rules.createUser({ email: adminEmail, first_name: 'Admin', last_name: 'User', is_superuser: true, password: adminPassword });
  const apiKeyUser = rules.createUser({
    email: `api-key-user-${randomUUID()}@api-key.invalid`,
    first_name: 'bi-scim',
    type: 'api-key',
    is_superuser: true,
  });
  const now = nowIso();
  directory.insertUser(
    {
      email: 'internal@metabase.com',
      first_name: 'Metabase',
      last_name: 'Internal',
      type: 'internal',
      is_active: false,
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
      deactivated_at: now,
      password: null,
    },
    INTERNAL_USER_ID,
  );
  const auth = new Authenticator(directory, apiKey, apiKeyUser.id, options.maxSessionAgeMinutes ?? DEFAULT_MAX_SESSION_AGE_MINUTES);
  return { directory, rules, auth, apiKey, adminEmail, adminPassword, apiKeyUserId: apiKeyUser.id };
}

export interface RequestContext {
  core: MetabaseCore;
  method: string;
  path: string;
  /** Route params, already known to be positive integers. */
  params: Record<string, number>;
  query: URLSearchParams;
  /** The decoded JSON body ({} when there was none). */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  ip: string;
  paging: Paging;
  /** Set on every route behind Metabase's +auth wrapper. */
  caller: DoubleUser | null;
}

export interface Route {
  method: string;
  /** `/api/user/:id`; every `:param` is a PositiveInt, so it only matches digits (api.macros route regexes). */
  path: string;
  handle(ctx: RequestContext): Reply;
}

export function callerOf(ctx: RequestContext): DoubleUser {
  if (!ctx.caller) throw new Error(`route ${ctx.path} needs an authenticated caller`);
  return ctx.caller;
}

/** api/check-superuser; OSS has no group managers, so every manager check is this one too. */
export function requireSuperuser(ctx: RequestContext): DoubleUser {
  const caller = callerOf(ctx);
  if (!caller.is_superuser) throw forbidden();
  return caller;
}

export function requireSelfOrSuperuser(ctx: RequestContext, userId: number): DoubleUser {
  const caller = callerOf(ctx);
  if (!caller.is_superuser && caller.id !== userId) throw forbidden();
  return caller;
}
