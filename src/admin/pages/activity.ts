// Activity: audit events per hour over 7 days by action and outcome, and the IdP callers of the last 24 hours.
import { AUDIT_SCAN_MAX, queryAudit } from '../../operations/audit-query.ts';
import { activityChart, bucketByHour, OUTCOMES, type Outcome } from '../chart.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { h, table } from '../layout.ts';
import { summarizeCallers } from '../replicas.ts';

const WEEK_MS = 7 * 86_400_000;

export async function activityPage({ deps, query }: PageInput): Promise<PageOutput> {
  const now = deps.now();
  const store = deps.provisioning.store;
  const action = query.action || '';
  const week = await queryAudit(store, { since: now - WEEK_MS, limit: AUDIT_SCAN_MAX });
  const shown = action ? week.filter((e) => e.action === action) : week;
  const byAction = new Map<string, Record<Outcome, number>>();
  for (const e of week) {
    const counts = byAction.get(e.action) ?? { success: 0, refused: 0, failed: 0 };
    counts[e.outcome] += 1;
    byAction.set(e.action, counts);
  }
  const actions = [...byAction.keys()].sort();
  const what = action ? `${action} events` : 'Audit events';
  const chart = activityChart(
    bucketByHour(shown, now),
    `${what} per hour, last 7 days`,
    `${shown.length} events in the last 7 days, stacked by outcome (success, refused, failed).`,
  );
  const filter = h(
    'form',
    { method: 'get', action: '/activity', class: 'filters' },
    h(
      'div',
      null,
      h('label', { for: 'action' }, 'Action'),
      h(
        'select',
        { id: 'action', name: 'action' },
        h('option', { value: '', selected: action === '' }, 'All actions'),
        ...[...new Set([...actions, ...(action ? [action] : [])])].map((a) => h('option', { value: a, selected: a === action }, a)),
      ),
    ),
    h('div', null, h('button', { type: 'submit' }, 'Show')),
  );
  const actionRows = actions.map((a) => {
    const counts = byAction.get(a)!;
    return [
      h('a', { href: `/activity?action=${encodeURIComponent(a)}` }, a),
      ...OUTCOMES.map((o) => String(counts[o])),
      String(OUTCOMES.reduce((n, o) => n + counts[o], 0)),
    ];
  });
  const callers = summarizeCallers(await deps.replicas(), now);
  const callerRows = callers.map((c) => [
    c.token === null ? h('span', { class: 'muted' }, '(no valid token)') : h('span', { class: 'mono' }, c.token),
    c.userAgents.join(', '),
    String(c.requests),
    String(c.errors),
  ]);
  return {
    content: [
      filter,
      chart,
      h('h2', null, 'By action and outcome, last 7 days'),
      table(
        'Audit events by action and outcome, last 7 days',
        ['Action', ...OUTCOMES.map((o) => o[0].toUpperCase() + o.slice(1)), 'Total'],
        actionRows,
        [1, 2, 3, 4],
      ),
      h('h2', null, 'IdP callers, last 24 hours'),
      h('p', { class: 'muted' }, 'Every SCIM request by bearer token, summed over the replicas; errors are answers of 400 and above.'),
      table('IdP callers, last 24 hours', ['Token', 'User agents', 'Requests', 'Errors'], callerRows, [2, 3]),
    ],
  };
}
