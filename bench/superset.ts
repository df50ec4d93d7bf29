// Figure 5: the same measurements against a real Apache Superset 6.1 (the test harness's), at a smaller scale.
import { guardOffConfig } from '../test/support/sidecar-process.ts';
import { basename } from 'node:path';
import { findSupersetVenv, startSuperset, type RunningSuperset } from '../test/support/superset/harness.ts';
import { countCalls, metricsCounter, type CallsResult } from './calls.ts';
import { makeDirectory, type SyntheticDirectory } from './directory.ts';
import { getter, runPool } from './load.ts';
import { measureOverhead, type OverheadPlan, type OverheadResult } from './overhead.ts';
import { metricTotal, residentBytes } from './processes.ts';
import { startSidecar, type SidecarOptions, type SidecarProcess } from './sidecar.ts';
import { pushDirectory, type PushPlan, type PushTimings } from './provisioning.ts';
import { scimPusher } from './pushers.ts';
import { oktaUser, ScimClient, TOKEN } from './scim.ts';
import { createSupersetGroup, createSupersetUser, groupMemberIds, roleId, supersetApi, supersetMinimalPusher, type SupersetApi } from './superset-api.ts';

export interface SupersetPlan {
  overhead: OverheadPlan;
  bigGroupMembers: number;
  provisioning: PushPlan & { users: number; groups: number };
}

export interface SupersetPush extends PushTimings {
  biCalls: number;
  verified: boolean;
}

export interface SupersetResults {
  version: string;
  overhead: OverheadResult;
  rssAtRestBytes: number;
  calls: CallsResult;
  provisioning: { users: number; groups: number; memberships: number; minimal: SupersetPush; biScim: SupersetPush; rssAfterBytes: number };
}

export type SupersetOutcome = SupersetResults | { skipped: string };

const MINUTE_MS = 60_000;

export const SUPERSET_PLANS: Record<'quick' | 'full', SupersetPlan> = {
  quick: {
    overhead: { rate: 20, seconds: 5, saturationSeconds: 3, saturationLevels: [8] },
    bigGroupMembers: 30,
    provisioning: { users: 40, groups: 4, concurrency: 8, batch: 100, timeoutMs: 10 * MINUTE_MS },
  },
  full: {
    overhead: { rate: 20, seconds: 60, saturationSeconds: 10, saturationLevels: [4, 8, 16] },
    bigGroupMembers: 200,
    provisioning: { users: 300, groups: 12, concurrency: 8, batch: 100, timeoutMs: 30 * MINUTE_MS },
  },
};

async function sidecarFor(superset: RunningSuperset, options: SidecarOptions): Promise<SidecarProcess> {
  return startSidecar(
    {
      BI_SCIM_TARGET: 'superset',
      BI_SCIM_TARGET_URL: superset.url,
      BI_SCIM_TARGET_USERNAME: superset.username,
      BI_SCIM_TARGET_PASSWORD: superset.password,
      BI_SCIM_TOKENS: TOKEN,
      // As in the Metabase stack: the workload's member removals are not an IdP deprovisioning burst.
      BI_SCIM_CONFIG: await guardOffConfig(),
    },
    options,
  );
}

async function withSidecar<T>(superset: RunningSuperset, options: SidecarOptions, fn: (sidecar: SidecarProcess, scim: ScimClient) => Promise<T>): Promise<T> {
  const sidecar = await sidecarFor(superset, options);
  try {
    return await fn(sidecar, new ScimClient(sidecar.url));
  } finally {
    await sidecar.stop();
  }
}

/** A group of `size` people made straight through FAB, and four of them for a pushed group's first members. */
async function seedBigGroup(
  api: SupersetApi,
  size: number,
  gamma: number,
): Promise<{ bigGroupId: string; bigGroupName: string; bigGroupMembers: number; otherUserIds: string[] }> {
  const people = makeDirectory(size, 1, 11).people.map((p) => ({ ...p, userName: `seed.${p.userName}` }));
  const ids: string[] = [];
  await runPool(people, async (person) => void ids.push(await createSupersetUser(api, person, gamma)), { concurrency: 4, timeoutMs: 10 * MINUTE_MS });
  const bigGroupName = 'Bench Big Group';
  return { bigGroupId: await createSupersetGroup(api, bigGroupName, ids), bigGroupName, bigGroupMembers: ids.length, otherUserIds: ids.slice(0, 4) };
}

/** Each group of the directory holds exactly its members (looked up by name among the groups made). */
async function verifyGroups(api: SupersetApi, dir: SyntheticDirectory, prefix: string): Promise<boolean> {
  const listed = (await api.call('GET', `/api/v1/security/groups/?q=${encodeURIComponent('(page_size:100,columns:!(id,name))')}`)).body as {
    result: Array<{ id: number; name: string }>;
  };
  const byName = new Map(listed.result.map((g) => [g.name, String(g.id)]));
  for (const [g, name] of dir.groups.entries()) {
    const id = byName.get(`${prefix}${name}`);
    if (!id || (await groupMemberIds(api, id)).length !== dir.members[g].length) return false;
  }
  return true;
}

function prefixed(dir: SyntheticDirectory, prefix: string): SyntheticDirectory {
  return {
    ...dir,
    people: dir.people.map((p) => ({ ...p, userName: `${prefix.toLowerCase().replace(/\W/g, '')}.${p.userName}` })),
    groups: dir.groups.map((g) => `${prefix}${g}`),
  };
}

async function provisioning(
  superset: RunningSuperset,
  api: SupersetApi,
  gamma: number,
  plan: SupersetPlan,
  options: SidecarOptions,
): Promise<SupersetResults['provisioning']> {
  const p = plan.provisioning;
  const base = makeDirectory(p.users, p.groups, 13);
  const direct = prefixed(base, 'Direct ');
  const callsBefore = api.calls;
  const minimalTimings = await pushDirectory(supersetMinimalPusher(api, gamma), direct, p);
  const minimal = { ...minimalTimings, biCalls: api.calls - callsBefore, verified: await verifyGroups(api, direct, '') };
  return withSidecar(superset, options, async (sidecar, scim) => {
    const through = prefixed(base, 'Scim ');
    const before = await metricTotal(sidecar.metricsUrl, 'bi_scim_bi_call_duration_seconds_count');
    const timings = await pushDirectory(scimPusher(scim), through, p);
    const biCalls = (await metricTotal(sidecar.metricsUrl, 'bi_scim_bi_call_duration_seconds_count')) - before;
    const rssAfterBytes = residentBytes(sidecar.pid);
    return {
      users: p.users,
      groups: p.groups,
      memberships: base.memberships,
      minimal,
      biScim: { ...timings, biCalls, verified: await verifyGroups(api, through, '') },
      rssAfterBytes,
    };
  });
}

export async function benchSuperset(plan: SupersetPlan, options: SidecarOptions, progress: (line: string) => void): Promise<SupersetOutcome> {
  const venv = await findSupersetVenv();
  if (!venv) return { skipped: 'no Superset venv (run bash test/support/superset/install.sh)' };
  progress('superset: starting a real Superset from the harness');
  const superset = await startSuperset();
  try {
    const api = await supersetApi(superset.url, superset.username, superset.password);
    const gamma = await roleId(api, 'Gamma');
    progress(`superset: overhead at ${plan.overhead.rate} req/s`);
    const { overhead, rssAtRestBytes } = await withSidecar(superset, options, async (sidecar, scim) => {
      const id = String(
        (
          await scim.expect(
            201,
            'POST',
            '/Users',
            oktaUser({ userName: 'overhead.reader@example.com', givenName: 'Overhead', familyName: 'Reader', externalId: '00uo' }),
          )
        ).id,
      );
      const rest = residentBytes(sidecar.pid);
      const subject = {
        direct: getter({ url: `${superset.url}/api/v1/security/users/${id}?q=(keys:!(none))`, headers: api.headers() }),
        viaBiScim: getter({ url: `${sidecar.url}/Users/${id}`, headers: scim.headers }),
        sidecarPid: sidecar.pid,
        metricsUrl: sidecar.metricsUrl,
        doublePid: null,
      };
      return { overhead: await measureOverhead(subject, plan.overhead), rssAtRestBytes: rest };
    });
    progress(`superset: BI calls per SCIM request (big group of ${plan.bigGroupMembers})`);
    const seeded = await seedBigGroup(api, plan.bigGroupMembers, gamma);
    const calls = await withSidecar(superset, options, (sidecar, scim) => countCalls('superset', scim, metricsCounter(sidecar.metricsUrl), seeded));
    progress(`superset: provisioning ${plan.provisioning.users} users, ${plan.provisioning.groups} groups (minimal calls, then bi-scim)`);
    // The venv is named after what install.sh pinned, e.g. superset-6.1.0-fab5.0.2-py3.11.
    return { version: basename(venv), overhead, rssAtRestBytes, calls, provisioning: await provisioning(superset, api, gamma, plan, options) };
  } finally {
    await superset.stop();
  }
}
