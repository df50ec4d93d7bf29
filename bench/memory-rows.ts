// Figure 4 as table rows: RSS at rest, during and after the push (inside the chart's memory limit), what the peak holds, the soak.
import type { MetabasePlan, MetabaseResults } from './metabase.ts';
import type { ProbeSample } from './memory-probe.ts';
import type { PushMemory } from './push-memory.ts';
import { info, judged, mb, ms, type Row } from './report.ts';
import { GOALS } from './goals.ts';

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

/** A judged memory row whose goal reads as the issue states it (decimal MB), the value in MiB. */
function memoryGoal(section: string, figure: string, bytes: number, limit: number): Row {
  return { ...judged(section, figure, bytes, limit, mb), goal: `< ${megabytes(limit)}` };
}

/** rss = V8 heap (young generation, old and large objects) + buffers outside it + the rest (code, malloc, stacks). */
export function breakdown(p: ProbeSample): string {
  const rest = p.rss - p.heapTotal - p.external;
  return `rss ${mb(p.rss)} = heap ${mb(p.heapTotal)} (young ${mb(p.newSpace)}, used ${mb(p.heapUsed)}) + external ${mb(p.external)} (buffers ${mb(p.arrayBuffers)}) + rest ${mb(rest)}`;
}

function where(m: PushMemory): string {
  if (!m.cgroup) return `no memory cgroup (${m.cgroupUnavailable})`;
  return `in a memory cgroup limited to ${mb(m.cgroup.limitBytes)}`;
}

function pushRows(section: string, store: string, m: PushMemory): Row[] {
  const rows = [
    memoryGoal(section, `push peak (VmHWM), ${store} store, ${where(m)}`, m.rssPeakBytes, GOALS.memoryPeakBytes),
    m.rssAfterBytes === null
      ? {
          section,
          figure: `after the push, ${store} store`,
          value: 'the sidecar died',
          goal: `< ${megabytes(GOALS.memoryAfterBytes)}`,
          ratio: '',
          verdict: 'miss' as const,
        }
      : memoryGoal(section, `after the push, ${store} store`, m.rssAfterBytes, GOALS.memoryAfterBytes),
  ];
  if (m.atPeak) rows.push(info(section, `  at the peak, ${store} store`, breakdown(m.atPeak)));
  if (m.cgroup) {
    const c = m.cgroup;
    rows.push(
      info(
        section,
        `  cgroup working set peak / after, ${store} store`,
        `${mb(c.peakWorkingSetBytes)} / ${mb(c.afterWorkingSetBytes)} (anonymous peak ${mb(c.peakAnonBytes)}; max usage with page cache ${mb(c.maxUsageBytes)})`,
      ),
      {
        section,
        figure: `  OOM kills in the cgroup, ${store} store`,
        value: `${c.oomKills} (limit hit ${c.failcnt} times)`,
        goal: '0',
        ratio: '',
        verdict: c.oomKills === 0 && !m.died ? 'pass' : 'miss',
      },
    );
  }
  return rows;
}

export function memoryRows(results: MetabaseResults, plan: MetabasePlan): Row[] {
  const section = '4. Memory (bi-scim RSS)';
  const s = results.soak;
  return [
    ...results.overhead.map((o) => memoryGoal(section, `at rest, ${o.store} store`, o.rssAtRestBytes, GOALS.memoryPeakBytes)),
    info(section, 'at rest, node src/main.ts (type stripping)', mb(results.sourceEntryRssAtRestBytes)),
    ...results.provisioning.flatMap((r) => (r.push.memory ? pushRows(section, r.store, r.push.memory) : [])),
    info(section, `soak: ${s.seconds} s at ${plan.soak.rate} req/s (${s.requests} requests, ${s.errors} errors)`, `p50 ${ms(s.p50Ms)}, p99 ${ms(s.p99Ms)}`),
    info(section, 'soak RSS second fifth → last fifth', `${mb(s.rssStartBytes)} → ${mb(s.rssEndBytes)}`),
    judged(section, 'soak RSS growth', s.rssGrowthBytes, GOALS.soakGrowthBytes, mb),
    info(section, 'soak heap-used growth', mb(s.heapGrowthBytes)),
    memoryGoal(section, 'soak peak', s.rssPeakBytes, GOALS.memoryAfterBytes),
  ];
}
