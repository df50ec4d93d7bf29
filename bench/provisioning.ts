// Figure 3: initial provisioning at scale, pushed with Okta's parallelism, against the time the minimal BI calls take.
import type { SyntheticDirectory } from './directory.ts';
import { runPool } from './load.ts';
import type { DoubleProcess } from './processes.ts';
import { watchMemory, type PushMemory } from './push-memory.ts';
import type { Pusher } from './pushers.ts';
import type { SidecarProcess } from './sidecar.ts';

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
  /** The sidecar's memory over the push; null when the push went straight to the BI tool. */
  memory: PushMemory | null;
  verified: boolean;
  /** Why the push stopped short (the sidecar killed for memory, say); null when it ran through. */
  failure: string | null;
}

interface MemberTask {
  group: number;
  indexes: number[];
}

const seconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;

/** Batches of one group never run side by side: Okta pushes a group's batches one after another. */
function memberTasks(dir: SyntheticDirectory, batch: number): MemberTask[] {
  return dir.members.flatMap((indexes, group) =>
    Array.from({ length: Math.ceil(indexes.length / batch) }, (_, i) => ({ group, indexes: indexes.slice(i * batch, (i + 1) * batch) })),
  );
}

/** The BI ids the push got back, in the directory's order. */
export interface PushedIds {
  users: string[];
  groups: string[];
}

export async function pushDirectory(pusher: Pusher, dir: SyntheticDirectory, plan: PushPlan, ids?: PushedIds): Promise<PushTimings> {
  const started = performance.now();
  const userIds: string[] = ids?.users ?? [];
  const pool = { concurrency: plan.concurrency, timeoutMs: plan.timeoutMs };
  await runPool(
    dir.people.map((_, i) => i),
    async (i) => void (userIds[i] = await pusher.createUser(dir.people[i])),
    pool,
  );
  const usersSeconds = seconds(started);
  const groupsStarted = performance.now();
  const groupIds: string[] = ids?.groups ?? [];
  await runPool(
    dir.groups.map((_, g) => g),
    async (g) => void (groupIds[g] = await pusher.createGroup(dir.groups[g])),
    pool,
  );
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
        await pusher.addMembers(
          groupIds[group],
          dir.groups[group],
          indexes.map((i) => userIds[i]),
        );
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
export async function measurePush(
  pusher: Pusher,
  dir: SyntheticDirectory,
  plan: PushPlan,
  double: DoubleProcess,
  sidecar: SidecarProcess | null,
  ids?: PushedIds,
): Promise<MeasuredPush> {
  const before = await double.summary();
  const callsBefore = await double.count();
  const watch = sidecar && watchMemory(sidecar);
  const started = performance.now();
  let timings: PushTimings;
  let failure: string | null = null;
  try {
    timings = await pushDirectory(pusher, dir, plan, ids);
  } catch (err) {
    // A sidecar killed mid-push is a result to print (with its cgroup's OOM count), not a crash of the bench.
    if (!sidecar?.exited()) throw err;
    failure = `the sidecar died during the push: ${(err as Error).message}`;
    timings = { usersSeconds: Number.NaN, groupsSeconds: Number.NaN, membersSeconds: Number.NaN, totalSeconds: seconds(started) };
  }
  const memory = watch ? await watch.finish() : null;
  const biCalls = (await double.count()) - callsBefore;
  const after = await double.summary();
  // Every new person is also in All Users, which Metabase adds by itself.
  const verified =
    failure === null &&
    after.activeUsers - before.activeUsers === dir.people.length &&
    after.groups - before.groups === dir.groups.length &&
    after.memberships - before.memberships === dir.people.length + dir.memberships;
  return { ...timings, biCalls, memory, verified, failure };
}
