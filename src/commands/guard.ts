// `bi-scim guard status | approve [--for 1h] --by NAME | reset --by NAME`: the deprovisioning guard for operators.
import { parseArgs } from 'node:util';
import type { GuardState } from '../operations/guard.ts';
import type { Operations } from '../operations/setup.ts';
import { parseDuration, parseFormat, printRows, type Io } from './output.ts';

export const GUARD_HELP = `Usage:
  bi-scim guard status [--format table|json]
  bi-scim guard approve [--for 1h] --by NAME    let held deprovisioning through (the IdP's retries) for a while
  bi-scim guard reset --by NAME                 empty the window: a fresh budget, no approval

The guard counts deactivations, DELETEs, admin demotions and member removals in a sliding window shared by every
replica (config guard.maxDeprovisions, guard.maxPercent, guard.windowMinutes). Approving and resetting are
audited with --by.`;

export function describeGuard(state: GuardState): Array<[string, string]> {
  if (!state.enabled) return [['state', 'off (guard.maxDeprovisions is 0)']];
  const held = state.tripped !== null && state.approval === null;
  return [
    [
      'state',
      state.approval ? `approved until ${state.approval.until} by ${state.approval.by}` : held ? `HOLDING deprovisioning since ${state.tripped!.at}` : 'open',
    ],
    ['window', `${state.inWindow} of ${state.budget} deprovisionings in the last ${state.windowMinutes} minutes`],
  ];
}

export async function guardCommand(args: string[], ops: Operations, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { for: { type: 'string' }, by: { type: 'string' }, format: { type: 'string' } },
  });
  const [action = 'status'] = positionals;
  const format = parseFormat(values.format);
  const needBy = () => {
    if (!values.by) throw new Error(`guard ${action} needs --by NAME: the audit trail says who decided`);
    return values.by;
  };
  let state: GuardState;
  if (action === 'status') state = await ops.guard.state();
  else if (action === 'approve') state = await ops.guard.approve(parseDuration(values.for ?? '1h'), needBy());
  else if (action === 'reset') state = await ops.guard.reset(needBy());
  else {
    io.err(`Unknown guard action "${action}".\n\n${GUARD_HELP}`);
    return 2;
  }
  if (format === 'json') io.out(JSON.stringify(state));
  else
    printRows(
      io,
      'table',
      [
        { header: 'GUARD', value: (r: [string, string]) => r[0] },
        { header: '', value: (r) => r[1] },
      ],
      describeGuard(state),
      (r) => r,
      false,
    );
  return 0;
}
