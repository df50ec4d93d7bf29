// Dry-run tokens through app.request(): answered as a real token is, nothing reaches the Metabase double, all planned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { noMetrics } from '../../src/metrics.ts';
import { AUDIT_STREAM, createAuditTrail, type AuditEvent } from '../../src/operations/audit.ts';
import { DeprovisioningGuard } from '../../src/operations/guard.ts';
import { createProvisioning } from '../../src/provisioning/context.ts';
import { discardPlan, plannedCalls, plannedTokens } from '../../src/operations/plan.ts';
import { sha256Hex } from '../../src/tokens.ts';
import { BASE_PATH, buildTestApp, createUser, expectScimError, filterQuery, groupBody, patchBody, userBody, type TestApp } from '../support/build-test-app.ts';

const DRY_TOKEN = 'dry-run-token-0123456789abcdef';
const DRY = { authorization: `Bearer ${DRY_TOKEN}` };

let t: TestApp;

beforeEach(async () => {
  t = await buildTestApp();
  await t.store.putToken({ name: 'okta-trial', sha256: sha256Hex(DRY_TOKEN), createdAt: new Date().toISOString(), expiresAt: null, dryRun: true });
});

afterEach(async () => {
  await t.close();
});

const writesToDouble = () => t.double.calls.filter((c) => c.method !== 'GET');
const routes = async () => (await plannedCalls(t.store, 'okta-trial')).map((c) => `${c.method} ${c.route}`);

describe('a dry-run token', () => {
  it('answers a create as a real token would, with a provisional id, and sends no write to the BI tool', async () => {
    t.double.resetCalls();
    const created = await t.request('POST', '/Users', userBody('Jordan.Lee@example.com', { locale: 'en-US' }), DRY);
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^provisional-\d+$/);
    expect(created.body).toMatchObject({ userName: 'Jordan.Lee@example.com', active: true, name: { givenName: 'Given', familyName: 'Family' } });
    expect(created.headers.get('location')).toContain(`/Users/${created.body.id}`);
    expect(writesToDouble()).toEqual([]);
    expect(t.double.state.userByEmail('jordan.lee@example.com')).toBeUndefined();
    // POST /api/user takes no locale, so a follow-up PUT sets it, as through a real token.
    expect(await routes()).toEqual(['POST /api/user', 'PUT /api/user/:id']);
  });

  it('reads its own planned people back, while the real token sees none of them', async () => {
    const id = (await t.request('POST', '/Users', userBody('mei@example.com'), DRY)).body.id as string;
    const viaDry = await t.request('GET', `/Users?${filterQuery('userName eq "mei@example.com"')}`, undefined, DRY);
    expect(viaDry.body.totalResults).toBe(1);
    expect(viaDry.body.Resources[0].id).toBe(id);
    expect((await t.request('GET', `/Users/${id}`, undefined, DRY)).status).toBe(200);
    expectScimError(await t.request('GET', `/Users/${id}`), 404);
    expect((await t.request('GET', `/Users?${filterQuery('userName eq "mei@example.com"')}`)).body.totalResults).toBe(0);
  });

  it("lists the BI tool's people and its planned ones as one directory, paged", async () => {
    await createUser(t, 'real.one@example.com');
    await createUser(t, 'real.two@example.com');
    await t.request('POST', '/Users', userBody('planned.one@example.com'), DRY);
    await t.request('POST', '/Users', userBody('planned.two@example.com'), DRY);
    const total = (await t.request('GET', '/Users?count=0')).body.totalResults as number;
    const first = await t.request('GET', `/Users?startIndex=1&count=${total}`, undefined, DRY);
    const rest = await t.request('GET', `/Users?startIndex=${total + 1}&count=${total}`, undefined, DRY);
    expect(first.body.totalResults).toBe(total + 2);
    expect(first.body.Resources).toHaveLength(total);
    expect(rest.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['planned.one@example.com', 'planned.two@example.com']);
  });

  it('refuses what a real token is refused, with the same status and scimType', async () => {
    await createUser(t, 'taken@example.com');
    const real = await t.request('POST', '/Users', userBody('taken@example.com'));
    const dry = await t.request('POST', '/Users', userBody('taken@example.com'), DRY);
    expectScimError(real, 409, 'uniqueness');
    expectScimError(dry, 409, 'uniqueness');
    expectScimError(await t.request('PATCH', '/Users/999999', patchBody({ op: 'replace', value: { active: false } }), DRY), 404);
    expectScimError(await t.request('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }, DRY), 400);
  });

  it('plans a deactivation of a real person, which its reads show and the BI tool does not', async () => {
    const id = await createUser(t, 'leaver@example.com');
    t.double.resetCalls();
    const patched = await t.request('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }), DRY);
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    expect(writesToDouble()).toEqual([]);
    expect(t.double.state.userByEmail('leaver@example.com')!.is_active).toBe(true);
    expect((await t.request('GET', `/Users/${id}`, undefined, DRY)).body.active).toBe(false);
    expect((await t.request('GET', `/Users/${id}`)).body.active).toBe(true);
    expect(await routes()).toEqual(['DELETE /api/user/:id']);
  });

  it('plans groups and their members, and shows them through its reads', async () => {
    const real = await createUser(t, 'real.person@example.com');
    const planned = (await t.request('POST', '/Users', userBody('new.person@example.com'), DRY)).body.id as string;
    t.double.resetCalls();
    const group = await t.request('POST', '/Groups', groupBody('Finance Analysts', [real, planned]), DRY);
    expect(group.status).toBe(201);
    expect(group.body.id).toMatch(/^provisional-/);
    const read = await t.request('GET', `/Groups/${group.body.id}`, undefined, DRY);
    expect(read.body.members.map((m: { value: string }) => m.value).sort()).toEqual([real, planned].sort());
    const person = await t.request('GET', `/Users/${real}`, undefined, DRY);
    expect(person.body.groups.map((g: { display: string }) => g.display)).toEqual(['Finance Analysts']);
    expect(writesToDouble()).toEqual([]);
    expect(t.double.state.groupByName('Finance Analysts')).toBeUndefined();
    expect((await routes()).slice(-3)).toEqual(['POST /api/permissions/group', 'POST /api/permissions/membership', 'POST /api/permissions/membership']);
  });

  it('marks its audit events as a dry run', async () => {
    await t.request('POST', '/Users', userBody('audited@example.com'), DRY);
    const events = (await t.store.readStream(AUDIT_STREAM, { limit: 10, order: 'newest' })).map((e) => e.value as AuditEvent);
    expect(events[0]).toMatchObject({ action: 'user.create', outcome: 'success', dryRun: true, caller: { token: 'okta-trial' } });
  });

  it('starts again from the BI tool as it is once its plan is discarded', async () => {
    const id = (await t.request('POST', '/Users', userBody('again@example.com'), DRY)).body.id as string;
    expect(await plannedTokens(t.store)).toEqual(['okta-trial']);
    await discardPlan(t.store, 'okta-trial');
    expect(await plannedTokens(t.store)).toEqual([]);
    expect(await plannedCalls(t.store, 'okta-trial')).toEqual([]);
    expectScimError(await t.request('GET', `/Users/${id}`, undefined, DRY), 404);
    expect((await t.request('GET', `/Users?${filterQuery('userName eq "again@example.com"')}`, undefined, DRY)).body.totalResults).toBe(0);
    expect((await t.request('POST', '/Users', userBody('again@example.com'), DRY)).status).toBe(201);
  });
});

describe('a dry-run token and the operations layer', () => {
  it('never counts against the deprovisioning guard and never raises an alert', async () => {
    const ids = [await createUser(t, 'one@example.com'), await createUser(t, 'two@example.com'), await createUser(t, 'three@example.com')];
    const alerted: AuditEvent[] = [];
    const logger = pino({ level: 'silent' });
    const audit = createAuditTrail({
      store: t.store,
      logger,
      metrics: noMetrics,
      retention: { retentionDays: 1, maxEvents: 100 },
      onEvent: (e) => alerted.push(e),
    });
    const settings = { maxDeprovisions: 1, maxPercent: 100, windowMinutes: 15 };
    const guard = new DeprovisioningGuard({ store: t.store, settings, countActivePeople: () => t.target.countActiveUsers(), audit });
    const p = createProvisioning({ store: t.store, target: t.target, logger, metrics: noMetrics, audit, guard, options: t.provisioning.options });
    const app = createApp({ provisioning: p, logger, basePath: BASE_PATH, tokens: [], maxBodyBytes: 1_048_576, rateLimitRps: 0 });
    const deactivate = (id: string) =>
      app.request(`${BASE_PATH}/Users/${id}`, {
        method: 'PATCH',
        headers: { ...DRY, 'content-type': 'application/scim+json' },
        body: JSON.stringify(patchBody({ op: 'replace', value: { active: false } })),
      });
    for (const id of ids) expect((await deactivate(id)).status).toBe(200);
    expect((await guard.state()).inWindow).toBe(0);
    expect(alerted).toEqual([]);
    for (const email of ['one@example.com', 'two@example.com', 'three@example.com']) expect(t.double.state.userByEmail(email)!.is_active).toBe(true);
  });
});
