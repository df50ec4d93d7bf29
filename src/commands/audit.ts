// `bi-scim audit`: the audit trail, filtered, as a table, JSON lines or CSV, or followed as it grows.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditAfter, matchesAudit, queryAudit, resolveAuditSubjects, type AuditQuery } from '../operations/audit-query.ts';
import type { AuditEvent } from '../operations/audit.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import { parseFormat, parseInstant, printRows, type Column, type Io } from './output.ts';

export const AUDIT_HELP = `Usage: bi-scim audit [options]

Reads the audit trail from the store (BI_SCIM_REDIS_URL). Newest first.

  --since 24h|<ISO>     only events at or after this (default: all kept)
  --until <ISO>|<dur>   only events at or before this
  --user <userName|id>  events about one person, membership changes naming them included
  --group <name|id>     events about one group
  --action <a,b>        e.g. user.deactivate,member.remove
  --outcome <o,b>       success, refused, failed
  --limit N             at most N events (default 100)
  --format table|json|csv   table for people; JSON lines or CSV for a SIEM
  --follow              then keep printing new matching events until interrupted`;

function summary(event: AuditEvent): string {
  return event.changes
    .map((c) => {
      if (c.added || c.removed) return `${c.attribute} +${c.added?.length ?? 0} -${c.removed?.length ?? 0}`;
      return `${c.attribute}: ${JSON.stringify(c.before ?? null)} → ${JSON.stringify(c.after ?? null)}`;
    })
    .join('; ');
}

/** The columns of the table and of CSV, on the CLI and in the console's export. */
export const AUDIT_COLUMNS: Column<AuditEvent>[] = [
  { header: 'TIME', value: (e) => e.at },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'OUTCOME', value: (e) => (e.dryRun ? `${e.outcome} (dry run)` : e.outcome) },
  { header: 'RESOURCE', value: (e) => [e.resourceType, e.resourceId, e.resourceName].filter(Boolean).join(' '), max: 48 },
  { header: 'BY', value: (e) => e.actor ?? e.caller?.token ?? '' },
  { header: 'VERIFIED', value: (e) => (e.verified === undefined ? '' : String(e.verified)) },
  { header: 'DETAIL', value: (e) => [summary(e), e.reason].filter(Boolean).join(' | '), max: 100 },
];

/** The filters as typed (the CLI's options, the console's form fields); a bad time throws a message that says why. */
export interface AuditFilters {
  since?: string;
  until?: string;
  user?: string;
  group?: string;
  action?: string;
  outcome?: string;
}

const listOf = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export function auditQueryFrom(filters: AuditFilters, limit: number): AuditQuery {
  return {
    since: filters.since ? parseInstant(filters.since) : undefined,
    until: filters.until ? parseInstant(filters.until) : undefined,
    user: filters.user || undefined,
    group: filters.group || undefined,
    actions: listOf(filters.action),
    outcomes: listOf(filters.outcome),
    limit,
  };
}

export async function auditCommand(args: string[], store: MappingStore, io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      user: { type: 'string' },
      group: { type: 'string' },
      action: { type: 'string' },
      outcome: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      follow: { type: 'boolean' },
    },
  });
  const format = parseFormat(values.format, ['table', 'json', 'csv']);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit takes a positive whole number, not "${values.limit}"`);
  const query = await resolveAuditSubjects(store, auditQueryFrom(values, limit));
  if (store.kind === 'memory')
    io.err("note: no BI_SCIM_REDIS_URL, so this reads an empty in-memory store; the audit trail lives in the server's Redis (or its console)");
  const events = await queryAudit(store, query);
  const json = (e: AuditEvent) => e;
  printRows(io, format, AUDIT_COLUMNS, events, json);
  if (!values.follow) return 0;
  return follow(store, events[0]?.id, query, (e) => printRows(io, format, AUDIT_COLUMNS, [e], json, false), signal);
}

/** Polls for events after the newest one shown, printing those that match, until the signal aborts. */
async function follow(
  store: MappingStore,
  after: string | undefined,
  query: AuditQuery,
  print: (event: AuditEvent) => void,
  signal?: AbortSignal,
): Promise<number> {
  let last = after ?? (await auditAfter(store, undefined, 1_000_000)).at(-1)?.id;
  while (!signal?.aborted) {
    for (const event of await auditAfter(store, last)) {
      last = event.id;
      if (matchesAudit(event, query)) print(event);
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
  return 0;
}
