// Figures 1–4 against the Metabase double: each scenario gets fresh processes, so no figure inherits another's state.
import { countCalls, doubleCounter, type CallsResult } from './calls.ts';
import { measureCpu, type CpuKind, type CpuPlan } from './cpu.ts';
import { makeDirectory } from './directory.ts';
import { getter } from './load.ts';
import { soak, type SoakResult } from './memory.ts';
import { measureOverhead, type OverheadPlan, type OverheadResult } from './overhead.ts';
import { residentBytes, startBareProxy, startDouble, type DoubleProcess } from './processes.ts';
import { withStack, type Running, type StoreKind } from './stack.ts';
import { SOURCE_ENTRY, type SidecarOptions, type SidecarProcess } from './sidecar.ts';
import { measurePush, minimalMetabaseCalls, type MeasuredPush, type PushPlan } from './provisioning.ts';
import { metabaseMinimalPusher, scimPusher } from './pushers.ts';
import { oktaUser, type ScimClient } from './scim.ts';

export type { StoreKind } from './stack.ts';

export interface MetabasePlan {
  sidecar: SidecarOptions;
  stores: StoreKind[];
  overhead: OverheadPlan & { delayMs: number };
  cpu: CpuPlan;
  calls: { bigGroupMembers: number; groups: number };
  provisioning: PushPlan & { users: number; groups: number; delayMs: number; measureMinimal: boolean; stores: StoreKind[] };
  soak: { rate: number; seconds: number; sampleEveryMs: number };
}

export interface ProvisioningResult {
  store: StoreKind;
  users: number;
  groups: number;
  memberships: number;
  minimalCalls: number;
  /** (minimal calls × delay) / concurrency, in seconds. */
  minimalSeconds: number;
  rssAtRestBytes: number;
  push: MeasuredPush;
}

export type OverheadFigures = OverheadResult & { store: StoreKind; rssAtRestBytes: number; cpu: CpuKind[] };

export interface MetabaseResults {
  overhead: OverheadFigures[];
  /** The same at-rest reading for `node src/main.ts`, which pays for type stripping (`npm start`, not the image). */
  sourceEntryRssAtRestBytes: number;
  calls: CallsResult;
  provisioning: ProvisioningResult[];
  /** The minimal Metabase calls replayed straight against the double at the same concurrency. */
  minimalReplay: MeasuredPush | null;
  soak: SoakResult;
}

const READER = { userName: 'overhead.reader@example.com', givenName: 'Overhead', familyName: 'Reader', externalId: '00uoverhead' };

/** Resident memory once started and one person created: every module loaded, nothing else held. */
async function atRest(scim: ScimClient, sidecar: SidecarProcess): Promise<{ id: string; rssAtRestBytes: number }> {
  const id = String((await scim.expect(201, 'POST', '/Users', oktaUser(READER))).id);
  return { id, rssAtRestBytes: residentBytes(sidecar.pid) };
}

/** People and groups straight in the double's tables, for the membership adds of the CPU figure. */
async function seedForCpu(
  double: DoubleProcess,
  plan: CpuPlan,
): Promise<{ members: { biScim: string[]; bare: string[] }; groups: Array<{ id: string; name: string }> }> {
  // Enough people that no add repeats: a closed loop of 8 callers makes at most ~1,000 adds a second on this double.
  const perSide = 1000 * (plan.seconds + 1);
  const seeded = await double.seed({ users: 2 * perSide, groups: 50, prefix: 'cpu' });
  const ids = seeded.userIds.map(String);
  return {
    members: { biScim: ids.slice(0, perSide), bare: ids.slice(perSide) },
    groups: seeded.groupIds.map((id, i) => ({ id: String(id), name: `cpu-group-${i}` })),
  };
}

async function overheadFor(store: StoreKind, plan: MetabasePlan): Promise<OverheadFigures> {
  return withStack(store, plan.overhead.delayMs, plan.sidecar, async ({ double, sidecar, scim }) => {
    const { id, rssAtRestBytes } = await atRest(scim, sidecar);
    const subject = {
      direct: getter({ url: `${double.url}/api/user/${id}`, headers: { 'x-api-key': double.apiKey } }),
      viaBiScim: getter({ url: `${sidecar.url}/Users/${id}`, headers: scim.headers }),
      sidecarPid: sidecar.pid,
      metricsUrl: sidecar.metricsUrl,
      doublePid: double.pid,
    };
    const overhead = await measureOverhead(subject, plan.overhead);
    const bare = await startBareProxy(double.url);
    try {
      const scene = { scim, double, bareUrl: bare.url, sidecarPid: sidecar.pid, barePid: bare.pid, readerId: id, ...(await seedForCpu(double, plan.cpu)) };
      return { store, rssAtRestBytes, ...overhead, cpu: await measureCpu(scene, plan.cpu) };
    } finally {
      await bare.stop();
    }
  });
}

async function provisionFor(store: StoreKind, plan: MetabasePlan, afterPush?: (stack: Running) => Promise<void>): Promise<ProvisioningResult> {
  const p = plan.provisioning;
  const dir = makeDirectory(p.users, p.groups);
  return withStack(store, p.delayMs, plan.sidecar, async (stack) => {
    const rssAtRestBytes = residentBytes(stack.sidecar.pid);
    const push = await measurePush(scimPusher(stack.scim), dir, p, stack.double, stack.sidecar);
    const minimalCalls = minimalMetabaseCalls(dir);
    await afterPush?.(stack);
    return {
      store,
      users: p.users,
      groups: p.groups,
      memberships: dir.memberships,
      minimalCalls,
      minimalSeconds: (minimalCalls * p.delayMs) / 1000 / p.concurrency,
      rssAtRestBytes,
      push,
    };
  });
}

async function replayMinimal(plan: MetabasePlan): Promise<MeasuredPush> {
  const p = plan.provisioning;
  const double = await startDouble(p.delayMs);
  try {
    return await measurePush(metabaseMinimalPusher(double.url, double.apiKey), makeDirectory(p.users, p.groups), p, double, null);
  } finally {
    await double.stop();
  }
}

/** The double seeded with a big group and many groups, then every step of figure 2 through bi-scim. */
function callsFigure(plan: MetabasePlan): Promise<CallsResult> {
  return withStack('memory', 0, plan.sidecar, async ({ double, scim }) => {
    const big = await double.seed({ users: plan.calls.bigGroupMembers, prefix: 'big', groupName: 'Bench Big Group' });
    await double.seed({ groups: plan.calls.groups, prefix: 'listed' });
    const seeded = {
      bigGroupId: String(big.groupId),
      bigGroupName: 'Bench Big Group',
      bigGroupMembers: big.userIds.length,
      otherUserIds: big.userIds.slice(0, 4).map(String),
    };
    return countCalls('metabase', scim, doubleCounter(double), seeded);
  });
}

/** One push per store; the memory-store sidecar then soaks, holding the whole directory (figure 4). */
async function provisioningFigures(plan: MetabasePlan, progress: (line: string) => void): Promise<{ provisioning: ProvisioningResult[]; soak: SoakResult }> {
  const provisioning: ProvisioningResult[] = [];
  let soakResult: SoakResult | null = null;
  const soakAfterPush = async ({ scim, sidecar }: Running) => {
    progress(`memory: ${plan.soak.seconds} s soak at ${plan.soak.rate} req/s`);
    soakResult = await soak(scim, sidecar, plan.soak.rate, plan.soak.seconds, plan.soak.sampleEveryMs);
  };
  for (const store of plan.provisioning.stores) {
    progress(`provisioning: ${plan.provisioning.users} users, ${plan.provisioning.groups} groups through bi-scim, ${store} store`);
    provisioning.push(await provisionFor(store, plan, store === 'memory' ? soakAfterPush : undefined));
  }
  if (!soakResult) throw new Error('the soak runs on the memory-store provisioning, which the plan must include');
  return { provisioning, soak: soakResult };
}

export async function benchMetabase(plan: MetabasePlan, progress: (line: string) => void): Promise<MetabaseResults> {
  const overhead = [];
  for (const store of plan.stores) {
    progress(`overhead: GET /Users/{id} at ${plan.overhead.rate} req/s, ${store} store`);
    overhead.push(await overheadFor(store, plan));
  }
  const source = { ...plan.sidecar, entry: SOURCE_ENTRY };
  const sourceEntryRssAtRestBytes = await withStack('memory', 0, source, async ({ scim, sidecar }) => (await atRest(scim, sidecar)).rssAtRestBytes);
  progress('BI calls per SCIM request');
  const calls = await callsFigure(plan);
  let minimalReplay: MeasuredPush | null = null;
  if (plan.provisioning.measureMinimal) {
    progress(`provisioning: minimal Metabase calls alone, ${plan.provisioning.users} users`);
    minimalReplay = await replayMinimal(plan);
  }
  return { overhead, sourceEntryRssAtRestBytes, calls, minimalReplay, ...(await provisioningFigures(plan, progress)) };
}
