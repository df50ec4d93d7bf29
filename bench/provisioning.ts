// Figure 3: initial provisioning at scale, pushed with Okta's parallelism, against the time the minimal BI calls take.
import type { SyntheticDirectory } from './directory.ts';
import { runPool } from './load.ts';
import type { DoubleProcess } from './processes.ts';
import { residentBytes } from './processes.ts';
import type { Pusher } from './pushers.ts';

export interface PushPlan {
  /** Requests in flight at once, as the IdP keeps them. */
  concurrency: number;
  /** Members per group PATCH. */
  batch: number;
  timeoutMs: number;
}

export interface PushTimings {
  usersSeconds: number;
  groupsSeconds: number;
  membersSeconds: number;
  totalSeconds: number;
}

export interface MeasuredPush extends PushTimings {
  biCalls: number;
  /** Sidecar RSS: the highest sample during the push and the reading right after it (bytes); null without a sidecar. */
  rssPeakBytes: number | null;
  rssAfterBytes: number | null;
  verified: boolean;
}

interface MemberTask {
  group: number;
  indexes: number[];
}

const RSS_SAMPLE_MS = 1000;
const seconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;

/** Batches of one group never run side by side: Okta pushes a group's batches one after another. */
function memberTasks(dir: SyntheticDirectory, batch: number): MemberTask[] {
  return dir.members.flatMap((indexes, group) => Array.from({ length: Math.ceil(indexes.length / batch) }, (_, i) => ({ group, indexes: indexes.slice(i * batch, (i + 1) * batch) })));
}

export async function pushDirectory(pusher: Pusher, dir: SyntheticDirectory, plan: PushPlan): Promise<PushTimings> {
  const started = performance.now();
  const userIds: string[] = new Array(dir.people.length);
  const pool = { concurrency: plan.concurrency, timeoutMs: plan.timeoutMs };
  await runPool(dir.people.map((_, i) => i), async (i) => void (userIds[i] = await pusher.createUser(dir.people[i])), pool);
  const usersSeconds = seconds(started);
  const groupsStarted = performance.now();
  const groupIds: string[] = new Array(dir.groups.length);
  await runPool(dir.groups.map((_, g) => g), async (g) => void (groupIds[g] = await pusher.createGroup(dir.groups[g])), pool);
  const groupsSeconds = seconds(groupsStarted);
  const membersStarted = performance.now();
  const busy = new Set<number>();
  const firstIdle = (left: MemberTask[]) => {
    const index = left.findIndex((t) => !busy.has(t.group));
    return index === -1 ? null : index;
  };
  await runPool(
    memberTasks(dir, plan.batch),
    async ({ group, indexes }) => {
      busy.add(group);
      try {
        await pusher.addMembers(groupIds[group], dir.groups[group], indexes.map((i) => userIds[i]));
      } finally {
        busy.delete(group);
      }
    },
    { ...pool, pick: firstIdle },
  );
  return { usersSeconds, groupsSeconds, membersSeconds: seconds(membersStarted), totalSeconds: seconds(started) };
}

/** The fewest BI calls an initial provisioning needs against Metabase (BENCHMARKS.md, "Minimum BI calls"). */
export function minimalMetabaseCalls(dir: SyntheticDirectory): number {
  return dir.people.length * 3 + dir.groups.length + dir.memberships * 2;
}

/** Pushes `dir` and checks that Metabase ends up holding exactly it: every person active, every membership made. */
export async function measurePush(pusher: Pusher, dir: SyntheticDirectory, plan: PushPlan, double: DoubleProcess, sidecarPid: number | null): Promise<MeasuredPush> {
  const before = await double.summary();
  const callsBefore = await double.count();
  let rssPeakBytes = 0;
  const sampler = sidecarPid === null ? null : setInterval(() => (rssPeakBytes = Math.max(rssPeakBytes, residentBytes(sidecarPid))), RSS_SAMPLE_MS);
  let timings: PushTimings;
  try {
    timings = await pushDirectory(pusher, dir, plan);
  } finally {
    if (sampler) clearInterval(sampler);
  }
  const biCalls = (await double.count()) - callsBefore;
  const after = await double.summary();
  const rssAfterBytes = sidecarPid === null ? null : residentBytes(sidecarPid);
  // Every new person is also in All Users, which Metabase adds by itself.
  const verified =
    after.activeUsers - before.activeUsers === dir.people.length &&
    after.groups - before.groups === dir.groups.length &&
    after.memberships - before.memberships === dir.people.length + dir.memberships;
  return { ...timings, biCalls, rssPeakBytes: rssAfterBytes === null ? null : Math.max(rssPeakBytes, rssAfterBytes), rssAfterBytes, verified };
}
