// Operations end to end against a real Superset 6.1.0: the real bi-scim process and CLI, real Redis, a signed-webhook
// receiver. A burst of deactivations trips the guard until an operator approves; every removal is read back from
// Superset before the IdP hears it succeeded.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../src/operations/audit.ts';
import type { GuardState } from '../../src/operations/guard.ts';
import { mapWithConcurrency } from '../../src/targets/concurrency.ts';
import {
  createdId,
  DEACTIVATE,
  groupBody,
  jsonLines,
  personBody,
  removeMemberBody,
  startOperationsStack,
  type OperationsStack,
} from '../support/operations-stack.ts';
import { supersetByHand } from '../support/superset-by-hand.ts';

const url = inject('supersetUrl');
const admin = { username: inject('supersetUsername') ?? '', password: inject('supersetPassword') ?? '' };
const TOKENS = { okta: 'okta-superset-ops-token-0123456789' };
/** A Redis database of this file's own, so flushing it touches no other suite. */
const REDIS_DB = 11;
const PEOPLE = 12;
const BUDGET = 5;

if (process.env.CI && !url) {
  it('a real Superset is installed for CI', () => {
    throw new Error('Apache Superset is not installed, so the Superset operations suite did not run: run bash test/support/superset/install.sh');
  });
}

/** The read-back after a removal: a GET of what the write changed, answered 200, after the write's PUT. */
function readBackAfterWrite(e: AuditEvent, route: string): boolean {
  const write = e.biCalls.findLastIndex((c) => c.method === 'PUT' && c.route === route);
  return write >= 0 && e.biCalls.slice(write + 1).some((c) => c.method === 'GET' && c.status === 200);
}

describe.skipIf(!url)('operations against a real Superset through the real process', () => {
  const tag = randomUUID().slice(0, 8);
  const bi = supersetByHand(url!, admin);
  let stack: OperationsStack;

  beforeAll(async () => {
    stack = await startOperationsStack({
      target: { BI_SCIM_TARGET: 'superset', BI_SCIM_TARGET_URL: url!, BI_SCIM_TARGET_USERNAME: admin.username, BI_SCIM_TARGET_PASSWORD: admin.password },
      tokens: TOKENS,
      redisUrl: `${inject('redisUrl')}/${REDIS_DB}`,
      config: { guard: { maxDeprovisions: BUDGET, maxPercent: 100, windowMinutes: 15 } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const activeInSuperset = async (id: string) => (await bi.call<{ result: { active: boolean } }>('GET', `/api/v1/security/users/${id}`)).result.active;

  it(`holds a burst of ${PEOPLE} deactivations at ${BUDGET} until bi-scim guard approve, and reads each one back from Superset`, async () => {
    const emails = Array.from({ length: PEOPLE }, (_, i) => `leaver.${i}.${tag}@northwind.example`);
    const ids = await mapWithConcurrency(emails, 3, (email) => createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(email) })));
    const deactivate = (id: string) => stack.scim('okta', `/Users/${id}`, { method: 'PATCH', json: DEACTIVATE });
    const answers = await mapWithConcurrency(ids, 4, async (id) => {
      const res = await deactivate(id);
      return { id, status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { detail: string } };
    });
    const held = answers.filter((a) => a.status === 503);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(BUDGET);
    expect(held).toHaveLength(PEOPLE - BUDGET);
    expect(held.every((a) => a.retryAfter === '60' && a.body.detail.includes('bi-scim guard approve'))).toBe(true);
    const stillActive = async () => (await mapWithConcurrency(ids, 4, activeInSuperset)).filter(Boolean).length;
    expect(await stillActive()).toBe(PEOPLE - BUDGET);

    const status = await stack.cli('guard', 'status', '--format', 'json');
    expect(jsonLines<GuardState>(status.stdout)[0]).toMatchObject({ budget: BUDGET, inWindow: BUDGET, tripped: { budget: BUDGET }, approval: null });
    const approve = await stack.cli('guard', 'approve', '--for', '1h', '--by', 'alice', '--format', 'json');
    expect(jsonLines<GuardState>(approve.stdout)[0].approval?.by).toBe('alice');

    expect(await mapWithConcurrency(held, 4, async (a) => (await deactivate(a.id)).status)).toEqual(held.map(() => 200));
    expect(await stillActive()).toBe(0);

    const events = await stack.audit('--limit', '1000');
    expect(events.filter((e) => e.action === 'guard.tripped')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'guard.approve').map((e) => e.actor)).toEqual(['alice']);
    const deactivations = events.filter((e) => e.action === 'user.deactivate');
    expect(deactivations.filter((e) => e.outcome === 'refused' && e.cause === 'guard')).toHaveLength(PEOPLE - BUDGET);
    const done = deactivations.filter((e) => e.outcome === 'success');
    expect(done).toHaveLength(PEOPLE);
    for (const e of done) {
      expect(e.verified).toBe(true);
      expect(readBackAfterWrite(e, '/api/v1/security/users/:id'), JSON.stringify(e.biCalls)).toBe(true);
    }
    await stack.receiver.waitFor('guard.tripped', (all) => all.some((a) => a.body.event === 'guard.tripped'));
    expect(stack.receiver.of('guard.tripped')).toHaveLength(1);
    expect(stack.receiver.alerts.every((a) => a.signatureValid)).toBe(true);
  });

  it('reads a member removal back from Superset before answering 204, audited verified:true', async () => {
    const [ann, bob] = await mapWithConcurrency(['ann', 'bob'], 1, (who) =>
      createdId(stack.scim('okta', '/Users', { method: 'POST', json: personBody(`${who}.${tag}@northwind.example`) })),
    );
    const group = await createdId(stack.scim('okta', '/Groups', { method: 'POST', json: groupBody(`Readers ${tag}`, [ann, bob]) }));
    expect((await stack.scim('okta', `/Groups/${group}`, { method: 'PATCH', json: removeMemberBody(ann) })).status).toBe(204);
    const members = (await bi.call<{ result: { users: Array<{ id: number }> } }>('GET', `/api/v1/security/groups/${group}`)).result.users.map((u) =>
      String(u.id),
    );
    expect(members).toEqual([bob]);
    const [removal] = await stack.audit('--group', group, '--action', 'member.remove');
    expect(removal).toMatchObject({ outcome: 'success', verified: true, changes: [{ attribute: 'members', removed: [ann] }] });
    expect(removal.biCalls.some((c) => c.method === 'PUT')).toBe(true);
    expect(removal.biCalls.at(-1)).toMatchObject({ method: 'GET', status: 200 });
  });
});
