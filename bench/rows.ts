// The goals of the benchmark issue, as table rows: each figure next to its goal, with the ratio and pass/miss.
import type { CallsResult } from './calls.ts';
import type { CpuKind } from './cpu.ts';
import type { MetabasePlan, MetabaseResults } from './metabase.ts';
import type { OverheadResult } from './overhead.ts';
import { memoryRows } from './memory-rows.ts';
import { GOALS } from './goals.ts';
import { info, judged, ms, ratio, type Row } from './report.ts';

const count = (n: number) => String(n);
export const perSecond = (n: number) => `${Math.round(n)}/s`;
export const secs = (n: number) => `${n.toFixed(1)} s`;

export function overheadRows(section: string, o: OverheadResult): Row[] {
  return [
    info(section, 'direct p50 / p99', `${ms(o.direct.p50Ms)} / ${ms(o.direct.p99Ms)}`),
    info(section, 'through bi-scim p50 / p99', `${ms(o.viaBiScim.p50Ms)} / ${ms(o.viaBiScim.p99Ms)}`),
    judged(section, 'added latency p50', o.addedP50Ms, GOALS.addedP50Ms, ms),
    judged(section, 'added latency p99', o.addedP99Ms, GOALS.addedP99Ms, ms),
    info(
      section,
      'inside bi-scim: request / its BI calls (mean)',
      `${ms(o.insideBiScim.requestMs)} / ${ms(o.insideBiScim.biCallsMs)} (${o.insideBiScim.biCallsPerRequest} calls)`,
    ),
    ...o.saturation.map((l) =>
      info(
        section,
        `${l.concurrency} callers: direct / bi-scim`,
        `${perSecond(l.directPerSecond)} / ${perSecond(l.viaBiScimPerSecond)} (${l.ratio.toFixed(2)}; bi-scim ${l.coresUsed.biScim} core, ${l.cpuMicrosPerRequest.biScim} µs/request)`,
      ),
    ),
  ];
}

/** CPU per request against the bare proxy: judged where the issue sets a goal, shown for the rest. */
export function cpuRows(section: string, kinds: CpuKind[]): Row[] {
  return kinds.map((k) => {
    const figure = `CPU/request, ${k.kind}: bi-scim / bare proxy (${k.bareCalls})`;
    const value = `${k.biScimMicros} / ${k.bareMicros} µs${k.errors > 0 ? `, ${k.errors} errors` : ''}`;
    if (k.goalRatio === null) return info(section, figure, `${value} (${ratio(k.ratio)})`);
    return { ...judged(section, figure, k.ratio, k.goalRatio, ratio), value: `${value} = ${ratio(k.ratio)}` };
  });
}

export function callRows(section: string, calls: CallsResult): Row[] {
  return calls.steps.map((s) => ({
    section,
    figure: s.step,
    value: count(s.calls),
    goal: `= ${s.minimum}`,
    ratio: ratio(s.calls / s.minimum),
    verdict: s.calls <= s.minimum ? 'pass' : 'miss',
  }));
}

function provisioningRows(results: MetabaseResults, plan: MetabasePlan): Row[] {
  const p = plan.provisioning;
  return results.provisioning.flatMap((r) => {
    const section = `3. Initial provisioning: ${r.users} users, ${r.groups} groups, ${r.memberships} memberships; ${p.concurrency} concurrent, ${p.delayMs} ms per BI call, ${r.store} store`;
    const rows: Row[] = [
      info(
        section,
        'total (users / groups / members)',
        `${secs(r.push.totalSeconds)} (${secs(r.push.usersSeconds)} / ${secs(r.push.groupsSeconds)} / ${secs(r.push.membersSeconds)})`,
      ),
      info(section, 'minimal BI calls × delay / concurrency', `${secs(r.minimalSeconds)} (${r.minimalCalls} calls)`),
      judged(section, 'total / minimal', r.push.totalSeconds / r.minimalSeconds, GOALS.provisioningRatio, (n) => n.toFixed(2)),
      info(section, 'BI calls made / minimal', `${r.push.biCalls} / ${r.minimalCalls} (${ratio(r.push.biCalls / r.minimalCalls)})`),
      {
        section,
        figure: 'Metabase holds the pushed directory',
        value: r.push.verified ? 'yes' : `no${r.push.failure ? `: ${r.push.failure}` : ''}`,
        goal: 'yes',
        ratio: '',
        verdict: r.push.verified ? 'pass' : 'miss',
      },
    ];
    if (results.minimalReplay) {
      const m = results.minimalReplay;
      rows.splice(
        2,
        0,
        info(
          section,
          'minimal calls replayed on the double',
          `${secs(m.totalSeconds)} (${m.biCalls} calls; bi-scim takes ${ratio(r.push.totalSeconds / m.totalSeconds)})`,
        ),
      );
    }
    return rows;
  });
}

export function metabaseRows(results: MetabaseResults, plan: MetabasePlan): Row[] {
  const calls = `2. BI calls per SCIM request (Metabase double; big group of ${results.calls.bigGroupMembers}, ${results.calls.listedGroups} groups listed)`;
  const overhead = results.overhead.flatMap((o) => [
    ...overheadRows(`1. Overhead: GET /Users/{id}, double answering after ${plan.overhead.delayMs} ms, ${o.rate} req/s, ${o.store} store`, o),
    ...cpuRows(
      `1b. CPU per request, ${plan.cpu.callers} callers on each side at once: bi-scim and a bare Node proxy (node:http + undici) on the same double, ${o.store} store`,
      o.cpu,
    ),
  ]);
  return [...overhead, ...callRows(calls, results.calls), ...provisioningRows(results, plan), ...memoryRows(results, plan)];
}
