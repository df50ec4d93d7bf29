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
  /** The ids the store knows `user` and `group` by (resolveAuditSubjects): earlier names and membership changes match too. */
  userId?: string | null;
  groupId?: string | null;
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
    const ids = [q.user, q.userId].filter((id): id is string => !!id);
    const aboutUser = event.resourceType === 'User' && (ids.includes(event.resourceId ?? '') || same(event.resourceName, q.user));
    const namesUser = event.changes.some((c) => ids.some((id) => c.added?.includes(id) || c.removed?.includes(id)));
    if (!aboutUser && !namesUser) return false;
  }
  if (q.group) {
    const ids = [q.group, q.groupId].filter((id): id is string => !!id);
    if (!(event.resourceType === 'Group' && (ids.includes(event.resourceId ?? '') || same(event.resourceName, q.group)))) return false;
  }
  return true;
}

/**
 * The ids behind a `--user` userName or email and a `--group` displayName: events name a person by id in membership
 * changes, and by the name they had at the time, so a renamed person's earlier events are found only through the id.
 */
export async function resolveAuditSubjects(store: MappingStore, q: AuditQuery): Promise<AuditQuery> {
  const userId = q.user ? ((await store.findId('User', 'userName', q.user)) ?? (await store.findId('User', 'emails', q.user))) : null;
  const groupId = q.group ? await store.findId('Group', 'displayName', q.group) : null;
  return { ...q, userId, groupId };
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
