// What every use case receives: its dependencies once, and the calling request's context per call.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { PromiseCache } from '../cache.ts';
import type { DirectoryGroup, ServiceAccount } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import {
  collectBiCalls,
  createAuditTrail,
  type AuditAction,
  type AuditChange,
  type AuditEvent,
  type AuditRetention,
  type AuditSink,
  type BiCall,
} from '../operations/audit.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import { LockTimeoutError } from '../store/mapping-store.ts';
import { TargetError, type Target } from '../targets/target.ts';
import type { DeprovisioningGuard } from '../operations/guard.ts';

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
  /** Read every removal back from the BI tool before acknowledging it (config `verifyRemovals`, default on). */
  verifyRemovals?: boolean;
}

export interface ProvisioningDeps {
  target: Target;
  store: MappingStore;
  logger: Logger;
  metrics: Metrics;
  options: ProvisioningOptions;
  /** Milliseconds, like Date.now; tests move it by hand. */
  now?: () => number;
  /** Where audit events go; by default the store's stream with default retention, and the log. */
  audit?: AuditSink;
  /** The deprovisioning guard; none by default. */
  guard?: DeprovisioningGuard | null;
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

export const DEFAULT_AUDIT_RETENTION: AuditRetention = { retentionDays: 400, maxEvents: 1_000_000 };

export function createProvisioning({ now = Date.now, audit, ...deps }: ProvisioningDeps): Provisioning {
  return {
    ...deps,
    now,
    guard: deps.guard ?? null,
    audit: audit ?? createAuditTrail({ store: deps.store, logger: deps.logger, metrics: deps.metrics, retention: DEFAULT_AUDIT_RETENTION }),
    cache: { serviceAccount: new PromiseCache({ now }), groups: new PromiseCache({ ttlMs: GROUP_LIST_TTL_MS, now }), protectedIds: new PromiseCache({ now }) },
  };
}

export interface RequestContext {
  /** Absolute SCIM base URL of this request, for meta.location and $ref. */
  base: string;
  requestId: string;
  /** Who asked: the name of the bearer token and the IdP's user agent; null for an operator's act. */
  caller: AuditEvent['caller'];
  /** The operator (or the periodic job) acting outside SCIM, e.g. a reconcile's `--by`. */
  actor?: string;
}

/** The context of work an operator (or a periodic job) starts, audited under `actor` rather than an IdP token. */
export function operatorContext(actor: string): RequestContext {
  return { base: '', requestId: `op-${randomUUID()}`, caller: null, actor };
}

/** The current time on the provisioning clock, as SCIM writes it (RFC 7643 §2.3.5). */
export function isoNow(p: Provisioning): string {
  return new Date(p.now()).toISOString();
}

/** The BI tool's own credentials never change; read once per process. */
export function serviceAccountOf(p: Provisioning): Promise<ServiceAccount> {
  return p.cache.serviceAccount.get('self', () => p.target.serviceAccount());
}

/** What a use case tells the audit trail as it goes: the action may sharpen (an update turns out to deactivate). */
export interface AuditDraft {
  action: AuditAction;
  resourceType: AuditEvent['resourceType'];
  resourceId: string | null;
  resourceName: string | null;
  changes: AuditChange[];
  verified?: boolean;
  /** What of the request was not done, on a success (e.g. protected members kept). */
  reason?: string;
  admin?: AuditEvent['admin'];
}

/** Refusals are decisions (protection, the guard); anything else that stops a write is a failure. */
function outcomeOf(err: unknown): Pick<AuditEvent, 'outcome' | 'reason' | 'cause'> {
  const reason = err instanceof Error ? err.message : String(err);
  if ((err instanceof ScimError && err.code === 'protectedPrincipal') || (err instanceof TargetError && err.code === 'protected'))
    return { outcome: 'refused', reason, cause: 'protection' };
  if (err instanceof ScimError && err.refusal) return { outcome: 'refused', reason, cause: 'guard' };
  const cause = err instanceof TargetError ? err.code : err instanceof ScimError && err.cause instanceof TargetError ? err.cause.code : undefined;
  return { outcome: 'failed', reason, cause };
}

/**
 * Runs one SCIM write and records exactly one audit event for it, whatever its outcome, with the BI calls it made
 * (design §7: who, what, before → after, BI calls, outcome, verified).
 */
export async function audited<T>(p: Provisioning, ctx: RequestContext, draft: AuditDraft, work: (draft: AuditDraft) => Promise<T>): Promise<T> {
  const biCalls: BiCall[] = [];
  const record = (result: Pick<AuditEvent, 'outcome' | 'reason' | 'cause'>) =>
    p.audit.record({ at: isoNow(p), requestId: ctx.requestId, caller: ctx.caller, ...(ctx.actor ? { actor: ctx.actor } : {}), ...draft, biCalls, ...result });
  try {
    const value = await collectBiCalls(biCalls, () => work(draft));
    await record({ outcome: 'success', reason: draft.reason });
    return value;
  } catch (err) {
    await record(outcomeOf(err));
    throw err;
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
