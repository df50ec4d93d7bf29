// One drift round trip through the real CLI, the same for every BI tool: a change made by hand in the BI tool is
// reported by `bi-scim drift` at once, `bi-scim reconcile` prints its fix and changes nothing, `--apply` undoes it,
// the next scan is clean, and the audit trail and the webhook receiver show each step.
import { expect } from 'vitest';
import type { AuditEvent } from '../../src/operations/audit.ts';
import type { DriftFinding } from '../../src/operations/drift-types.ts';
import { jsonLines, type OperationsStack } from './operations-stack.ts';

export interface RoundTrip {
  /** The change an administrator makes by hand in the BI tool. */
  byHand: () => Promise<void>;
  /** Whether the BI tool holds what the IdP declared (false after the change, true once reconciled). */
  asDeclared: () => Promise<boolean>;
  expected: Pick<DriftFinding, 'kind' | 'severity'> & { subject: string; related?: string };
  /** A line the plan prints for the fix. */
  planLine: RegExp;
  /** `reconcile --only` for the apply, where the BI tool is shared and only this kind is this suite's to fix. */
  only?: string;
  /** Checks to make once the first scan has reported the change (the server's gauges). */
  afterScan?: () => Promise<void>;
}

/** Findings about `ids` only, when the BI tool is shared with other suites; all findings otherwise. */
export type Scope = (f: DriftFinding) => boolean;

export async function driftFindings(stack: OperationsStack, scope: Scope, ...args: string[]): Promise<DriftFinding[]> {
  const result = await stack.cli('drift', '--format', 'json', ...args);
  expect(result.code, result.stderr).toBe(0);
  return jsonLines<DriftFinding>(result.stdout).filter(scope);
}

const stepsOf = (events: AuditEvent[], subject: string) =>
  events.filter((e) => e.resourceId === subject && ['drift.detected', 'reconcile.apply', 'drift.resolved'].includes(e.action));

export async function driftRoundTrip(stack: OperationsStack, scope: Scope, trip: RoundTrip): Promise<{ drift: string; plan: string; applied: string }> {
  const { expected } = trip;
  const before = stepsOf(await stack.audit(), expected.subject).length;
  const aboutSubject = () => stack.receiver.of('drift.detected').filter((a) => a.body.details.resourceId === expected.subject);
  const alertsBefore = aboutSubject().length;
  await trip.byHand();
  expect(await trip.asDeclared()).toBe(false);

  // One scan finds it.
  const [finding, ...more] = await driftFindings(stack, scope);
  expect(more).toEqual([]);
  expect(finding).toMatchObject({ kind: expected.kind, severity: expected.severity, subject: { id: expected.subject } });
  if (expected.related) expect(finding.related?.id).toBe(expected.related);
  await trip.afterScan?.();
  const drift = await stack.cli('drift');
  expect(drift.stdout).toContain(expected.severity);

  // The plan names the fix and changes nothing.
  const plan = await stack.cli('reconcile');
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toMatch(trip.planLine);
  expect(plan.stdout).toContain('Nothing was changed.');
  expect(await trip.asDeclared()).toBe(false);

  const applied = await stack.cli('reconcile', '--apply', '--by', 'alice', ...(trip.only ? ['--only', trip.only] : []));
  expect(applied.code, applied.stderr).toBe(0);
  expect(applied.stdout).toMatch(/Applied (\d+) of \1 fixes\./);
  expect(await trip.asDeclared()).toBe(true);
  expect(await driftFindings(stack, scope)).toEqual([]);

  const steps = stepsOf(await stack.audit(), expected.subject).slice(before);
  expect(steps.map((e) => [e.action, e.outcome, e.actor])).toEqual([
    ['drift.detected', 'success', 'bi-scim drift'],
    ['reconcile.apply', 'success', 'alice'],
    ['drift.resolved', 'success', 'bi-scim reconcile'],
  ]);
  expect(steps[0].reason).toContain(`[${expected.severity}] ${expected.kind}`);
  const alerts = await stack.receiver.waitFor(`drift.detected for ${expected.subject}`, () => aboutSubject().length > alertsBefore);
  expect(
    aboutSubject()
      .slice(alertsBefore)
      .map((a) => [a.body.summary.startsWith('Drift on '), a.signatureValid]),
  ).toEqual([[true, true]]);
  expect(alerts.every((a) => a.signatureValid)).toBe(true);
  return { drift: drift.stdout, plan: plan.stdout, applied: applied.stdout };
}
