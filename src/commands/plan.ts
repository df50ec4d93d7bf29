// `bi-scim plan [--token NAME] [--format table|json] | --discard`: what dry-run tokens would do to the BI tool.
import { parseArgs } from 'node:util';
import { discardPlan, planReport, plannedTokens, type PlanReport, type PlannedGroupRow, type PlannedPerson, type RecordedCall } from '../operations/plan.ts';
import type { Provisioning } from '../provisioning/context.ts';
import { dryRunProvisioning } from '../provisioning/dry-run.ts';
import { parseFormat, printRows, type Column, type Io } from './output.ts';

export const PLAN_HELP = `Usage:
  bi-scim plan [--token NAME] [--format table|json]
  bi-scim plan --discard [--token NAME]

Shows what dry-run tokens (\`bi-scim token create --name NAME --dry-run\`) would have done: per person and group,
what would land in the BI tool (email, names, locale, active, the groups and whether they carry administrator
rights), then each BI call in order. Nothing in a plan has reached the BI tool. Without --token, every plan.
--discard drops the plan and bi-scim's records of that dry run (every plan without --token), so the token starts
again from the BI tool as it is. JSON: one line per plan.`;

const name = (u: PlannedPerson['user']) => [u?.givenName, u?.familyName].filter(Boolean).join(' ');

const PEOPLE: Column<PlannedPerson>[] = [
  { header: 'ID', value: (p) => p.id },
  { header: 'CHANGE', value: (p) => p.change },
  { header: 'USERNAME', value: (p) => p.userName ?? '', max: 40 },
  { header: 'EMAIL', value: (p) => p.user?.email ?? '', max: 40 },
  { header: 'NAME', value: (p) => name(p.user), max: 30 },
  { header: 'LOCALE', value: (p) => p.user?.locale ?? '' },
  { header: 'ACTIVE', value: (p) => (p.user ? (p.user.active ? 'yes' : 'no') : '') },
  { header: 'GROUPS', value: (p) => p.groups.map((g) => (g.admin ? `${g.name} (admin)` : g.name)).join(', '), max: 60 },
];

const GROUPS: Column<PlannedGroupRow>[] = [
  { header: 'ID', value: (g) => g.id },
  { header: 'CHANGE', value: (g) => (g.change === 'rename' ? `rename from "${g.wasName}"` : g.change) },
  { header: 'NAME', value: (g) => g.name, max: 40 },
  { header: 'MEMBERS', value: (g) => [...g.added.map((m) => `+${m}`), ...g.removed.map((m) => `-${m}`)].join(' '), max: 80 },
];

const CALLS: Column<RecordedCall>[] = [
  { header: 'METHOD', value: (c) => c.method },
  { header: 'ROUTE', value: (c) => c.route },
  {
    header: 'PARAMS',
    value: (c) =>
      Object.entries(c.params ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
  },
  { header: 'BODY', value: (c) => (c.body ? JSON.stringify(c.body) : ''), max: 80 },
];

function printPlan(io: Io, plan: PlanReport): void {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const sizes = [count(plan.people.length, 'person', 'people'), count(plan.groups.length, 'group', 'groups'), count(plan.calls.length, 'BI call', 'BI calls')];
  io.out(`Plan of dry-run token "${plan.token}": ${sizes.join(', ')} (none sent)`);
  for (const [title, columns, rows] of [
    ['People', PEOPLE, plan.people],
    ['Groups', GROUPS, plan.groups],
    ['BI calls, in order', CALLS, plan.calls],
  ] as const) {
    if (rows.length === 0) continue;
    io.out(`\n${title}:`);
    printRows(io, 'table', columns as Column<unknown>[], rows as unknown[], (r) => r);
  }
}

export interface PlanContext {
  /** The real use cases: the dry runs are laid over their target and store. */
  p: Provisioning;
}

export async function planCommand(args: string[], { p }: PlanContext, io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { token: { type: 'string' }, format: { type: 'string' }, discard: { type: 'boolean' } } });
  const format = parseFormat(values.format);
  const known = await plannedTokens(p.store);
  const tokens = values.token ? [values.token] : known;
  if (values.discard) {
    for (const token of tokens) await discardPlan(p.store, token);
    io.out(tokens.length === 0 ? 'No plans to discard.' : `Discarded the plan of ${tokens.map((t) => `"${t}"`).join(', ')}.`);
    return 0;
  }
  if (tokens.length === 0 && format === 'table') io.out('No dry-run token has planned anything yet.');
  for (const token of tokens) {
    if (!known.includes(token) && format === 'table') {
      io.out(`The token "${token}" has planned nothing (no dry-run token of that name has written anything).`);
      continue;
    }
    const dry = dryRunProvisioning(p, token);
    const plan = await planReport(token, p.store, dry.target, dry.store);
    if (format === 'json') io.out(JSON.stringify(plan));
    else printPlan(io, plan);
  }
  return 0;
}
