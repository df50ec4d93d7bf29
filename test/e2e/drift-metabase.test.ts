// Drift and reconcile end to end against the Metabase double: the real bi-scim process and CLI, real Redis, a
// signed-webhook receiver. An admin grant, a reactivated leaver and a member added by hand through Metabase's own
// API are each reported by one `bi-scim drift`, planned and undone by `bi-scim reconcile`, audited and alerted.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { driftFindings, driftRoundTrip } from '../support/drift-scenario.ts';
import { metabaseByHand } from '../support/metabase-by-hand.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { createdId, DEACTIVATE, groupBody, metricValue, personBody, startOperationsStack, type OperationsStack } from '../support/operations-stack.ts';

const TOKENS = { okta: 'okta-drift-token-0123456789' };
/** A Redis database of this file's own, so flushing it touches no other suite. */
const REDIS_DB = 12;
const ADMINISTRATORS = '2';
const everything = () => true;

describe('drift and reconcile against Metabase through the real process and CLI', () => {
  let double: MetabaseDouble;
  let stack: OperationsStack;
  const people: Record<'ann' | 'cat' | 'eve', string> = { ann: '', cat: '', eve: '' };
  let analysts: string;

  const user = (id: string) => double.state.users().find((u) => String(u.id) === id)!;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    // The rest of the company, whom no IdP manages here: they make the guard's percentage budget a realistic one.
    for (let i = 0; i < 20; i++) double.seed.user({ email: `colleague.${i}@northwind.example`, first_name: 'Col', last_name: `League ${i}` });
    stack = await startOperationsStack({
      target: { BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: double.url, BI_SCIM_TARGET_API_KEY: double.apiKey },
      tokens: TOKENS,
      redisUrl: `${inject('redisUrl')}/${REDIS_DB}`,
      config: { guard: { maxDeprovisions: 10, maxPercent: 100, windowMinutes: 15 } },
    });
    for (const who of ['ann', 'cat', 'eve'] as const)
      people[who] = await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(`${who}@northwind.example`) }));
    analysts = await createdId(stack.scim('okta', '/Groups', { method: 'POST', json: groupBody('Analysts', [people.ann]) }));
    // Eve leaves through the IdP.
    expect((await stack.scim('okta', `/Users/${people.eve}`, { method: 'PATCH', json: DEACTIVATE })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
    await double?.close();
  });

  it('finds no drift after SCIM-only writes', async () => {
    expect(await driftFindings(stack, everything)).toEqual([]);
    const table = await stack.cli('drift');
    expect(table.stdout).toContain('No drift: the BI tool holds what the IdPs declared.');
    // Accounts no IdP manages are informational, and bi-scim's own (the API key's user) is never one of them.
    const unmanaged = await driftFindings(stack, everything, '--include-unmanaged');
    expect(unmanaged.every((f) => f.kind === 'unmanaged' && f.severity === 'info' && f.fix.length === 0)).toBe(true);
    expect(unmanaged.map((f) => f.subject.name)).toContain(double.adminEmail);
    expect(unmanaged).toHaveLength(21);
    expect(unmanaged.some((f) => f.subject.name?.endsWith('@api-key.invalid'))).toBe(false);
  });

  it('reports admin rights granted by hand as critical, and reconcile --apply takes them back', async () => {
    const hand = metabaseByHand(double);
    const criticalGauge = () => metricValue(stack, 'bi_scim_drift_findings{kind="admin-grant",severity="critical"}');
    await driftRoundTrip(stack, everything, {
      byHand: async () => {
        await hand.grantAdmin(people.ann);
        expect(await criticalGauge()).toBe(null);
      },
      asDeclared: async () => !user(people.ann).is_superuser,
      expected: { kind: 'admin-grant', severity: 'critical', subject: people.ann, related: ADMINISTRATORS },
      planLine: new RegExp(`→\\s+remove User ${people.ann} \\(ann@northwind.example\\) from Group ${ADMINISTRATORS} \\(Administrators\\)`),
      afterScan: async () => expect(await criticalGauge()).toBe(1),
    });
    expect(await criticalGauge()).toBe(null);
    const revoked = await stack.receiver.waitFor('admin.revoked', (all) => all.some((a) => a.body.event === 'admin.revoked'));
    expect(revoked.filter((a) => a.body.event === 'admin.revoked').map((a) => a.body.details.users)).toEqual([[people.ann]]);
  });

  it('reports a leaver reactivated by hand as high, and reconcile --apply deactivates them again', async () => {
    await driftRoundTrip(stack, everything, {
      byHand: () => metabaseByHand(double).reactivate(people.eve),
      asDeclared: async () => !user(people.eve).is_active,
      expected: { kind: 'reactivated', severity: 'high', subject: people.eve },
      planLine: new RegExp(`→\\s+deactivate User ${people.eve} \\(eve@northwind.example\\)`),
    });
  });

  it('reports a member added by hand to a managed group as medium, and reconcile --apply takes them out', async () => {
    await driftRoundTrip(stack, everything, {
      byHand: () => metabaseByHand(double).addMember(analysts, people.cat),
      asDeclared: async () => !double.state.groupNamesOf(Number(people.cat)).includes('Analysts'),
      expected: { kind: 'member-added', severity: 'medium', subject: people.cat, related: analysts },
      planLine: new RegExp(`→\\s+remove User ${people.cat} \\(cat@northwind.example\\) from Group ${analysts} \\(Analysts\\)`),
    });
  });

  it("applies an operator's reviewed plan past the deprovisioning budget, which stays for what the IdP sends", async () => {
    const hand = metabaseByHand(double);
    // Twelve hand-made members: more removals than the budget of ten allows in one window.
    const colleagues = Array.from({ length: 12 }, (_, i) => String(double.state.userByEmail(`colleague.${i}@northwind.example`)!.id));
    for (const id of colleagues) await hand.addMember(analysts, id);
    expect((await driftFindings(stack, everything)).map((f) => f.kind)).toEqual(colleagues.map(() => 'member-added'));
    const inAnalysts = () => colleagues.filter((id) => double.state.groupNamesOf(Number(id)).includes('Analysts')).length;
    const windowBefore = JSON.parse((await stack.cli('guard', 'status', '--format', 'json')).stdout) as { inWindow: number };

    const applied = await stack.cli('reconcile', '--apply', '--by', 'alice');
    expect(applied.stdout).toContain('Applied 12 of 12 fixes.');
    expect(applied.code).toBe(0);
    expect(inAnalysts()).toBe(0);
    expect(await driftFindings(stack, everything)).toEqual([]);

    // The reviewed plan used none of the IdP's budget.
    const windowAfter = JSON.parse((await stack.cli('guard', 'status', '--format', 'json')).stdout) as { inWindow: number };
    expect(windowAfter.inWindow).toBe(windowBefore.inWindow);
    const events = (await stack.audit('--action', 'reconcile.apply,guard.tripped', '--since', '10m')).slice(-12);
    expect(events.map((e) => [e.action, e.outcome, e.actor])).toEqual(colleagues.map(() => ['reconcile.apply', 'success', 'alice']));
  });
});
