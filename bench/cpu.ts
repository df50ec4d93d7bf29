// Figure 1b: bi-scim's CPU per SCIM request next to a bare pass-through proxy making the same request's minimal BI calls.
import { closedLoop, type Send } from './load.ts';
import { cpuSeconds, type DoubleProcess } from './processes.ts';
import { callJson } from './pushers.ts';
import { filterPath, oktaMembers, oktaUser, type ScimClient } from './scim.ts';

export interface CpuPlan {
  /** Callers on each side, both sides at once, each sending its next request when the last one is answered. */
  callers: number;
  seconds: number;
}

export interface CpuKind {
  kind: string;
  /** The bare proxy's calls for one SCIM request: the fewest BI calls that answer it (figure 2). */
  bareCalls: string;
  biScimMicros: number;
  bareMicros: number;
  ratio: number;
  /** The goal on the ratio, where the issue sets one. */
  goalRatio: number | null;
  requests: number;
  errors: number;
}

/** What the four requests need: a person to read, people and groups for membership adds (seeded, no API calls). */
export interface CpuScene {
  scim: ScimClient;
  double: DoubleProcess;
  bareUrl: string;
  sidecarPid: number;
  barePid: number;
  readerId: string;
  /** Two disjoint sets of seeded people, one per side, and groups both sides add them to. */
  members: { biScim: string[]; bare: string[] };
  groups: Array<{ id: string; name: string }>;
}

interface Pair {
  kind: string;
  bareCalls: string;
  goalRatio: number | null;
  biScim: Send;
  bare: Send;
}

const WARM_UP_SECONDS = 1;
/** Read and filter: the issue's goal, at most 1.5 times the bare proxy's CPU. */
const READ_GOAL = 1.5;

function pairs(s: CpuScene): Pair[] {
  const bare = (method: string, path: string, json?: unknown) => callJson(s.bareUrl, { 'x-api-key': s.double.apiKey }, method, path, json);
  const scim = async (method: string, path: string, body?: unknown) => (await s.scim.send(method, path, body)).status;
  const counter = { biScim: 0, bare: 0 };
  const next = (side: 'biScim' | 'bare') => counter[side]++;
  const person = (side: string, i: number) => ({
    userName: `cpu.${side}.${i}@bench.example.com`,
    givenName: 'Cpu',
    familyName: `${side} ${i}`,
    externalId: `00ucpu${side}${i}`,
  });
  /** Request i adds person i to group i mod groups, so groups stay small and every add is new. */
  const add = (side: 'biScim' | 'bare') => {
    const i = next(side);
    const member = s.members[side][i % s.members[side].length];
    return { member, group: s.groups[i % s.groups.length] };
  };
  return [
    {
      kind: 'read GET /Users/{id}',
      bareCalls: 'GET /api/user/:id',
      goalRatio: READ_GOAL,
      biScim: () => scim('GET', `/Users/${s.readerId}`),
      bare: async () => (await bare('GET', `/api/user/${s.readerId}`)).status,
    },
    {
      kind: 'filter userName eq (no match)',
      bareCalls: 'GET /api/user?query=',
      goalRatio: READ_GOAL,
      biScim: () => scim('GET', `/Users${filterPath('userName', `nobody.${next('biScim')}@bench.example.com`)}`),
      bare: async () => (await bare('GET', `/api/user?status=all&query=${encodeURIComponent(`nobody.${next('bare')}@bench.example.com`)}`)).status,
    },
    {
      kind: 'create POST /Users (locale set)',
      bareCalls: 'POST /api/user, PUT /api/user/:id',
      goalRatio: null,
      biScim: () => scim('POST', '/Users', oktaUser(person('scim', next('biScim')))),
      bare: async () => {
        const p = person('bare', next('bare'));
        const created = (await bare('POST', '/api/user', { email: p.userName, first_name: p.givenName, last_name: p.familyName })).body as { id: number };
        return (await bare('PUT', `/api/user/${created.id}`, { locale: 'en_US' })).status;
      },
    },
    {
      kind: 'add 1 member (PATCH /Groups/{id})',
      bareCalls: 'GET /api/user/:id, POST /api/permissions/membership',
      goalRatio: null,
      biScim: () => {
        const { member, group } = add('biScim');
        return scim('PATCH', `/Groups/${group.id}`, oktaMembers(group.id, group.name, [member]));
      },
      bare: async () => {
        const { member, group } = add('bare');
        await bare('GET', `/api/user/${member}`);
        return (await bare('POST', '/api/permissions/membership', { group_id: Number(group.id), user_id: Number(member) })).status;
      },
    },
  ];
}

const micros = (cpu: number, requests: number) => Math.round((cpu / Math.max(1, requests)) * 1e6);

/**
 * Both sides run at once, so they meet the same stretches of a shared machine. A closed loop keeps each proxy busy:
 * at a low open-loop rate every request also pays for waking an idle process, which on a virtual machine can cost
 * more than the request itself and says nothing about the proxy.
 */
async function measurePair(pair: Pair, s: CpuScene, plan: CpuPlan): Promise<CpuKind> {
  const both = (seconds: number) => Promise.all([closedLoop(pair.biScim, plan.callers, seconds), closedLoop(pair.bare, plan.callers, seconds)]);
  await both(WARM_UP_SECONDS);
  const before = [cpuSeconds(s.sidecarPid), cpuSeconds(s.barePid)];
  const [viaBiScim, viaBare] = await both(plan.seconds);
  const [biScimCpu, bareCpu] = [cpuSeconds(s.sidecarPid) - before[0], cpuSeconds(s.barePid) - before[1]];
  const biScimMicros = micros(biScimCpu, viaBiScim.requests);
  const bareMicros = micros(bareCpu, viaBare.requests);
  return {
    kind: pair.kind,
    bareCalls: pair.bareCalls,
    biScimMicros,
    bareMicros,
    ratio: Math.round((biScimMicros / bareMicros) * 100) / 100,
    goalRatio: pair.goalRatio,
    requests: viaBiScim.requests,
    errors: viaBiScim.errors + viaBare.errors,
  };
}

export async function measureCpu(scene: CpuScene, plan: CpuPlan): Promise<CpuKind[]> {
  const results: CpuKind[] = [];
  for (const pair of pairs(scene)) results.push(await measurePair(pair, scene, plan));
  return results;
}
