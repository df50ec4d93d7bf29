// What every use case receives: its dependencies once, and the calling request's context per call.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { PromiseCache } from '../cache.ts';
import type { DirectoryGroup, ServiceAccount } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import type { AuditEvent, MappingStore } from '../store/mapping-store.ts';
import { LockTimeoutError } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';

export interface ProvisioningOptions {
  /** IdP group name → existing BI group/role name (config `groupMappings`). */
  groupMappings: Array<{ idpGroup: string; target: string }>;
  /** Break-glass people (`id:<bi id>`, emails or BI usernames) that SCIM may never deactivate, delete or demote. */
  protectedUsers: string[];
  /** Lets SCIM change the login email of administrators and protected people (config `allowAdminEmailChange`). */
  allowAdminEmailChange?: boolean;
  /** How the BI login name is computed from a SCIM User (Superset), e.g. `{userName}`; null for Metabase. */
  usernameTemplate: string | null;
  /** DELETE /Users removes the person from the BI tool instead of deactivating (Superset, opt-in). */
  hardDelete: boolean;
}

export interface ProvisioningDeps {
  target: Target;
  store: MappingStore;
  logger: Logger;
  metrics: Metrics;
  options: ProvisioningOptions;
  /** Milliseconds, like Date.now; tests move it by hand. */
  now?: () => number;
}

/** Group names and hidden flags change rarely; a short-lived copy spares a BI call per rendered User. */
export const GROUP_LIST_TTL_MS = 10_000;

export interface Provisioning extends Required<ProvisioningDeps> {
  /** Per-process copies of what the BI tool rarely changes: its own account (for ever) and the group list (10 s). */
  cache: {
    serviceAccount: PromiseCache<'self', ServiceAccount>;
    groups: PromiseCache<'all', DirectoryGroup[]>;
    /** BI ids of the configured break-glass people, resolved once. */
    protectedIds: PromiseCache<'self', Set<string>>;
  };
}

export function createProvisioning({ now = Date.now, ...deps }: ProvisioningDeps): Provisioning {
  return {
    ...deps,
    now,
    cache: { serviceAccount: new PromiseCache({ now }), groups: new PromiseCache({ ttlMs: GROUP_LIST_TTL_MS, now }), protectedIds: new PromiseCache({ now }) },
  };
}

export interface RequestContext {
  /** Absolute SCIM base URL of this request, for meta.location and $ref. */
  base: string;
  requestId: string;
  /** Who asked: the name of the bearer token and the IdP's user agent. */
  caller: { token: string; userAgent: string | null };
}

/** The current time on the provisioning clock, as SCIM writes it (RFC 7643 §2.3.5). */
export function isoNow(p: Provisioning): string {
  return new Date(p.now()).toISOString();
}

/** The BI tool's own credentials never change; read once per process. */
export function serviceAccountOf(p: Provisioning): Promise<ServiceAccount> {
  return p.cache.serviceAccount.get('self', () => p.target.serviceAccount());
}

export async function audit(p: Provisioning, ctx: RequestContext, event: AuditEvent): Promise<void> {
  const entry = { ...event, requestId: ctx.requestId, at: new Date(p.now()).toISOString() };
  p.metrics.provisioningEvent(event);
  p.logger.info({ audit: entry }, `${event.action} ${event.resourceType} ${event.resourceId ?? ''} ${event.outcome}`.trim());
  try {
    await p.store.appendAudit(entry);
  } catch (err) {
    p.logger.error({ err, audit: entry }, 'audit event could not be stored');
  }
}

/** Serialises writes to one resource; a lock that cannot be had in time is a retryable 503. */
export async function withResourceLock<T>(p: Provisioning, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await p.store.withLock(key, fn);
  } catch (err) {
    if (err instanceof LockTimeoutError) {
      throw new ScimError('unavailable', `Another request is changing ${key}; try again`, { retryAfter: 2, cause: err });
    }
    throw err;
  }
}
