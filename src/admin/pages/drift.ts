// Drift: the latest scan's findings, most severe first, each with the reconcile plan (BI calls) that would fix it.
import type { DriftFinding } from '../../operations/drift-types.ts';
import type { PageInput, PageOutput } from '../deps.ts';
import { badge, count, h, notice, table, when, type Child, SEVERITY_TONE } from '../layout.ts';

const subjectOf = (r: DriftFinding['subject']) => `${r.type} ${r.id}${r.name ? ` (${r.name})` : ''}`;

function plan(f: DriftFinding): Child {
  if (f.fix.length === 0) return h('span', { class: 'muted' }, 'Nothing to revert: reported only.');
  return h('ul', { class: 'plan' }, ...f.fix.map((call) => h('li', null, h('code', null, `${call.method} ${call.route}`), ` ${call.summary}`)));
}

const rowOf = (f: DriftFinding): Child[] => [
  badge(f.severity, SEVERITY_TONE[f.severity] ?? 'neutral'),
  f.kind,
  subjectOf(f.subject),
  f.detail,
  when(f.firstSeenAt),
  plan(f),
];

const HEADERS = ['Severity', 'Kind', 'Subject', 'What differs', 'Since', 'Reconcile plan'];

export async function driftPage({ deps }: PageInput): Promise<PageOutput> {
  const report = await deps.drift.latest();
  if (!report) {
    return {
      content: [
        notice(
          deps.config.drift.intervalMinutes > 0
            ? `No drift scan has run yet; the server scans every ${deps.config.drift.intervalMinutes} minutes (run \`bi-scim drift\` to scan now).`
            : 'The periodic drift scan is off (drift.intervalMinutes: 0); run `bi-scim drift` to scan.',
        ),
      ],
    };
  }
  const managed = report.findings.filter((f) => f.kind !== 'unmanaged');
  const unmanaged = report.findings.filter((f) => f.kind === 'unmanaged');
  return {
    content: [
      h('p', null, 'Last scan ', when(report.scannedAt), `: ${report.scanned.users} people and ${report.scanned.groups} groups in ${report.biCalls} BI calls.`),
      managed.length === 0
        ? notice('No drift: the BI tool holds what the IdPs declared.', 'ok')
        : notice(`${count(managed.length, 'finding')} where the BI tool differs from what the IdPs declared.`, 'bad'),
      table('Drift findings', HEADERS, managed.map(rowOf)),
      h(
        'p',
        { class: 'muted' },
        'The console changes nothing here. Apply the plan with ',
        h('code', null, 'bi-scim reconcile --apply --by <name>'),
        ' (or ',
        h('code', null, '--only admin-grants'),
        ' and the like); each call is audited.',
      ),
      h('h2', null, `Accounts no IdP manages (${unmanaged.length})`),
      table('Accounts no IdP manages', HEADERS, unmanaged.map(rowOf)),
    ],
  };
}
