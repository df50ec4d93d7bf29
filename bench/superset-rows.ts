// Figure 5 as table rows: the real Superset's numbers next to the same goals as the Metabase double's.
import { info, judged, mb, ratio, type Row } from './report.ts';
import { GOALS } from './goals.ts';
import { callRows, overheadRows, secs } from './rows.ts';
import type { SupersetOutcome } from './superset.ts';

export function supersetRows(outcome: SupersetOutcome): Row[] {
  if ('skipped' in outcome) return [info('5. Superset (real, from the test harness)', 'skipped', outcome.skipped)];
  const head = `5. ${outcome.version} (real Superset: 1 gunicorn worker, SQLite)`;
  const o = outcome.overhead;
  const p = outcome.provisioning;
  const section = `${head}: provisioning ${p.users} users, ${p.groups} groups, ${p.memberships} memberships, 8 concurrent`;
  const memory = `${head}: memory (bi-scim RSS)`;
  return [
    ...overheadRows(`${head}: overhead, GET /Users/{id} at ${o.rate} req/s`, o),
    ...callRows(`${head}: BI calls per SCIM request (counted by ${outcome.calls.countedBy}; big group of ${outcome.calls.bigGroupMembers})`, outcome.calls),
    info(section, 'minimal FAB calls straight to Superset', `${secs(p.minimal.totalSeconds)} (${p.minimal.biCalls} calls)`),
    info(section, 'through bi-scim', `${secs(p.biScim.totalSeconds)} (${p.biScim.biCalls} calls, ${ratio(p.biScim.biCalls / p.minimal.biCalls)})`),
    judged(section, 'bi-scim / minimal', p.biScim.totalSeconds / p.minimal.totalSeconds, GOALS.provisioningRatio, (n) => n.toFixed(2)),
    {
      section,
      figure: 'Superset holds both pushed directories',
      value: p.minimal.verified && p.biScim.verified ? 'yes' : 'no',
      goal: 'yes',
      ratio: '',
      verdict: p.minimal.verified && p.biScim.verified ? 'pass' : 'miss',
    },
    judged(memory, 'at rest', outcome.rssAtRestBytes, GOALS.memoryPeakBytes, mb),
    judged(memory, 'after provisioning', p.rssAfterBytes, GOALS.memoryAfterBytes, mb),
  ];
}
