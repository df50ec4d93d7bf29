// What every use case receives: its dependencies once, and the calling request's context per call.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { ServiceAccount } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import type { AuditEvent, MappingStore } from '../store/mapping-store.ts';
import { LockTimeoutError } from '../store/mapping-store.ts';
import type { Target } from '../targets/target.ts';

export interface ProvisioningOptions {
  /** IdP group name → existing BI group/role name (config `groupMappings`). */
  groupMappings: Array<{ idpGroup: string; target: string }>;
  /** Break-glass people (emails or BI usernames) that SCIM may never deactivate, delete or demote. */
  protectedUsers: string[];
  /** How the BI login name is computed from a SCIM User (Superset), e.g. `{userName}`; null for Metabase. */
  usernameTemplate: string | null;
  /** DELETE /Users removes the person from the BI tool instead of deactivating (Superset, opt-in). */
  hardDelete: boolean;
}

export interface Provisioning {
  target: Target;
  store: MappingStore;
  logger: Logger;
  metrics: Metrics;
  options: ProvisioningOptions;
}

export interface RequestContext {
  /** Absolute SCIM base URL of this request, for meta.location and $ref. */
  base: string;
  requestId: string;
  /** Who asked: the name of the bearer token and the IdP's user agent. */
  caller: { token: string; userAgent: string | null };
}

/** The BI tool's own credentials never change; read once per process. */
const serviceAccounts = new WeakMap<Target, Promise<ServiceAccount>>();

export function serviceAccountOf(target: Target): Promise<ServiceAccount> {
  let account = serviceAccounts.get(target);
  if (!account) {
    account = target.serviceAccount();
    account.catch(() => serviceAccounts.delete(target));
    serviceAccounts.set(target, account);
  }
  return account;
}

export async function audit(p: Provisioning, ctx: RequestContext, event: AuditEvent): Promise<void> {
  const entry = { ...event, requestId: ctx.requestId, at: new Date().toISOString() };
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
