// Guard: what tripped and when, and the console's one action: approve held deprovisioning for a chosen time.
import { describeGuard } from '../../commands/guard.ts';
import { queryAudit } from '../../operations/audit-query.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { badge, h, notice, table, when } from '../layout.ts';

/** The choices offered for an approval; the form's value is parsed like `bi-scim guard approve --for`. */
export const APPROVAL_CHOICES = [
  { value: '15m', label: '15 minutes' },
  { value: '1h', label: '1 hour' },
  { value: '4h', label: '4 hours' },
  { value: '1d', label: '1 day' },
] as const;

const GUARD_ACTIONS = ['guard.tripped', 'guard.approve', 'guard.reset'];
/** Guard events are looked for this far back, so a long trail without any is not read to its end. */
const HISTORY_MS = 7 * 86_400_000;

export async function guardPage({ deps, query, session }: PageInput): Promise<PageOutput> {
  const [state, history] = await Promise.all([
    deps.guard.state(),
    queryAudit(deps.provisioning.store, { actions: GUARD_ACTIONS, since: deps.now() - HISTORY_MS, limit: 20 }),
  ]);
  const held = state.tripped !== null && state.approval === null;
  const status = !state.enabled
    ? badge('off', 'neutral')
    : held
      ? badge('holding deprovisioning', 'bad')
      : state.approval
        ? badge('approved', 'warn')
        : badge('open', 'ok');
  const rows = history.map((e) => [
    when(e.at),
    e.action,
    e.actor ?? e.caller?.token ?? '—',
    e.reason ?? (e.action === 'guard.approve' ? `until ${String((e.changes[0]?.after as { until?: string } | undefined)?.until ?? '')}` : '—'),
  ]);
  const approveForm = h(
    'form',
    { method: 'post', action: '/guard/approve', class: 'filters', 'aria-label': 'Approve held deprovisioning' },
    h('input', { type: 'hidden', name: 'csrf', value: session.csrf }),
    h(
      'div',
      null,
      h('label', { for: 'for' }, 'Let deprovisioning through for'),
      h('select', { id: 'for', name: 'for' }, ...APPROVAL_CHOICES.map((c) => h('option', { value: c.value, selected: c.value === '1h' }, c.label))),
    ),
    h('div', null, h('button', { type: 'submit' }, 'Approve deprovisioning')),
  );
  return {
    content: [
      ...(query.approved ? [notice(`Approved by ${session.name}; the IdP's retries go through until the approval ends.`, 'ok')] : []),
      h('p', null, status),
      h('dl', { class: 'facts' }, ...describeGuard(state).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      ...(state.tripped
        ? [h('p', null, 'Tripped ', when(state.tripped.at), `: ${state.tripped.inWindow} deprovisionings reached the budget of ${state.tripped.budget}.`)]
        : []),
      h('h2', null, 'Approve'),
      state.enabled
        ? h(
            'div',
            null,
            h(
              'p',
              null,
              'Approving lets held deactivations, DELETEs, demotions and member removals through when the IdP retries them, until the time runs out. It is audited under your token name, ',
              h('strong', null, session.name),
              '.',
            ),
            approveForm,
          )
        : h('p', { class: 'muted' }, 'The guard is off (guard.maxDeprovisions: 0): there is nothing to approve.'),
      h('h2', null, 'Guard events of the last 7 days'),
      table('Guard events', ['When', 'Event', 'By', 'Detail'], rows),
    ],
  };
}
