// The audit trail: one event per SCIM write (and per operator act), in the store's stream and as a pino line.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import type { HttpCallSample } from '../targets/http.ts';

export type AuditAction =
  | 'user.create'
  | 'user.update'
  | 'user.deactivate'
  | 'user.reactivate'
  | 'user.delete'
  | 'group.create'
  | 'group.update'
  | 'group.rename'
  | 'group.delete'
  | 'member.add'
  | 'member.remove'
  | 'guard.tripped'
  | 'guard.approve'
  | 'guard.reset'
  | 'token.create'
  | 'token.revoke'
  | 'drift.detected'
  | 'drift.resolved'
  | 'reconcile.apply';

/** One attribute before → after; membership changes list the ids added and removed instead. */
export interface AuditChange {
  attribute: string;
  before?: unknown;
  after?: unknown;
  added?: string[];
  removed?: string[];
}

export interface BiCall {
  method: string;
  route: string;
  status: number | 'error';
}

export interface AuditEvent {
  /** The stream entry's id, set when read back. */
  id?: string;
  at: string;
  requestId: string | null;
  /** The IdP's bearer token and user agent; null for an operator's act. */
  caller: { token: string; userAgent: string | null } | null;
  /** Who acted outside SCIM: `--by` on the CLI, the console's signed-in admin token. */
  actor?: string | null;
  action: AuditAction;
  resourceType: 'User' | 'Group' | 'Token' | 'Guard' | 'Directory';
  resourceId: string | null;
  resourceName: string | null;
  changes: AuditChange[];
  biCalls: BiCall[];
  outcome: 'success' | 'refused' | 'failed';
  reason?: string;
  /** Removals only: whether reading the BI tool back showed the change (absent where nothing was removed). */
  verified?: boolean;
  /** For a refusal or failure: what stopped it (`protection`, `guard`, or the BI tool's error code such as `auth`). */
  cause?: string;
  /** Administrator rights this write gave or took (BI ids), for the admin.granted / admin.revoked alerts. */
  admin?: { granted?: string[]; revoked?: string[] };
  /** Made through a dry-run token: nothing reached the BI tool (no alert, not counted in metrics). */
  dryRun?: boolean;
}

export const AUDIT_STREAM = 'audit';

export interface AuditRetention {
  retentionDays: number;
  maxEvents: number;
}

/** The BI calls made on behalf of the current request, collected without passing a log through every layer. */
const biCallLog = new AsyncLocalStorage<BiCall[]>();

/** Wired to the HTTP client's onCall: attributes each BI call to the audit event of the request that made it. */
export function recordBiCall({ method, route, status }: HttpCallSample): void {
  biCallLog.getStore()?.push({ method, route, status });
}

export function collectBiCalls<T>(calls: BiCall[], fn: () => Promise<T>): Promise<T> {
  return biCallLog.run(calls, fn);
}

export interface AuditSink {
  /** Stores the event, logs it as one `audit` line and counts it; never throws (a store outage is logged). */
  record(event: AuditEvent): Promise<void>;
}

export function createAuditTrail(options: {
  store: MappingStore;
  logger: Logger;
  metrics: Metrics;
  retention: AuditRetention;
  onEvent?: (event: AuditEvent) => void;
}): AuditSink {
  const { store, logger, metrics, retention, onEvent } = options;
  const bounds = { maxEntries: retention.maxEvents, maxAgeMs: retention.retentionDays * 86_400_000 };
  return {
    async record(event) {
      logger.info(
        { audit: event },
        `${event.dryRun ? 'dry run: ' : ''}${event.action} ${event.resourceType} ${event.resourceId ?? ''} ${event.outcome}`.replace(/ +/g, ' '),
      );
      if (!event.dryRun) {
        metrics.provisioningEvent(event);
        onEvent?.(event);
      }
      try {
        await store.append(AUDIT_STREAM, event, bounds);
      } catch (err) {
        logger.error({ err, audit: event }, 'audit event could not be stored');
      }
    },
  };
}

/** An audit sink that only logs (tools that write nothing worth keeping). */
export function logOnlyAudit(logger: Logger): AuditSink {
  return { record: async (event) => void logger.info({ audit: event }, event.action) };
}

/** Attributes that may carry a secret never reach the trail, not even as before → after. */
const SECRET_ATTRIBUTES = new Set(['password']);

/** The top-level attributes that differ, before → after (absent ones are left out on that side). */
export function diffAttributes(before: Record<string, unknown> | null, after: Record<string, unknown>): AuditChange[] {
  const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])].filter((n) => !SECRET_ATTRIBUTES.has(n.toLowerCase()));
  return names
    .filter((name) => !isDeepStrictEqual(before?.[name], after[name]))
    .map((attribute) => ({
      attribute,
      ...(before && attribute in before ? { before: before[attribute] } : {}),
      ...(attribute in after ? { after: after[attribute] } : {}),
    }));
}
