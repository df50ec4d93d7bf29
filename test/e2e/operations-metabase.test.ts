// Operations end to end against the Metabase double: the real bi-scim process and CLI, real Redis, a signed-webhook
// receiver. Replayed IdP sequences leave exactly the expected audit trail; a burst of deactivations trips the guard
// until an operator approves; a removal the BI tool silently ignores is answered 502 and alerted; a dead alert sink
// holds no SCIM answer.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../src/operations/audit.ts';
import type { GuardState } from '../../src/operations/guard.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { metabaseState } from '../support/metabase-state.ts';
import { mapWithConcurrency } from '../../src/targets/concurrency.ts';
import {
  createdId,
  DEACTIVATE,
  groupBody,
  jsonLines,
  metricValue,
  personBody,
  removeMemberBody,
  startOperationsStack,
  type OperationsStack,
} from '../support/operations-stack.ts';
import { loadFixture, replayFixture } from '../support/replay.ts';
import { startDeadReceiver, type DeadReceiver } from '../support/webhook-receiver.ts';

const TOKENS = { okta: 'okta-e2e-token-0123456789', entra: 'entra-e2e-token-0123456789' };
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

const metabaseTarget = (double: MetabaseDouble) => ({ BI_SCIM_TARGET: 'metabase', BI_SCIM_TARGET_URL: double.url, BI_SCIM_TARGET_API_KEY: double.apiKey });
/**
 * A Redis database of this file's own, so flushing it touches no other suite. Its suites run one after another,
 * each flushing it for a server of its own.
 */
const REDIS_DB = 10;
const redisUrl = () => `${inject('redisUrl')}/${REDIS_DB}`;

type Change = [unknown, unknown] | { added?: string[]; removed?: string[] };
interface Seen {
  action: string;
  outcome: string;
  resource: string;
  name: string | null;
  verified?: boolean;
  changes: Record<string, Change>;
}

/** An audit event as these tests compare it: who and when left out, each change as before → after. */
function seen(e: AuditEvent): Seen {
  const changes = Object.fromEntries(
    e.changes.map((c): [string, Change] => [c.attribute, c.added || c.removed ? { added: c.added, removed: c.removed } : [c.before, c.after]]),
  );
  return {
    action: e.action,
    outcome: e.outcome,
    resource: [e.resourceType, e.resourceId].join(' '),
    name: e.resourceName,
    ...(e.verified === undefined ? {} : { verified: e.verified }),
    changes,
  };
}

const event = (action: string, resource: string, name: string, changes: Record<string, Change> = {}, verified?: boolean): Seen => ({
  action,
  outcome: 'success',
  resource,
  name,
  ...(verified === undefined ? {} : { verified }),
  changes,
});
const created = (value: unknown): Change => [undefined, value];
const members = (added?: string[], removed?: string[]): Change => ({ added, removed });

/** Okta's create: its profile, a locale, and its own id as externalId (its random password is never in the trail). */
function oktaCreate(resource: string, email: string, oktaId: string, givenName: string, familyName: string): Seen {
  return event('user.create', resource, email, {
    userName: created(email),
    name: created({ givenName, familyName }),
    emails: created([{ primary: true, value: email, type: 'work' }]),
    displayName: created(`${givenName} ${familyName}`),
    locale: created('en-US'),
    externalId: created(oktaId),
    active: created(true),
  });
}

function oktaTrail(v: Record<string, string>): Seen[] {
  const jordan = `User ${v.jordanId}`;
  const priya = `User ${v.priyaId}`;
  const [finance, marketing] = [`Group ${v.financeId}`, `Group ${v.marketingId}`];
  const work = (email: string) => [{ primary: true, value: email, type: 'work' }];
  return [
    oktaCreate(jordan, v.jordanEmail, v.jordanOktaId, 'Jordan', 'Lee'),
    oktaCreate(priya, v.priyaEmail, v.priyaOktaId, 'Priya', 'Natarajan'),
    event('user.update', priya, v.priyaEmail, {
      name: [
        { givenName: 'Priya', familyName: 'Natarajan' },
        { givenName: 'Priyanka', middleName: '', familyName: 'Natarajan' },
      ],
      emails: [work(v.priyaEmail), [{ ...work(v.priyaEmail)[0], display: v.priyaEmail }]],
      displayName: ['Priya Natarajan', 'Priyanka Natarajan'],
    }),
    event('group.create', finance, v.financeGroup, { displayName: created(v.financeGroup) }),
    event('group.create', marketing, v.marketingGroup, { displayName: created(v.marketingGroup) }),
    // Okta's name sync before each membership change is a write that changes nothing: audited all the same.
    event('group.update', finance, v.financeGroup),
    event('member.add', finance, v.financeGroup, { members: members([v.priyaId]) }),
    event('group.update', marketing, v.marketingGroup),
    event('member.add', marketing, v.marketingGroup, { members: members([v.jordanId]) }),
    event('group.update', finance, v.financeGroup),
    event('member.remove', finance, v.financeGroup, { members: members([v.jordanId], [v.priyaId]) }, true),
    event('group.rename', finance, v.financeRenamed, { displayName: [v.financeGroup, v.financeRenamed] }),
    event('group.update', marketing, v.marketingGroup),
    event('member.remove', marketing, v.marketingGroup, { members: members([v.priyaId], [v.jordanId]) }, true),
    event('user.deactivate', jordan, v.jordanEmail, { active: [true, false] }, true),
    event('user.reactivate', jordan, v.jordanEmail, { active: [false, true] }),
    event('user.update', jordan, v.jordanNewEmail, {
      userName: [v.jordanEmail, v.jordanNewEmail],
      name: [
        { givenName: 'Jordan', familyName: 'Lee' },
        { givenName: 'Jordan', middleName: '', familyName: 'Lee-Park' },
      ],
      emails: [work(v.jordanEmail), [{ ...work(v.jordanNewEmail)[0], display: v.jordanNewEmail }]],
      displayName: ['Jordan Lee', 'Jordan Lee-Park'],
    }),
    event('group.delete', marketing, v.marketingGroup, { members: members(undefined, [v.priyaId]) }, true),
  ];
}

function entraTrail(v: Record<string, string>, scimUrl: string): Seen[] {
  const [adele, alex] = [`User ${v.adeleId}`, `User ${v.alexId}`];
  const [sales, exec] = [`Group ${v.salesId}`, `Group ${v.execId}`];
  const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
  const work = (email: string) => [{ primary: true, type: 'work', value: email }];
  const alexCreated = {
    externalId: created(v.alexObjectId),
    userName: created(v.alexUpn),
    active: created(true),
    emails: created(work(v.alexMail)),
    name: created({ formatted: 'Alex Wilber', familyName: 'Wilber', givenName: 'Alex' }),
  };
  return [
    event('user.create', adele, v.adeleUpn, {
      externalId: created(v.adeleObjectId),
      userName: created(v.adeleUpn),
      active: created(true),
      displayName: created('Adele Vance'),
      emails: created(work(v.adeleMail)),
      name: created({ formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' }),
      title: created('Retail Manager'),
      [enterprise]: created({ department: 'Retail' }),
    }),
    event('user.create', alex, v.alexUpn, alexCreated),
    event('group.create', sales, v.salesGroup, { displayName: created(v.salesGroup) }),
    event('group.create', exec, v.execGroup, { displayName: created(v.execGroup) }),
    event('member.add', sales, v.salesGroup, { members: members([v.adeleId, v.alexId]) }),
    event('member.add', exec, v.execGroup, { members: members([v.adeleId, v.alexId]) }),
    // Entra's periodic "active: True" on a live person changes nothing.
    event('user.update', alex, v.alexUpn),
    event('user.update', adele, v.adeleUpn, {
      displayName: ['Adele Vance', 'Adèle Vance'],
      name: [
        { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' },
        { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adèle' },
      ],
      title: ['Retail Manager', 'Retail Director'],
      [enterprise]: [{ department: 'Retail' }, { department: 'Retail', employeeNumber: '100482' }],
    }),
    event('user.update', alex, v.alexUpn, { [enterprise]: created({ manager: { value: v.adeleId, $ref: `${scimUrl}/Users/${v.adeleId}` } }) }),
    event('user.update', adele, v.adeleUpn, {
      emails: [work(v.adeleMail), work(v.adeleNewMail)],
      name: [
        { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adèle' },
        { formatted: 'Adele Vance', familyName: 'Vance-Kim', givenName: 'Adèle' },
      ],
    }),
    event('group.rename', sales, v.salesRenamed, { displayName: [v.salesGroup, v.salesRenamed] }),
    event('member.remove', sales, v.salesRenamed, { members: members(undefined, [v.alexId]) }, true),
    event('user.deactivate', alex, v.alexUpn, { active: [true, false] }, true),
    event('user.reactivate', alex, v.alexUpn, { active: [false, true] }),
    event('user.deactivate', alex, v.alexUpn, { active: [true, false] }, true),
    // The DELETE 30 days after the soft delete: already inactive, now also marked deleted (and read back).
    event('user.delete', alex, v.alexUpn, { active: [false, false] }, true),
    // The same userName POSTed again revives the same person, with what the IdP sent this time.
    event('user.reactivate', alex, v.alexUpn, {
      active: created(true),
      externalId: alexCreated.externalId,
      userName: alexCreated.userName,
      emails: alexCreated.emails,
      name: alexCreated.name,
    }),
    event('group.delete', exec, v.execGroup, { members: members(undefined, [v.adeleId]) }, true),
  ];
}

describe('the audit trail of replayed IdP sequences', () => {
  let double: MetabaseDouble;
  let stack: OperationsStack;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    // The guard is off here: these sequences deprovision most of a two-person directory; its own suite shows it.
    stack = await startOperationsStack({ target: metabaseTarget(double), tokens: TOKENS, redisUrl: redisUrl(), config: { guard: { maxDeprovisions: 0 } } });
  });

  afterAll(async () => {
    await stack?.stop();
    await double?.close();
  });

  it('records exactly one event per Okta and Entra write, with before → after, read back by bi-scim audit --format json', async () => {
    const okta = await replayFixture(loadFixture('okta-catalog'), { baseUrl: stack.sidecar.url, token: TOKENS.okta, readState: metabaseState(double) });
    const entra = await replayFixture(loadFixture('entra-default'), { baseUrl: stack.sidecar.url, token: TOKENS.entra, readState: metabaseState(double) });
    const events = await stack.audit('--limit', '1000');

    const byOkta = events.filter((e) => e.caller?.token === 'okta');
    const byEntra = events.filter((e) => e.caller?.token === 'entra');
    expect(byOkta.length + byEntra.length).toBe(events.length);
    expect(byOkta.map(seen)).toEqual(oktaTrail(okta.vars));
    expect(byEntra.map(seen)).toEqual(entraTrail(entra.vars, stack.sidecar.url));
    // Who: the token's name and the IdP's user agent; and never Okta's random password.
    expect(new Set(byOkta.map((e) => e.caller?.userAgent))).toEqual(new Set([OKTA_AGENT]));
    expect(events.flatMap((e) => e.changes.map((c) => c.attribute.toLowerCase()))).not.toContain('password');
    // Each removal was read back from Metabase after the write that made it.
    for (const e of events.filter((x) => x.verified === true)) {
      const write = e.biCalls.findLastIndex((c) => c.method === 'DELETE');
      expect(write, `${e.action} ${e.resourceId} made no DELETE`).toBeGreaterThanOrEqual(0);
      expect(e.biCalls.slice(write + 1).some((c) => c.method === 'GET' && c.status === 200)).toBe(true);
    }
    // Every event is also one pino line for log pipelines (written in batches, flushed at least every second).
    const auditLines = () => stack.sidecar.logs.filter((l) => l.includes('"audit":{')).length;
    for (const deadline = Date.now() + 10_000; auditLines() < events.length && Date.now() < deadline; ) await sleep(100);
    expect(auditLines()).toBe(events.length);
  });

  it('filters the trail by person and action, and exports it as CSV', async () => {
    // By the name Jordan has now: the events under the earlier name, and the membership changes naming Jordan's id.
    const jordan = await stack.audit('--user', 'jordan.lee-park@northwind.example');
    expect(jordan.map((e) => `${e.action} ${e.resourceType}`)).toEqual([
      'user.create User',
      'member.add Group',
      'member.remove Group',
      'member.remove Group',
      'user.deactivate User',
      'user.reactivate User',
      'user.update User',
    ]);
    const finance = await stack.audit('--group', 'Finance & Planning Analysts');
    expect(finance.map((e) => e.action)).toEqual(['group.create', 'group.update', 'member.add', 'group.update', 'member.remove', 'group.rename']);
    const deactivations = await stack.audit('--action', 'user.deactivate,user.delete');
    expect(deactivations.map((e) => `${e.action} ${e.resourceName}`)).toEqual([
      'user.deactivate jordan.lee@northwind.example',
      'user.deactivate AlexW@contoso.example',
      'user.deactivate AlexW@contoso.example',
      'user.delete AlexW@contoso.example',
    ]);
    const csv = await stack.cli('audit', '--format', 'csv', '--action', 'group.rename');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes('group.rename'))).toBe(true);
    const table = await stack.cli('audit', '--limit', '8');
    expect(table.stdout).toMatch(/^TIME\s+ACTION\s+OUTCOME\s+RESOURCE\s+BY\s+VERIFIED\s+DETAIL/);
  });
});

describe('the deprovisioning guard', () => {
  const PEOPLE = 60;
  const BUDGET = 20;
  let double: MetabaseDouble;
  let stack: OperationsStack;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    stack = await startOperationsStack({
      target: metabaseTarget(double),
      tokens: TOKENS,
      redisUrl: redisUrl(),
      config: { guard: { maxDeprovisions: BUDGET, maxPercent: 100, windowMinutes: 15 } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await double?.close();
  });

  const guardState = async (...args: string[]): Promise<GuardState> => {
    const result = await stack.cli('guard', ...args, '--format', 'json');
    expect(result.code, result.stderr).toBe(0);
    return jsonLines<GuardState>(result.stdout)[0];
  };

  it(`holds a burst of ${PEOPLE} deactivations at ${BUDGET} with 503 and Retry-After until bi-scim guard approve, then lets the retries through`, async () => {
    const emails = Array.from({ length: PEOPLE }, (_, i) => `leaver.${i}@northwind.example`);
    const ids = await mapWithConcurrency(emails, 6, (email) => createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(email) })));
    const deactivate = (id: string) => stack.scim('okta', `/Users/${id}`, { method: 'PATCH', json: DEACTIVATE });
    const answers = await mapWithConcurrency(ids, 10, async (id) => {
      const res = await deactivate(id);
      return { id, status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { status: string; detail: string } };
    });
    const held = answers.filter((a) => a.status === 503);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(BUDGET);
    expect(held).toHaveLength(PEOPLE - BUDGET);
    for (const a of held) {
      expect(a.retryAfter).toBe('60');
      expect(a.body.status).toBe('503');
      expect(a.body.detail).toContain(`reached the budget of ${BUDGET}`);
      expect(a.body.detail).toContain('bi-scim guard approve');
    }
    const inactive = () => ids.filter((id) => double.state.users().find((u) => String(u.id) === id)?.is_active === false).length;
    expect(inactive()).toBe(BUDGET);

    // Creates, updates and additions go on while deprovisioning is held.
    const newcomer = await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody('newcomer@northwind.example') }));
    const rename = await stack.scim('okta', `/Users/${held[0].id}`, {
      method: 'PATCH',
      json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Renamed' }] },
    });
    expect(rename.status).toBe(200);
    await createdId(stack.scim('okta', '/Groups', { method: 'POST', json: groupBody('Newcomers', [newcomer]) }));

    const tripped = await guardState('status');
    expect(tripped).toMatchObject({ enabled: true, budget: BUDGET, inWindow: BUDGET, tripped: { inWindow: BUDGET, budget: BUDGET }, approval: null });
    expect(await metricValue(stack, 'bi_scim_guard_tripped')).toBe(1);
    expect(await metricValue(stack, 'bi_scim_guard_budget')).toBe(BUDGET);
    expect(await metricValue(stack, 'bi_scim_guard_window_deprovisions')).toBe(BUDGET);
    expect((await stack.cli('guard', 'approve', '--for', '1h')).code).toBe(1);
    const approved = await guardState('approve', '--for', '1h', '--by', 'alice');
    expect(approved.approval?.by).toBe('alice');
    expect(Date.parse(approved.approval!.until) - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(await metricValue(stack, 'bi_scim_guard_tripped')).toBe(0);

    // The IdP retries what was held.
    const retries = await mapWithConcurrency(held, 10, async (a) => (await deactivate(a.id)).status);
    expect(retries).toEqual(held.map(() => 200));
    expect(inactive()).toBe(PEOPLE);

    const events = await stack.audit('--limit', '1000');
    const trips = events.filter((e) => e.action === 'guard.tripped');
    expect(trips).toHaveLength(1);
    expect(trips[0].reason).toContain(`reached the budget of ${BUDGET}`);
    const deactivations = events.filter((e) => e.action === 'user.deactivate');
    expect(deactivations.filter((e) => e.outcome === 'success' && e.verified === true)).toHaveLength(PEOPLE);
    const refused = deactivations.filter((e) => e.outcome === 'refused');
    expect(refused).toHaveLength(PEOPLE - BUDGET);
    expect(refused.every((e) => e.cause === 'guard' && e.biCalls.every((c) => c.method === 'GET'))).toBe(true);
    expect(new Set(refused.map((e) => e.resourceId))).toEqual(new Set(held.map((a) => a.id)));
    expect(events.filter((e) => e.action === 'guard.approve')).toEqual([
      expect.objectContaining({ actor: 'alice', caller: null, outcome: 'success', changes: [{ attribute: 'approval', after: approved.approval }] }),
    ]);

    const alerts = await stack.receiver.waitFor(
      `guard.tripped and ${PEOPLE} user.deprovisioned`,
      (all) => all.some((a) => a.body.event === 'guard.tripped') && all.filter((a) => a.body.event === 'user.deprovisioned').length === PEOPLE,
    );
    expect(stack.receiver.of('guard.tripped')).toHaveLength(1);
    expect(stack.receiver.of('guard.tripped')[0].body.summary).toContain(`reached the budget of ${BUDGET}`);
    expect(alerts.every((a) => a.signatureValid && a.eventHeader === a.body.event && a.body.service === 'bi-scim')).toBe(true);
    expect(new Set(stack.receiver.of('user.deprovisioned').map((a) => a.body.details.resourceId))).toEqual(new Set(ids));
  });
});

describe('verified removals', () => {
  let double: MetabaseDouble;
  let stack: OperationsStack;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    stack = await startOperationsStack({ target: metabaseTarget(double), tokens: TOKENS, redisUrl: redisUrl(), config: { guard: { maxDeprovisions: 0 } } });
  });

  afterAll(async () => {
    await stack?.stop();
    await double?.close();
  });

  it('answers 502 to a deactivation Metabase acknowledges but does not make, audits it verified:false and alerts verify.failed; the retry succeeds', async () => {
    const id = await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody('ignored.leaver@northwind.example') }));
    double.ignoreNextChange({ method: 'DELETE', pathPrefix: `/api/user/${id}` });
    const first = await stack.scim('okta', `/Users/${id}`, { method: 'PATCH', json: DEACTIVATE });
    expect(first.status).toBe(502);
    expect(((await first.json()) as { detail: string }).detail).toContain('reading it back does not show the deactivation');
    expect(double.state.users().find((u) => String(u.id) === id)?.is_active).toBe(true);

    expect((await stack.scim('okta', `/Users/${id}`, { method: 'PATCH', json: DEACTIVATE })).status).toBe(200);
    expect(double.state.users().find((u) => String(u.id) === id)?.is_active).toBe(false);

    const trail = (await stack.audit('--user', id)).map((e) => [e.action, e.outcome, e.verified]);
    expect(trail).toEqual([
      ['user.create', 'success', undefined],
      ['user.deactivate', 'failed', false],
      ['user.deactivate', 'success', true],
    ]);
    await stack.receiver.waitFor('verify.failed', (all) => all.some((a) => a.body.event === 'verify.failed'));
    expect(stack.receiver.of('verify.failed')).toEqual([
      expect.objectContaining({
        signatureValid: true,
        body: expect.objectContaining({ details: expect.objectContaining({ action: 'user.deactivate', resourceId: id }) }),
      }),
    ]);
  });

  it('answers 502 to a member removal Metabase acknowledges but does not make, and alerts it; the retry takes the member out', async () => {
    const id = await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody('ignored.member@northwind.example') }));
    const group = await createdId(stack.scim('okta', '/Groups', { method: 'POST', json: groupBody('Ignored Removals', [id]) }));
    const inGroup = () => double.state.groupNamesOf(Number(id)).includes('Ignored Removals');
    double.ignoreNextChange({ method: 'DELETE', pathPrefix: '/api/permissions/membership/' });
    expect((await stack.scim('okta', `/Groups/${group}`, { method: 'PATCH', json: removeMemberBody(id) })).status).toBe(502);
    expect(inGroup()).toBe(true);
    expect((await stack.scim('okta', `/Groups/${group}`, { method: 'PATCH', json: removeMemberBody(id) })).status).toBe(204);
    expect(inGroup()).toBe(false);

    const removals = (await stack.audit('--group', group, '--action', 'member.remove')).map((e) => [e.outcome, e.verified, e.changes]);
    expect(removals).toEqual([
      ['failed', false, [{ attribute: 'members', removed: [id] }]],
      ['success', true, [{ attribute: 'members', removed: [id] }]],
    ]);
    await stack.receiver.waitFor('a second verify.failed', (all) => all.filter((a) => a.body.event === 'verify.failed').length === 2);
    expect(stack.receiver.of('verify.failed')[1]).toMatchObject({ signatureValid: true, body: { details: { action: 'member.remove', resourceId: group } } });
  });
});

describe('a dead alert sink', () => {
  let double: MetabaseDouble;
  let dead: DeadReceiver;
  let stack: OperationsStack;

  beforeAll(async () => {
    double = await startMetabaseDouble();
    dead = await startDeadReceiver();
    stack = await startOperationsStack({
      target: metabaseTarget(double),
      tokens: TOKENS,
      redisUrl: redisUrl(),
      config: { guard: { maxDeprovisions: 0 } },
      extraWebhooks: [{ name: 'dead', url: dead.url, format: 'json', events: ['user.deprovisioned'] }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await dead?.close();
    await double?.close();
  });

  it('delays no SCIM answer: they arrive while the dead sink still holds the undelivered alert, and the other sink gets every alert', async () => {
    const ids = await mapWithConcurrency(['a', 'b', 'c'], 1, (who) =>
      createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(`${who}.leaver@northwind.example`) })),
    );
    expect((await stack.scim('okta', `/Users/${ids[0]}`, { method: 'PATCH', json: DEACTIVATE })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (dead.held() === 0 && Date.now() < deadline) await sleep(20);
    expect(dead.requests).toHaveLength(1);
    expect(dead.requests[0].firstBytes).toMatch(/^POST \/alerts HTTP\/1\.1/);

    // Each of these answers arrives while that alert is still unanswered on the dead sink's open connection.
    for (const id of ids.slice(1)) {
      expect((await stack.scim('okta', `/Users/${id}`, { method: 'PATCH', json: DEACTIVATE })).status).toBe(200);
      expect(dead.requests[0].open).toBe(true);
    }
    await createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody('d.joiner@northwind.example') }));
    expect(dead.requests[0].open).toBe(true);
    // One delivery at a time per sink: the later alerts wait in the dead sink's queue, not in a SCIM request.
    expect(dead.requests).toHaveLength(1);

    await stack.receiver.waitFor('three user.deprovisioned', (all) => all.filter((a) => a.body.event === 'user.deprovisioned').length === 3);
    expect(stack.receiver.of('user.deprovisioned').map((a) => a.body.details.resourceId)).toEqual(ids);
  });
});
