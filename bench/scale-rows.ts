// Figure 6 as table rows: the 100,000-person push against its minimal BI calls, memory, Redis per person, the reads.
import { breakdown } from './memory-rows.ts';
import { info, judged, mb, ratio, type Row } from './report.ts';
import { GOALS } from './goals.ts';
import { secs } from './rows.ts';
import type { ScalePlan, ScaleResult } from './scale.ts';

const hours = (seconds: number) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : secs(seconds));

export function scaleRows(r: ScaleResult, plan: ScalePlan): Row[] {
  const section = `6. Scale: ${r.users} people, ${r.groups} groups (${plan.departments} departments of ~${Math.round(r.users / plan.departments)} + Everyone), Redis store; ${plan.concurrency} concurrent, ${plan.delayMs} ms per BI call`;
  const p = r.push;
  const m = p.memory;
  const rows: Row[] = [
    info(
      section,
      'push: people (POST only) / departments / their members',
      `${secs(p.totalSeconds)} (${secs(p.usersSeconds)} / ${secs(p.groupsSeconds)} / ${secs(p.membersSeconds)})`,
    ),
    info(section, 'minimal BI calls × delay / concurrency', `${secs(r.minimalSeconds)} (${r.minimalCalls} calls: 2 per person, 1 per group, 2 per membership)`),
    judged(section, 'push / minimal', p.totalSeconds / r.minimalSeconds, GOALS.provisioningRatio, (n) => n.toFixed(2)),
    info(section, 'BI calls made / minimal', `${p.biCalls} / ${r.minimalCalls} (${ratio(p.biCalls / r.minimalCalls)})`),
    {
      section,
      figure: 'Metabase holds the pushed directory',
      value: p.verified ? 'yes' : `no${p.failure ? `: ${p.failure}` : ''}`,
      goal: 'yes',
      ratio: '',
      verdict: p.verified ? 'pass' : 'miss',
    },
    info(section, 'Redis memory per person (used_memory growth / people)', `${r.redisBytesPerPerson} bytes (${r.redisKeys} keys)`),
  ];
  if (m) {
    rows.push(
      info(
        section,
        `bi-scim RSS peak / after the push${m.cgroup ? ` (cgroup limit ${mb(m.cgroup.limitBytes)})` : ''}`,
        `${mb(m.rssPeakBytes)} / ${m.rssAfterBytes === null ? 'died' : mb(m.rssAfterBytes)}`,
      ),
    );
    if (m.atPeak) rows.push(info(section, '  at the peak', breakdown(m.atPeak)));
  }
  for (const probe of r.everyone)
    rows.push(info(section, `Everyone: one add through bi-scim at ${probe.size} members`, `${(probe.secondsPerAdd * 1000).toFixed(0)} ms`));
  rows.push(info(section, `Everyone: all ${r.users} adds, one batch at a time (estimated from the above)`, hours(r.everyoneEstimatedSeconds)));
  for (const read of r.reads) {
    const memory = read.rssPeakBytes === null ? 'sidecar gone' : `RSS peak ${mb(read.rssPeakBytes)}`;
    rows.push(info(section, `read: ${read.request}`, `${read.status}, ${read.ms} ms, ${read.biCalls} BI calls, ${memory}`));
  }
  rows.push(
    info(
      section,
      'bi-scim drift over the whole directory (a separate process)',
      `${secs(r.drift.seconds)}, ${r.drift.biCalls} BI calls (${(r.drift.biCalls / (r.users / 1000)).toFixed(1)} per 1,000 people), ${r.drift.findings} findings${
        r.drift.findings > 0
          ? ` (${Object.entries(r.drift.byKind)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(', ')})`
          : ''
      }`,
    ),
  );
  return rows;
}
