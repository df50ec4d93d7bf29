// Reading the audit trail back: filters by time, person, group, action and outcome, newest first, bounded.
import type { MappingStore, StreamEntry } from '../store/mapping-store.ts';
import { AUDIT_STREAM, type AuditEvent } from './audit.ts';

export interface AuditQuery {
  /** Milliseconds since the epoch. */
  since?: number;
  until?: number;
  /** A userName, email or id: events about that person, membership changes naming them included. */
  user?: string;
  /** A displayName or id. */
  group?: string;
  actions?: string[];
  outcomes?: string[];
  /** Only events older than this id: the next page after a page ending with it. */
  before?: string;
  limit: number;
}

const SCAN_PAGE = 1_000;
/** A query never reads more events than this from the store, however few of them match. */
export const AUDIT_SCAN_MAX = 200_000;

const same = (a: string | null | undefined, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

export function matchesAudit(event: AuditEvent, q: Omit<AuditQuery, 'limit'>): boolean {
  if (q.actions?.length && !q.actions.includes(event.action)) return false;
  if (q.outcomes?.length && !q.outcomes.includes(event.outcome)) return false;
  if (q.user) {
    const aboutUser = event.resourceType === 'User' && (event.resourceId === q.user || same(event.resourceName, q.user));
    const namesUser = event.changes.some((c) => c.added?.includes(q.user!) || c.removed?.includes(q.user!));
    if (!aboutUser && !namesUser) return false;
  }
  if (q.group && !(event.resourceType === 'Group' && (event.resourceId === q.group || same(event.resourceName, q.group)))) return false;
  return true;
}

/** Events written before the trail had callers, changes and BI calls read with those empty. */
function withId(entry: StreamEntry): AuditEvent {
  const event = entry.value as Partial<AuditEvent> & Pick<AuditEvent, 'at' | 'action' | 'resourceType' | 'outcome'> & { detail?: string };
  const defaults = { caller: null, requestId: null, resourceId: null, resourceName: null, changes: [], biCalls: [], reason: event.detail };
  return { ...defaults, ...event, id: entry.id };
}

/** Newest first, at most `limit`, paging back through [since, until]. */
export async function queryAudit(store: MappingStore, q: AuditQuery): Promise<AuditEvent[]> {
  const found: AuditEvent[] = [];
  let before = q.before;
  for (let scanned = 0; found.length < q.limit && scanned < AUDIT_SCAN_MAX; scanned += SCAN_PAGE) {
    const page = await store.readStream(AUDIT_STREAM, { fromMs: q.since, toMs: q.until, before, limit: SCAN_PAGE, order: 'newest' });
    for (const event of page.map(withId)) if (found.length < q.limit && matchesAudit(event, q)) found.push(event);
    if (page.length < SCAN_PAGE) break;
    before = page[page.length - 1].id;
  }
  return found;
}

/** Events appended after `after` (an id; none = from now on is the caller's business), oldest first. */
export async function auditAfter(store: MappingStore, after: string | undefined, limit = SCAN_PAGE): Promise<AuditEvent[]> {
  return (await store.readStream(AUDIT_STREAM, { after, limit, order: 'oldest' })).map(withId);
}
