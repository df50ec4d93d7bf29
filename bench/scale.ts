// Figure 6 (full mode): 100,000 people and 1,000 groups through bi-scim with Redis — the push, Redis per person, bounded reads.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { makeDirectory, type SyntheticDirectory } from './directory.ts';
import { peakResidentBytes, residentBytes } from './processes.ts';
import { measurePush, type MeasuredPush, type PushedIds, type PushPlan } from './provisioning.ts';
import { scimPusher } from './pushers.ts';
import { filterPath, oktaGroup, oktaMembers, TOKEN } from './scim.ts';
import type { SidecarOptions } from './sidecar.ts';
import { withStack, type Running } from './stack.ts';

export interface ScalePlan extends PushPlan {
  users: number;
  /** Groups of ~100 people each; with Everyone they make the directory's groups. */
  departments: number;
  delayMs: number;
  /** Sizes of the Everyone group at which adding `probeMembers` people through bi-scim is timed. */
  everyoneSizes: number[];
  probeMembers: number;
}

export interface EveryoneProbe {
  size: number;
  secondsPerAdd: number;
}

export interface ScaleRead {
  request: string;
  status: number | 'died';
  ms: number;
  biCalls: number;
  /** VmHWM reset before the request (clear_refs), read after it: the request's own peak. */
  rssPeakBytes: number | null;
  rssAfterBytes: number | null;
}

export interface ScaleResult {
  users: number;
  groups: number;
  memberships: number;
  push: MeasuredPush;
  minimalCalls: number;
  minimalSeconds: number;
  redisBytesPerPerson: number;
  redisKeys: number;
  everyone: EveryoneProbe[];
  /** Everyone's whole push at Okta's one batch at a time, from the probes (linear between them). */
  everyoneEstimatedSeconds: number;
  reads: ScaleRead[];
  drift: DriftScan;
}

/** `bi-scim drift` run once over the whole directory, as an operator runs it. */
export interface DriftScan {
  seconds: number;
  biCalls: number;
  findings: number;
  /** Findings by kind, e.g. `unmanaged: 1`. */
  byKind: Record<string, number>;
}

const EVERYONE = 'Everyone';

/** Everyone in one department of ~100 (person i in department i mod departments); Everyone is pushed apart. */
function directory(plan: ScalePlan): SyntheticDirectory {
  const people = makeDirectory(plan.users, 1).people;
  const members: number[][] = Array.from({ length: plan.departments }, () => []);
  people.forEach((_, i) => members[i % plan.departments].push(i));
  return { people, groups: members.map((_, d) => `Department ${d + 1}`), members, memberships: plan.users };
}

async function redisMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/** Seeds Everyone up to each size and times one PATCH of `probeMembers` more; the probes stay members. */
async function probeEveryone(stack: Running, plan: ScalePlan, groupId: string, users: string[]): Promise<EveryoneProbe[]> {
  const probes: EveryoneProbe[] = [];
  let members = 0;
  for (const size of plan.everyoneSizes) {
    if (size > members) await stack.double.seed({ members: { groupId: Number(groupId), userIds: users.slice(members, size).map(Number) } });
    members = Math.max(members, size);
    const adding = users.slice(members, members + plan.probeMembers);
    const started = performance.now();
    await stack.scim.expect([200, 204], 'PATCH', `/Groups/${groupId}`, oktaMembers(groupId, EVERYONE, adding));
    probes.push({ size: members, secondsPerAdd: (performance.now() - started) / 1000 / adding.length });
    members += adding.length;
  }
  return probes;
}

/** Σ over every add of the per-add time at that group size, linear between the probes (one batch at a time). */
function integrate(probes: EveryoneProbe[], total: number): number {
  let seconds = 0;
  for (let i = 0; i + 1 < probes.length; i++) {
    const [a, b] = [probes[i], probes[i + 1]];
    seconds += ((a.secondsPerAdd + b.secondsPerAdd) / 2) * (b.size - a.size);
  }
  const last = probes[probes.length - 1];
  return seconds + last.secondsPerAdd * Math.max(0, total - last.size) + probes[0].secondsPerAdd * probes[0].size;
}

type ReadStep = [label: string, method: string, path: string, body?: unknown];

function readSteps(plan: ScalePlan, everyone: string, users: string[], known: string): ReadStep[] {
  const outsider = users[users.length - 1];
  return [
    [`import page at the end: GET /Users?startIndex=${plan.users - 99}&count=100`, 'GET', `/Users?startIndex=${plan.users - 99}&count=100`],
    ['filter userName eq, a known person', 'GET', `/Users${filterPath('userName', known)}`],
    ['filter userName eq, no match (Metabase scans every user)', 'GET', `/Users${filterPath('userName', 'nobody.at.all@bench.example.com')}`],
    ['GET /Groups?excludedAttributes=members', 'GET', '/Groups?excludedAttributes=members'],
    ['GET /Groups/{Everyone}?excludedAttributes=members', 'GET', `/Groups/${everyone}?excludedAttributes=members`],
    ['add 1 member to Everyone (PATCH)', 'PATCH', `/Groups/${everyone}`, oktaMembers(everyone, EVERYONE, [outsider])],
    ['remove 1 member from Everyone (PATCH)', 'PATCH', `/Groups/${everyone}`, oktaMembers(everyone, EVERYONE, [], [outsider])],
    // Last: the whole member list is the one read whose size is the group's, and it may not fit the memory limit.
    ['GET /Groups/{Everyone} with its members', 'GET', `/Groups/${everyone}`],
  ];
}

/** A reading of a sidecar that may have just been killed: its /proc entry goes before Node reports the exit. */
function whileAlive(sidecar: Running['sidecar'], read: (pid: number) => number): number | null {
  if (sidecar.exited()) return null;
  try {
    return read(sidecar.pid);
  } catch {
    return null;
  }
}

async function measureReads(stack: Running, steps: ReadStep[]): Promise<ScaleRead[]> {
  const reads: ScaleRead[] = [];
  const { sidecar, double, scim } = stack;
  for (const [request, method, path, body] of steps) {
    if (sidecar.exited()) {
      reads.push({ request, status: 'died', ms: 0, biCalls: 0, rssPeakBytes: null, rssAfterBytes: null });
      continue;
    }
    // Writing 5 to clear_refs resets VmHWM, so the reading after the request is that request's own peak.
    await writeFile(`/proc/${sidecar.pid}/clear_refs`, '5').catch(() => undefined);
    const calls = await double.count();
    const started = performance.now();
    const status = await scim.send(method, path, body).then(
      (a) => a.status,
      () => 'died' as const,
    );
    const ms = Math.round(performance.now() - started);
    reads.push({
      request,
      status,
      ms,
      biCalls: (await double.count()) - calls,
      rssPeakBytes: whileAlive(sidecar, peakResidentBytes),
      rssAfterBytes: whileAlive(sidecar, residentBytes),
    });
  }
  return reads;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function measureDrift(stack: Running, entry: string): Promise<DriftScan> {
  const env = {
    PATH: process.env.PATH,
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: stack.double.url,
    BI_SCIM_TARGET_API_KEY: stack.double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_REDIS_URL: stack.redisUrl!,
  };
  const calls = await stack.double.count();
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [entry, 'drift', '--format', 'json'], {
    cwd: ROOT,
    env,
    maxBuffer: 256 * 1024 ** 2,
    timeout: 600_000,
  });
  const findings = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { kind: string });
  const byKind: Record<string, number> = {};
  for (const { kind } of findings) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return { seconds: (performance.now() - started) / 1000, biCalls: (await stack.double.count()) - calls, findings: findings.length, byKind };
}

export async function benchScale(plan: ScalePlan, sidecar: SidecarOptions, progress: (line: string) => void): Promise<ScaleResult> {
  const dir = directory(plan);
  return withStack('redis', plan.delayMs, sidecar, async (stack) => {
    const redis = new Redis(stack.redisUrl!);
    try {
      const before = await redisMemory(redis);
      const ids: PushedIds = { users: [], groups: [] };
      progress(`scale: pushing ${plan.users} people (POST only), ${plan.departments} departments and their members`);
      const push = await measurePush(scimPusher(stack.scim, { filterFirst: false }), dir, plan, stack.double, stack.sidecar, ids);
      const redisBytesPerPerson = ((await redisMemory(redis)) - before) / plan.users;
      const redisKeys = await redis.dbsize();
      progress(`scale: the Everyone group, one PATCH of ${plan.probeMembers} at sizes ${plan.everyoneSizes.join(', ')}`);
      const everyone = String((await stack.scim.expect(201, 'POST', '/Groups', oktaGroup(EVERYONE))).id);
      const probes = await probeEveryone(stack, plan, everyone, ids.users);
      progress('scale: reads against the full directory');
      const reads = await measureReads(stack, readSteps(plan, everyone, ids.users, dir.people[0].userName));
      progress(`scale: bi-scim drift over ${plan.users} people`);
      const drift = await measureDrift(stack, sidecar.entry);
      const minimalCalls = plan.users * 2 + plan.departments + dir.memberships * 2;
      return {
        users: plan.users,
        groups: plan.departments + 1,
        memberships: dir.memberships,
        push,
        minimalCalls,
        minimalSeconds: (minimalCalls * plan.delayMs) / 1000 / plan.concurrency,
        redisBytesPerPerson: Math.round(redisBytesPerPerson),
        redisKeys,
        everyone: probes,
        everyoneEstimatedSeconds: Math.round(integrate(probes, plan.users)),
        reads,
        drift,
      };
    } finally {
      redis.disconnect();
    }
  });
}
