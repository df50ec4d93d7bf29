// Drift and reconcile over the Metabase double: SCIM's own writes leave no drift; each change made by hand through
// Metabase's API is found with its kind and severity, fixed by reconcile, audited, and announced once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/operations/audit.ts';
import { DriftMonitor } from '../../src/operations/drift-monitor.ts';
import { DeprovisioningGuard } from '../../src/operations/guard.ts';
import { scanDrift } from '../../src/operations/drift.ts';
import type { DriftReport } from '../../src/operations/drift-types.ts';
import { applyFixes, fixable } from '../../src/operations/reconcile.ts';
import { applyRebuild, planRebuild } from '../../src/operations/rebuild.ts';
import { createProvisioning, operatorContext } from '../../src/provisioning/context.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { buildTestApp, createGroup, createUser, patchBody, type TestApp } from '../support/build-test-app.ts';
import { metabaseByHand, type ByHand } from '../support/metabase-by-hand.ts';

const ADMINISTRATORS = '2';
let t: TestApp;
let hand: ByHand;

beforeEach(async () => {
  t = await buildTestApp({ groupMappings: [{ idpGroup: 'BI Admins', target: 'Administrators' }] });
  hand = metabaseByHand(t.double);
});

afterEach(async () => {
  await t.close();
});

/** Findings other than accounts no IdP manages (the double's own admin is one). */
const managedFindings = (report: DriftReport) => report.findings.filter((f) => f.kind !== 'unmanaged');

async function auditEvents(): Promise<AuditEvent[]> {
  return (await t.store.readStream('audit', { limit: 10_000, order: 'oldest' })).map((e) => e.value as AuditEvent);
}

async function provisionTeam(): Promise<{ ann: string; bob: string; eve: string; analysts: string }> {
  const [ann, bob, eve] = [await createUser(t, 'ann@example.com'), await createUser(t, 'bob@example.com'), await createUser(t, 'eve@example.com')];
  const analysts = await createGroup(t, 'Analysts', [ann, bob]);
  expect(
    (await t.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'BI Admins', members: [{ value: eve }] }))
      .status,
  ).toBe(201);
  return { ann, bob, eve, analysts };
}

describe('drift scan', () => {
  it('finds nothing after SCIM-only writes: creates, group members, a mapped admin group, a deactivation and a DELETE', async () => {
    const { ann, bob, analysts } = await provisionTeam();
    expect((await t.request('PATCH', `/Groups/${analysts}`, patchBody({ op: 'remove', path: `members[value eq "${bob}"]` }))).status).toBe(204);
    expect((await t.request('PATCH', `/Users/${ann}`, patchBody({ op: 'replace', value: { active: false } }))).status).toBe(200);
    expect((await t.request('DELETE', `/Users/${bob}`)).status).toBe(204);
    const report = await scanDrift(t.provisioning);
    expect(managedFindings(report)).toEqual([]);
    expect(report.scanned.users).toBeGreaterThanOrEqual(3);
  });

  it("reports the accounts no IdP manages as info, never bi-scim's own account", async () => {
    await provisionTeam();
    const unmanaged = (await scanDrift(t.provisioning)).findings.filter((f) => f.kind === 'unmanaged');
    expect(unmanaged.map((f) => f.subject.name)).toEqual([t.double.adminEmail]);
    expect(unmanaged[0]).toMatchObject({ severity: 'info', fix: [], detail: expect.stringContaining('administrator') });
  });

  it('finds an admin grant by hand as critical, and reconcile takes it back, verified and audited', async () => {
    const { ann } = await provisionTeam();
    await hand.grantAdmin(ann);
    const [grant] = managedFindings(await scanDrift(t.provisioning));
    expect(grant).toMatchObject({ kind: 'admin-grant', severity: 'critical', subject: { type: 'User', id: ann }, related: { id: ADMINISTRATORS } });
    expect(grant.fix).toEqual([
      {
        method: 'removeMembers',
        route: `Group ${ADMINISTRATORS}`,
        summary: `remove User ${ann} (ann@example.com) from Group ${ADMINISTRATORS} (Administrators)`,
      },
    ]);
    const outcomes = await applyFixes(t.provisioning, operatorContext('alice'), [grant], { guarded: false });
    expect(outcomes).toEqual([{ finding: grant, ok: true }]);
    expect(t.double.state.users().find((u) => u.id === Number(ann))?.is_superuser).toBe(false);
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
    const applied = (await auditEvents()).filter((e) => e.action === 'reconcile.apply');
    expect(applied).toEqual([
      expect.objectContaining({
        actor: 'alice',
        caller: null,
        resourceId: ann,
        outcome: 'success',
        verified: true,
        admin: { revoked: [ann] },
        changes: [{ attribute: 'groups', removed: [ADMINISTRATORS] }],
      }),
    ]);
    expect(applied[0].biCalls.some((c) => c.method === 'DELETE' && c.route.startsWith('/api/permissions/membership'))).toBe(true);
  });

  it('does not count membership of a mapped admin group the IdP declared as a grant', async () => {
    const { eve } = await provisionTeam();
    expect(t.double.state.users().find((u) => u.id === Number(eve))?.is_superuser).toBe(true);
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
  });

  it('finds a leaver reactivated by hand (deactivated or DELETEd by the IdP) as high, and reconcile deactivates them again', async () => {
    const { ann, bob } = await provisionTeam();
    expect((await t.request('PATCH', `/Users/${ann}`, patchBody({ op: 'replace', value: { active: false } }))).status).toBe(200);
    expect((await t.request('DELETE', `/Users/${bob}`)).status).toBe(204);
    await hand.reactivate(ann);
    await hand.reactivate(bob);
    const findings = managedFindings(await scanDrift(t.provisioning));
    expect(findings.map((f) => [f.kind, f.severity, f.subject.id]).sort()).toEqual(
      [
        ['reactivated', 'high', ann],
        ['reactivated', 'high', bob],
      ].sort(),
    );
    expect((await applyFixes(t.provisioning, operatorContext('alice'), findings, { guarded: false })).every((o) => o.ok)).toBe(true);
    expect(
      t.double.state
        .users()
        .filter((u) => [ann, bob].includes(String(u.id)))
        .map((u) => u.is_active),
    ).toEqual([false, false]);
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
  });

  it('finds a person deactivated by hand, and reconcile reactivates them with the admin rights the IdP declared', async () => {
    const { eve } = await provisionTeam();
    await hand.deactivate(eve);
    const [finding] = managedFindings(await scanDrift(t.provisioning));
    expect(finding).toMatchObject({ kind: 'deactivated', severity: 'high', declared: { active: true, restoreGroups: [ADMINISTRATORS] } });
    expect(finding.fix.map((c) => c.method)).toEqual(['setUserActive', 'addMembers']);
    expect(await applyFixes(t.provisioning, operatorContext('alice'), [finding], { guarded: false })).toEqual([{ finding, ok: true }]);
    expect(t.double.state.users().find((u) => u.id === Number(eve))).toMatchObject({ is_active: true, is_superuser: true });
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
  });

  it('finds members added to and removed from a managed group by hand as medium, and reconcile restores the declared members', async () => {
    const { ann, eve, analysts } = await provisionTeam();
    await hand.addMember(analysts, eve);
    await hand.removeMember(analysts, ann);
    const findings = managedFindings(await scanDrift(t.provisioning));
    expect(findings.map((f) => [f.kind, f.severity, f.subject.id, f.related?.id]).sort()).toEqual(
      [
        ['member-added', 'medium', eve, analysts],
        ['member-removed', 'medium', ann, analysts],
      ].sort(),
    );
    expect((await applyFixes(t.provisioning, operatorContext('alice'), findings, { guarded: false })).every((o) => o.ok)).toBe(true);
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
  });

  it('finds a name changed by hand as low, and reconcile writes back what the IdP sent', async () => {
    const { bob } = await provisionTeam();
    await hand.setFirstName(bob, 'Robert');
    const [finding] = managedFindings(await scanDrift(t.provisioning));
    expect(finding).toMatchObject({ kind: 'attribute-changed', severity: 'low', declared: { givenName: 'Given' }, actual: { givenName: 'Robert' } });
    await applyFixes(t.provisioning, operatorContext('alice'), [finding], { guarded: false });
    expect(t.double.state.users().find((u) => u.id === Number(bob))?.first_name).toBe('Given');
  });

  it('lets --only choose the kinds a reconcile fixes', async () => {
    const { ann, bob, analysts } = await provisionTeam();
    await hand.grantAdmin(ann);
    await hand.removeMember(analysts, bob);
    const report = await scanDrift(t.provisioning);
    expect(fixable(report.findings, ['adminGrants']).map((f) => f.kind)).toEqual(['admin-grant']);
    expect(fixable(report.findings, ['memberships']).map((f) => f.kind)).toEqual(['member-removed']);
    expect(
      fixable(report.findings, null)
        .map((f) => f.kind)
        .sort(),
    ).toEqual(['admin-grant', 'member-removed']);
  });

  it("forgets a DELETEd person's declared memberships, so a revival starts in no group", async () => {
    const { bob, analysts } = await provisionTeam();
    expect((await t.request('DELETE', `/Users/${bob}`)).status).toBe(204);
    expect((await t.store.get('Group', analysts, { members: true }))?.members).not.toContain(bob);
    expect(
      (
        await t.request('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'bob@example.com',
          emails: [{ value: 'bob@example.com', primary: true }],
          name: { givenName: 'Given', familyName: 'Family' },
        })
      ).status,
    ).toBe(201);
    expect(managedFindings(await scanDrift(t.provisioning))).toEqual([]);
  });
});

describe('the drift monitor', () => {
  it('announces each finding once (audit drift.detected), keeps when it was first seen, and announces its resolution', async () => {
    const { ann } = await provisionTeam();
    const monitor = new DriftMonitor({ p: t.provisioning, settings: { intervalMinutes: 15, autoRevert: [] }, logger: t.provisioning.logger });
    await hand.grantAdmin(ann);
    const first = await monitor.scan();
    const second = await monitor.scan();
    const detected = (await auditEvents()).filter((e) => e.action === 'drift.detected');
    expect(detected).toEqual([expect.objectContaining({ resourceId: ann, actor: 'drift scan', reason: expect.stringMatching(/^\[critical\] admin-grant: /) })]);
    expect(managedFindings(second)[0].firstSeenAt).toBe(managedFindings(first)[0].firstSeenAt);
    expect((await monitor.latest())?.findings[0]).toMatchObject({ kind: 'admin-grant' });
    expect((await monitor.summary()).findings).toContainEqual({ kind: 'admin-grant', severity: 'critical', count: 1 });
    await applyFixes(t.provisioning, operatorContext('alice'), fixable(second.findings, null), { guarded: false });
    await monitor.scan();
    expect((await auditEvents()).filter((e) => e.action === 'drift.resolved')).toEqual([expect.objectContaining({ resourceId: ann })]);
  });

  it("holds automatic reverts at the deprovisioning guard's budget, but not an operator's reviewed plan", async () => {
    const { ann, bob } = await provisionTeam();
    await hand.grantAdmin(ann);
    await hand.grantAdmin(bob);
    const guard = new DeprovisioningGuard({
      store: t.store,
      settings: { maxDeprovisions: 1, maxPercent: 100, windowMinutes: 15 },
      countActivePeople: async () => 100,
      audit: t.provisioning.audit!,
    });
    const p = createProvisioning({ ...t.provisioning, guard });
    const grants = managedFindings(await scanDrift(p));
    expect(grants.map((f) => f.kind)).toEqual(['admin-grant', 'admin-grant']);
    const automatic = await applyFixes(p, operatorContext('drift.autoRevert'), grants, { guarded: true });
    expect(automatic.map((o) => o.ok)).toEqual([true, false]);
    expect(automatic[1].error).toContain('Deprovisioning is held');
    const reviewed = await applyFixes(p, operatorContext('alice'), managedFindings(await scanDrift(p)), { guarded: false });
    expect(reviewed.map((o) => o.ok)).toEqual([true]);
    expect(managedFindings(await scanDrift(p))).toEqual([]);
  });

  it('reverts the kinds in drift.autoRevert by itself on its schedule, and only those', async () => {
    const { ann, bob, analysts } = await provisionTeam();
    await hand.grantAdmin(ann);
    await hand.removeMember(analysts, bob);
    const monitor = new DriftMonitor({
      p: t.provisioning,
      settings: { intervalMinutes: 1, autoRevert: ['adminGrants'] },
      logger: t.provisioning.logger,
      firstRoundMs: 10,
    });
    monitor.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(await auditEvents()).some((e) => e.action === 'reconcile.apply')) await new Promise((r) => setTimeout(r, 50));
    await monitor.stop();
    expect((await auditEvents()).filter((e) => e.action === 'reconcile.apply')).toEqual([
      expect.objectContaining({ actor: 'drift.autoRevert', resourceId: ann, outcome: 'success' }),
    ]);
    expect(managedFindings((await monitor.latest())!).map((f) => f.kind)).toEqual(['member-removed']);
  });

  it('runs one scheduled scan per interval across replicas sharing a store', async () => {
    await provisionTeam();
    t.double.resetCalls();
    const replica = () =>
      new DriftMonitor({ p: t.provisioning, settings: { intervalMinutes: 1, autoRevert: [] }, logger: t.provisioning.logger, firstRoundMs: 10 });
    const [a, b] = [replica(), replica()];
    a.start();
    b.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(await a.latest())) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all([a.stop(), b.stop()]);
    expect(t.double.calls.filter((c) => c.method === 'GET' && c.path === '/api/permissions/group').length).toBe(1);
  });
});

describe('reconcile --rebuild', () => {
  it('takes the BI tool as declared after the store is lost: DELETE marks, mapped groups and members, so drift sees edits again', async () => {
    const { ann, bob, analysts } = await provisionTeam();
    expect((await t.request('DELETE', `/Users/${bob}`)).status).toBe(204);
    const lost = new MemoryStore();
    const p = createProvisioning({ ...t.provisioning, store: lost, audit: undefined, guard: null });
    expect(managedFindings(await scanDrift(p))).toEqual([]);
    const plan = await planRebuild(p);
    expect(plan.people.find((r) => r.id === bob)).toMatchObject({ deleted: true });
    expect(plan.groups.find((r) => r.id === ADMINISTRATORS)).toMatchObject({ mappedTo: 'Administrators', attributes: { displayName: 'BI Admins' } });
    await applyRebuild(p, operatorContext('alice'), plan);
    expect((await lost.get('Group', analysts, { members: true }))?.members).toEqual([ann]);
    expect(managedFindings(await scanDrift(p))).toEqual([]);
    await hand.grantAdmin(ann);
    expect(managedFindings(await scanDrift(p)).map((f) => f.kind)).toEqual(['admin-grant']);
    expect((await lost.readStream('audit', { limit: 10, order: 'oldest' })).map((e) => (e.value as AuditEvent).action)).toEqual(['reconcile.apply']);
  });
});
