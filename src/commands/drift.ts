// `bi-scim drift` and `bi-scim reconcile`: what the BI tool holds that the IdP did not declare, and putting it back.
import { parseArgs } from 'node:util';
import type { DriftMonitor } from '../operations/drift-monitor.ts';
import { SEVERITIES, type DriftFinding, type DriftReport } from '../operations/drift-types.ts';
import { applyFixes, fixable, kebab, parseCategories } from '../operations/reconcile.ts';
import { applyRebuild, planRebuild } from '../operations/rebuild.ts';
import { operatorContext, type Provisioning } from '../provisioning/context.ts';
import { parseFormat, printRows, type Column, type Io } from './output.ts';

export const DRIFT_HELP = `Usage: bi-scim drift [--format table|json] [--include-unmanaged]

Scans the BI tool now and compares it with what the IdPs declared: administrator rights granted outside SCIM
(critical), people reactivated or deactivated outside SCIM (high), members added to or removed from managed groups
(medium), emails, names and group names changed (low), and, with --include-unmanaged, active accounts no IdP
manages (info). New findings are recorded in the audit trail and raise drift.detected alerts, once each.
The server runs the same scan every drift.intervalMinutes.`;

export const RECONCILE_HELP = `Usage: bi-scim reconcile [--apply] [--only KINDS] [--by NAME] [--format table|json]
       bi-scim reconcile --rebuild [--apply] [--by NAME]

Prints the BI calls that would restore what the IdPs declared, grouped by person and group, and changes nothing.
  --apply         make those calls, under the same locks and protection rules as SCIM; each is audited. The
                  deprovisioning guard does not hold a reviewed plan (it does hold drift.autoRevert)
  --only KINDS    admin-grants, activation, memberships, attributes (comma-separated; default all)
  --by NAME       who applies it, for the audit trail (default: operator)
  --rebuild       after losing the store: take what the BI tool holds now as declared for every person and group
                  bi-scim has no record of (DELETE marks included); with --apply, write those records`;

const severityCounts = (findings: DriftFinding[]) =>
  SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');

const ref = (r: DriftFinding['subject']) => `${r.type} ${r.id}${r.name ? ` (${r.name})` : ''}`;

const COLUMNS: Column<DriftFinding>[] = [
  { header: 'SEVERITY', value: (f) => f.severity },
  { header: 'KIND', value: (f) => f.kind },
  { header: 'SUBJECT', value: (f) => ref(f.subject), max: 48 },
  { header: 'DETAIL', value: (f) => f.detail, max: 120 },
  { header: 'SINCE', value: (f) => f.firstSeenAt },
];

function printReport(io: Io, report: DriftReport, findings: DriftFinding[], format: 'table' | 'json' | 'csv'): void {
  if (format === 'json') {
    printRows(io, 'json', COLUMNS, findings, (f) => f);
    return;
  }
  if (findings.length === 0) io.out('No drift: the BI tool holds what the IdPs declared.');
  else printRows(io, 'table', COLUMNS, findings, (f) => f);
  io.out('');
  io.out(
    `${findings.length} findings${findings.length > 0 ? ` (${severityCounts(findings)})` : ''}; scanned ${report.scanned.users} people and ${report.scanned.groups} groups in ${report.biCalls} BI calls at ${report.scannedAt}.`,
  );
}

export async function driftCommand(args: string[], deps: { monitor: DriftMonitor }, io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string' }, 'include-unmanaged': { type: 'boolean' } } });
  const format = parseFormat(values.format);
  const report = await deps.monitor.scan({ actor: 'bi-scim drift', onProgress: format === 'table' ? io.progress?.('Scanning') : undefined });
  const findings = values['include-unmanaged'] ? report.findings : report.findings.filter((f) => f.kind !== 'unmanaged');
  printReport(io, report, findings, format);
  return 0;
}

/** The plan, person by person and group by group: each finding with the calls that fix it. */
function printPlan(io: Io, findings: DriftFinding[]): void {
  const bySubject = new Map<string, DriftFinding[]>();
  for (const f of findings) bySubject.set(ref(f.subject), [...(bySubject.get(ref(f.subject)) ?? []), f]);
  for (const [subject, list] of bySubject) {
    io.out(subject);
    for (const f of list) {
      io.out(`  ${f.severity.padEnd(8)}  ${f.kind.padEnd(17)}  ${f.detail}`);
      for (const call of f.fix) io.out(`  ${''.padEnd(8)}  ${'→'.padEnd(17)}  ${call.summary}`);
    }
  }
  const calls = findings.reduce((n, f) => n + f.fix.length, 0);
  io.out('');
  io.out(`${calls} BI calls for ${findings.length} findings (${severityCounts(findings)}) on ${bySubject.size} people and groups.`);
}

async function rebuild(p: Provisioning, apply: boolean, by: string, io: Io): Promise<number> {
  const plan = await planRebuild(p, io.progress?.('Reading the BI tool'));
  const deleted = plan.people.filter((r) => r.deleted).length;
  io.out(
    `Records missing from the store: ${plan.people.length - deleted} people, ${deleted} DELETEd people (the BI tool's mark), ${plan.groups.length} groups.`,
  );
  if (!apply) {
    io.out("Nothing was written. Run with --apply to take the BI tool's present state as declared for these.");
    return 0;
  }
  await applyRebuild(p, operatorContext(by), plan);
  io.out('Written. Run `bi-scim drift` to compare from here on.');
  return 0;
}

export async function reconcileCommand(args: string[], deps: { monitor: DriftMonitor; p: Provisioning }, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { apply: { type: 'boolean' }, only: { type: 'string' }, by: { type: 'string' }, format: { type: 'string' }, rebuild: { type: 'boolean' } },
  });
  const format = parseFormat(values.format);
  const by = values.by ?? 'operator';
  if (values.rebuild) return rebuild(deps.p, values.apply ?? false, by, io);
  const only = values.only ? parseCategories(values.only) : null;
  const report = await deps.monitor.scan({ actor: 'bi-scim reconcile', onProgress: format === 'table' ? io.progress?.('Scanning') : undefined });
  const plan = fixable(report.findings, only);
  if (!values.apply) {
    if (format === 'json') printRows(io, 'json', COLUMNS, plan, (f) => f);
    else if (plan.length === 0) io.out(`Nothing to reconcile${only ? ` among ${only.map(kebab).join(', ')}` : ''}: the BI tool holds what the IdPs declared.`);
    else {
      printPlan(io, plan);
      io.out('Nothing was changed. Run with --apply to make these calls.');
    }
    return 0;
  }
  const outcomes = await applyFixes(deps.p, operatorContext(by), plan, {
    guarded: false,
    onProgress: format === 'table' ? io.progress?.('Applying') : undefined,
  });
  const failed = outcomes.filter((o) => !o.ok);
  if (format === 'json') {
    for (const o of outcomes)
      io.out(JSON.stringify({ finding: o.finding.id, kind: o.finding.kind, subject: o.finding.subject, ok: o.ok, ...(o.error ? { error: o.error } : {}) }));
  } else {
    for (const o of failed) io.err(`failed: ${ref(o.finding.subject)} ${o.finding.kind}: ${o.error}`);
    io.out(
      `Applied ${outcomes.length - failed.length} of ${outcomes.length} fixes${failed.length > 0 ? `; ${failed.length} failed (see above and \`bi-scim audit --action reconcile.apply\`)` : ''}.`,
    );
  }
  // The stored report and the gauges reflect the result at once.
  if (outcomes.length > failed.length) await deps.monitor.scan({ actor: 'bi-scim reconcile' });
  return failed.length > 0 ? 1 : 0;
}
