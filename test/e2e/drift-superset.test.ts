// Drift and reconcile end to end against a real Superset 6.1.0: the real bi-scim process and CLI, real Redis, a
// signed-webhook receiver. The Admin role granted by hand, a leaver reactivated by hand and a member added by hand
// through Superset's own security API are each reported by one `bi-scim drift`, planned and undone by reconcile.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DriftFinding } from '../../src/operations/drift-types.ts';
import { driftFindings, driftRoundTrip } from '../support/drift-scenario.ts';
import { createdId, DEACTIVATE, groupBody, personBody, startOperationsStack, type OperationsStack } from '../support/operations-stack.ts';
import { supersetByHand } from '../support/superset-by-hand.ts';

const url = inject('supersetUrl');
const admin = { username: inject('supersetUsername') ?? '', password: inject('supersetPassword') ?? '' };
const TOKENS = { okta: 'okta-superset-drift-token-0123456789' };
/** A Redis database of this file's own, so flushing it touches no other suite. */
const REDIS_DB = 13;
/** Managed people: three whom the tests change by hand, and colleagues who give the guard a realistic budget. */
const PEOPLE = ['ann', 'cat', 'eve', 'dan', 'fay', 'gus', 'hal', 'ivy'] as const;

if (process.env.CI && !url) {
  it('a real Superset is installed for CI', () => {
    throw new Error('Apache Superset is not installed, so the Superset drift suite did not run: run bash test/support/superset/install.sh');
  });
}

interface SupersetUser {
  active: boolean;
  roles: Array<{ name: string }>;
  groups: Array<{ id: number }>;
}

describe.skipIf(!url)('drift and reconcile against a real Superset through the real process and CLI', () => {
  const tag = randomUUID().slice(0, 8);
  const hand = supersetByHand(url!, admin);
  let stack: OperationsStack;
  const ids = {} as Record<(typeof PEOPLE)[number], string>;
  let analysts: string;
  /** Superset is shared with other suites: only findings about this suite's people are this suite's. */
  const ours = (f: DriftFinding) => Object.values(ids).includes(f.subject.id);
  const person = async (id: string) => (await hand.call<{ result: SupersetUser }>('GET', `/api/v1/security/users/${id}`)).result;

  beforeAll(async () => {
    stack = await startOperationsStack({
      target: { BI_SCIM_TARGET: 'superset', BI_SCIM_TARGET_URL: url!, BI_SCIM_TARGET_USERNAME: admin.username, BI_SCIM_TARGET_PASSWORD: admin.password },
      tokens: TOKENS,
      redisUrl: `${inject('redisUrl')}/${REDIS_DB}`,
      config: { guard: { maxDeprovisions: 10, maxPercent: 100, windowMinutes: 15 } },
    });
    // A human administrator besides bi-scim's own account, as every real Superset has: the last one is never demoted.
    await hand.createAdmin(`ops.admin${tag}@northwind.example`);
    for (const who of PEOPLE) ids[who] = await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(`${who}.${tag}@northwind.example`) }));
    analysts = await createdId(stack.scim('okta', '/Groups', { method: 'POST', json: groupBody(`Analysts ${tag}`, [ids.ann]) }));
    expect((await stack.scim('okta', `/Users/${ids.eve}`, { method: 'PATCH', json: DEACTIVATE })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds no drift about its people after SCIM-only writes', async () => {
    expect(await driftFindings(stack, ours)).toEqual([]);
  });

  it('reports the Admin role granted by hand as critical, and reconcile --apply takes it back', async () => {
    await driftRoundTrip(stack, ours, {
      byHand: () => hand.grantAdmin(ids.ann),
      asDeclared: async () => !(await person(ids.ann)).roles.some((r) => r.name === 'Admin'),
      expected: { kind: 'admin-grant', severity: 'critical', subject: ids.ann },
      planLine: new RegExp(`→\\s+remove User ${ids.ann} \\(ann\\.${tag}@northwind\\.example\\) from Group role:\\d+ \\(Admin\\)`),
      only: 'admin-grants',
    });
  });

  it('reports a leaver reactivated by hand as high, and reconcile --apply deactivates them again', async () => {
    await driftRoundTrip(stack, ours, {
      byHand: () => hand.reactivate(ids.eve),
      asDeclared: async () => !(await person(ids.eve)).active,
      expected: { kind: 'reactivated', severity: 'high', subject: ids.eve },
      planLine: new RegExp(`→\\s+deactivate User ${ids.eve} \\(eve\\.${tag}@northwind\\.example\\)`),
      only: 'activation',
    });
  });

  it('reports a member added by hand to a managed group as medium, and reconcile --apply takes them out', async () => {
    await driftRoundTrip(stack, ours, {
      byHand: () => hand.addMember(analysts, ids.cat),
      asDeclared: async () => !(await person(ids.cat)).groups.some((g) => String(g.id) === analysts),
      expected: { kind: 'member-added', severity: 'medium', subject: ids.cat, related: analysts },
      planLine: new RegExp(`→\\s+remove User ${ids.cat} \\(cat\\.${tag}@northwind\\.example\\) from Group ${analysts} \\(Analysts ${tag}\\)`),
      only: 'memberships',
    });
  });

  it('reports admin rights through a group carrying the Admin role, joined by hand, as critical, and reconcile --apply takes the person out', async () => {
    const shadow = await hand.createGroup(`Shadow Admins ${tag}`, ['Admin']);
    await driftRoundTrip(stack, ours, {
      byHand: () => hand.addMember(shadow, ids.dan),
      asDeclared: async () => !(await person(ids.dan)).groups.some((g) => String(g.id) === shadow),
      expected: { kind: 'admin-grant', severity: 'critical', subject: ids.dan, related: shadow },
      planLine: new RegExp(`→\\s+remove User ${ids.dan} \\(dan\\.${tag}@northwind\\.example\\) from Group ${shadow} \\(Shadow Admins ${tag}\\)`),
      only: 'admin-grants',
    });
  });
});
