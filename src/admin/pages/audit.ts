// Audit: the trail with the CLI's filters, paged, each event opening onto its before → after and BI calls; export.
import { AUDIT_COLUMNS, auditQueryFrom, type AuditFilters } from '../../commands/audit.ts';
import { printRows, type Format } from '../../commands/output.ts';
import { queryAudit, resolveAuditSubjects, type AuditQuery } from '../../operations/audit-query.ts';
import type { AuditEvent } from '../../operations/audit.ts';
import type { MappingStore } from '../../store/mapping-store.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { badge, count, h, notice, table, when, type Child, type Tone } from '../layout.ts';

const PAGE_SIZE = 50;
/** An export holds at most this many events; narrow the filters for more. */
export const EXPORT_MAX = 10_000;
const FILTERS = ['since', 'until', 'user', 'group', 'action', 'outcome'] as const;
const OUTCOME_TONE: Record<string, Tone> = { success: 'ok', refused: 'warn', failed: 'bad' };

const filtersOf = (query: Record<string, string>): AuditFilters => Object.fromEntries(FILTERS.map((f) => [f, query[f]?.trim() || undefined]));

/** The query the filters ask for, or what is wrong with them (a time that is neither a duration nor a date). */
function readFilters(filters: AuditFilters, limit: number): AuditQuery | { error: string } {
  try {
    return auditQueryFrom(filters, limit);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const queryString = (filters: AuditFilters, extra: Record<string, string> = {}) =>
  new URLSearchParams(Object.entries({ ...filters, ...extra }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')).toString();

function field(name: keyof AuditFilters, label: string, value: string | undefined, hint: string): Child {
  return h(
    'div',
    null,
    h('label', { for: `f-${name}` }, label),
    h('input', { id: `f-${name}`, name, value: value ?? '', 'aria-describedby': `f-${name}-hint` }),
    h('span', { id: `f-${name}-hint`, class: 'muted' }, hint),
  );
}

function filterForm(filters: AuditFilters): Child {
  return h(
    'form',
    { method: 'get', action: '/audit', class: 'filters', 'aria-label': 'Filter the audit trail' },
    field('since', 'Since', filters.since, '24h, 7d or an ISO date'),
    field('until', 'Until', filters.until, '1h or an ISO date'),
    field('user', 'Person', filters.user, 'userName, email or id'),
    field('group', 'Group', filters.group, 'name or id'),
    field('action', 'Actions', filters.action, 'comma-separated, e.g. user.create'),
    h(
      'div',
      null,
      h('label', { for: 'f-outcome' }, 'Outcome'),
      h(
        'select',
        { id: 'f-outcome', name: 'outcome' },
        ...['', 'success', 'refused', 'failed'].map((o) => h('option', { value: o, selected: (filters.outcome ?? '') === o }, o || 'Any')),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter'), h('a', { class: 'button secondary', href: '/audit' }, 'Clear')),
  );
}

const json = (value: unknown) => (value === undefined ? '—' : h('code', null, JSON.stringify(value)));

function eventDetails(e: AuditEvent): Child {
  const resource = [e.resourceType, e.resourceId, e.resourceName].filter(Boolean).join(' ');
  const facts: Array<[string, Child]> = [
    ['When', when(e.at)],
    ['Request id', e.requestId ? h('code', null, e.requestId) : '—'],
    ['By', e.actor ? `${e.actor} (operator)` : (e.caller?.token ?? '—')],
    ['User agent', e.caller?.userAgent ?? '—'],
    ['Reason', e.reason ?? '—'],
    ...(e.cause ? ([['Cause', e.cause]] as Array<[string, Child]>) : []),
    ...(e.verified === undefined ? [] : ([['Verified', e.verified ? 'yes: the BI tool shows it' : 'no']] as Array<[string, Child]>)),
  ];
  const changes = e.changes.map((c) =>
    c.added || c.removed
      ? [c.attribute, `added ${c.added?.join(', ') || 'none'}`, `removed ${c.removed?.join(', ') || 'none'}`]
      : [c.attribute, json(c.before), json(c.after)],
  );
  const calls = e.biCalls.map((b) => [b.method, h('code', null, b.route), String(b.status)]);
  return h(
    'details',
    { class: 'event' },
    h(
      'summary',
      null,
      when(e.at),
      h('strong', null, e.action),
      badge(e.outcome, OUTCOME_TONE[e.outcome] ?? 'neutral'),
      h('span', null, resource),
      h('span', { class: 'muted' }, `by ${e.actor ?? e.caller?.token ?? 'unknown'}`),
    ),
    h(
      'div',
      { class: 'body' },
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      h('h3', null, 'Before → after'),
      table('Changes', ['Attribute', 'Before', 'After'], changes),
      h('h3', null, 'BI calls'),
      table('BI calls', ['Method', 'Route', 'Status'], calls),
    ),
  );
}

export async function auditPage({ deps, query }: PageInput): Promise<PageOutput> {
  const filters = filtersOf(query);
  const form = filterForm(filters);
  const parsed = readFilters(filters, PAGE_SIZE);
  if ('error' in parsed) return { status: 400, content: [form, notice(`The filters could not be read: ${parsed.error}`, 'bad')] };
  const store = deps.provisioning.store;
  const events = await queryAudit(store, { ...(await resolveAuditSubjects(store, parsed)), before: query.before || undefined });
  const qs = queryString(filters);
  const paging: Child[] = [];
  if (query.before) paging.push(h('a', { href: `/audit${qs ? `?${qs}` : ''}` }, 'Newest events'));
  if (events.length === PAGE_SIZE) paging.push(h('a', { href: `/audit?${queryString(filters, { before: events[events.length - 1].id! })}` }, 'Older events'));
  return {
    content: [
      form,
      h(
        'p',
        { class: 'actions' },
        'Export this view:',
        h('a', { href: `/audit/export?${queryString(filters, { format: 'csv' })}`, download: 'bi-scim-audit.csv' }, 'CSV'),
        h('a', { href: `/audit/export?${queryString(filters, { format: 'json' })}`, download: 'bi-scim-audit.jsonl' }, 'JSON lines'),
      ),
      h(
        'p',
        { class: 'muted', role: 'status' },
        `${count(events.length, 'event')} on this page, newest first. Open one to see what changed and which BI calls it made.`,
      ),
      h('div', null, ...events.map(eventDetails)),
      h('nav', { 'aria-label': 'Audit pages', class: 'actions' }, ...paging),
    ],
  };
}

/** The filtered view as CSV (the CLI's columns) or JSON lines (whole events), or why the filters are wrong. */
export async function auditExport(store: MappingStore, query: Record<string, string>): Promise<{ body: string; format: Format } | { error: string }> {
  const format = query.format === 'json' ? 'json' : query.format === 'csv' ? 'csv' : null;
  if (!format) return { error: 'format must be csv or json' };
  const parsed = readFilters(filtersOf(query), EXPORT_MAX);
  if ('error' in parsed) return parsed;
  const events = await queryAudit(store, await resolveAuditSubjects(store, parsed));
  const lines: string[] = [];
  printRows({ out: (line) => lines.push(line), err: () => undefined }, format, AUDIT_COLUMNS, events, (e) => e);
  return { body: lines.map((l) => `${l}\n`).join(''), format };
}
