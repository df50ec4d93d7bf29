// Figure 2: BI calls per SCIM request, counted outside bi-scim where possible, next to the fewest the BI API allows.
import { metricLines, type DoubleProcess } from './processes.ts';
import { filterPath, oktaActive, oktaGroup, oktaMembers, oktaUser, type ScimClient } from './scim.ts';

export type TargetKind = 'metabase' | 'superset';

export interface StepResult {
  step: string;
  request: string;
  calls: number;
  minimum: number;
  /** `GET /api/user/:id ×2`, in the order first made. */
  breakdown: string[];
  ms: number;
}

export interface CallsResult {
  /** Where the counts come from: the double's own call log, or bi-scim's BI-call metric. */
  countedBy: string;
  bigGroupMembers: number;
  listedGroups: number;
  steps: StepResult[];
}

/** Calls so far, by route (`GET /api/user/:id`). */
export interface CallCounter {
  countedBy: string;
  tally(): Promise<Map<string, number>>;
}

/** What the target holds before the steps run: a big group with its members, and many groups to list. */
export interface Seeded {
  bigGroupId: string;
  bigGroupName: string;
  bigGroupMembers: number;
  /** Four people who exist in the BI tool, for the first members of a pushed group. */
  otherUserIds: string[];
}

interface Scene extends Seeded {
  scim: ScimClient;
  userId: string;
  groupId: string;
}

interface Step {
  step: string;
  minimum: Record<TargetKind, number>;
  expect: number | number[];
  request: (s: Scene) => [method: string, path: string, body?: unknown];
  after?: (s: Scene, body: Record<string, unknown>) => void;
  /** Refill the 10-second group-list cache first: a steady-state change, not the first one after a group create. */
  warm?: boolean;
}

const ALICE = { userName: 'alice.bench@example.com', givenName: 'Alice', familyName: 'Bench', externalId: '00ubench0001' };
const PUSHED = 'Bench Pushed Group';
const PATCHED = [200, 204];

/** The steps, in order; each minimum is argued in BENCHMARKS.md ("Minimum BI calls"). */
const STEPS: Step[] = [
  {
    step: 'Okta import: filter userName eq (no match)',
    minimum: { metabase: 1, superset: 1 },
    expect: 200,
    request: () => ['GET', `/Users${filterPath('userName', ALICE.userName)}`],
  },
  {
    step: 'Okta import: create (POST /Users, locale set)',
    minimum: { metabase: 2, superset: 3 },
    expect: 201,
    request: () => ['POST', '/Users', oktaUser(ALICE)],
    after: (s, b) => void (s.userId = String(b.id)),
  },
  { step: 'read (GET /Users/{id})', minimum: { metabase: 1, superset: 1 }, expect: 200, request: (s) => ['GET', `/Users/${s.userId}`] },
  {
    step: 'profile update (PUT /Users/{id})',
    minimum: { metabase: 1, superset: 2 },
    expect: 200,
    request: (s) => ['PUT', `/Users/${s.userId}`, { ...oktaUser({ ...ALICE, familyName: 'Benchmark' }), id: s.userId }],
  },
  {
    step: 'deactivate (PATCH active:false)',
    // The read, the write, and the removal read back (verified removals, on by default).
    minimum: { metabase: 3, superset: 3 },
    expect: 200,
    request: (s) => ['PATCH', `/Users/${s.userId}`, oktaActive(false)],
  },
  {
    step: 'reactivate (PATCH active:true)',
    minimum: { metabase: 2, superset: 2 },
    expect: 200,
    request: (s) => ['PATCH', `/Users/${s.userId}`, oktaActive(true)],
  },
  {
    step: 'group push: create (POST /Groups)',
    minimum: { metabase: 1, superset: 2 },
    expect: 201,
    request: () => ['POST', '/Groups', oktaGroup(PUSHED)],
    after: (s, b) => void (s.groupId = String(b.id)),
  },
  {
    step: 'group push: first 5 members (PATCH)',
    minimum: { metabase: 10, superset: 2 },
    expect: PATCHED,
    request: (s) => ['PATCH', `/Groups/${s.groupId}`, oktaMembers(s.groupId, PUSHED, [s.userId, ...s.otherUserIds])],
  },
  {
    step: 'add 1 member to the big group (PATCH)',
    minimum: { metabase: 2, superset: 2 },
    expect: PATCHED,
    warm: true,
    request: (s) => ['PATCH', `/Groups/${s.bigGroupId}`, oktaMembers(s.bigGroupId, s.bigGroupName, [s.userId])],
  },
  {
    step: 'read a person in groups (GET /Users/{id})',
    minimum: { metabase: 1, superset: 1 },
    expect: 200,
    warm: true,
    request: (s) => ['GET', `/Users/${s.userId}`],
  },
  {
    step: 'remove 1 member from the big group (PATCH)',
    // The group's members (Metabase: the membership id), the write, and the removal read back.
    minimum: { metabase: 3, superset: 3 },
    expect: PATCHED,
    warm: true,
    request: (s) => ['PATCH', `/Groups/${s.bigGroupId}`, oktaMembers(s.bigGroupId, s.bigGroupName, [], [s.userId])],
  },
  {
    step: 'GET /Groups?excludedAttributes=members',
    minimum: { metabase: 1, superset: 1 },
    expect: 200,
    request: () => ['GET', '/Groups?excludedAttributes=members'],
  },
  {
    step: 'Okta import page (GET /Users?count=100)',
    minimum: { metabase: 1, superset: 1 },
    expect: 200,
    request: () => ['GET', '/Users?startIndex=1&count=100'],
  },
];

/** `/api/user/42` → `/api/user/:id`, and a `query=` search named as such, so the breakdown reads as routes. */
function routeOf(call: { method: string; path: string; query: string }): string {
  const search = /(^|&)query=/.test(call.query) ? '?query=' : '';
  return `${call.method} ${call.path.replace(/\/[0-9]+(?=\/|$)/g, '/:id')}${search}`;
}

/** The double's own log of every request it answered. */
export function doubleCounter(double: DoubleProcess): CallCounter {
  return {
    countedBy: 'the Metabase double (its own request log)',
    tally: async () => {
      const counts = new Map<string, number>();
      for (const call of await double.callsFrom(0)) counts.set(routeOf(call), (counts.get(routeOf(call)) ?? 0) + 1);
      return counts;
    },
  };
}

/** bi-scim's bi_scim_bi_call_duration_seconds_count, which every BI call passes through (targets/http.ts). */
export function metricsCounter(metricsUrl: string): CallCounter {
  return {
    countedBy: "bi-scim's bi_scim_bi_call_duration_seconds metric",
    tally: async () => {
      const counts = new Map<string, number>();
      for (const { labels, value } of await metricLines(metricsUrl, 'bi_scim_bi_call_duration_seconds_count')) {
        const route = `${labels.method} ${labels.endpoint}`;
        counts.set(route, (counts.get(route) ?? 0) + value);
      }
      return counts;
    },
  };
}

function difference(after: Map<string, number>, before: Map<string, number>): { calls: number; breakdown: string[] } {
  const changed = [...after].map(([route, n]) => [route, n - (before.get(route) ?? 0)] as const).filter(([, n]) => n > 0);
  return { calls: changed.reduce((sum, [, n]) => sum + n, 0), breakdown: changed.map(([route, n]) => (n > 1 ? `${route} ×${n}` : route)) };
}

async function measure(scene: Scene, counter: CallCounter, step: Step, target: TargetKind): Promise<StepResult> {
  const [method, path, body] = step.request(scene);
  // Scraping bi-scim's metrics makes its health and guard gauges check the BI tool (cached 5 s), and those calls
  // land in the next reading: the reading before a step comes from a second scrape, so they are not the step's.
  await counter.tally();
  const before = await counter.tally();
  const started = performance.now();
  const answer = await scene.scim.expect(step.expect, method, path, body);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const { calls, breakdown } = difference(await counter.tally(), before);
  step.after?.(scene, answer);
  return { step: step.step, request: `${method} ${path.split('?')[0]}`, calls, minimum: step.minimum[target], breakdown, ms };
}

/** A long-running sidecar has read its service account once (a deactivation does), so the warm-up does too. */
async function warmUp(scim: ScimClient): Promise<void> {
  const warm = await scim.expect(201, 'POST', '/Users', oktaUser({ ...ALICE, userName: 'warm.up@example.com', externalId: '00uwarm' }));
  await scim.expect(200, 'PATCH', `/Users/${String(warm.id)}`, oktaActive(false));
}

export async function countCalls(target: TargetKind, scim: ScimClient, counter: CallCounter, seeded: Seeded): Promise<CallsResult> {
  const scene: Scene = { ...seeded, scim, userId: '', groupId: '' };
  await warmUp(scim);
  const steps: StepResult[] = [];
  for (const step of STEPS) {
    if (step.warm) await scim.expect(200, 'GET', `/Groups/${scene.bigGroupId}?excludedAttributes=members`);
    steps.push(await measure(scene, counter, step, target));
  }
  const listed = await scim.expect(200, 'GET', '/Groups?excludedAttributes=members&count=1');
  return { countedBy: counter.countedBy, bigGroupMembers: seeded.bigGroupMembers, listedGroups: Number(listed.totalResults), steps };
}
