// Figure 4: bi-scim's resident memory over a soak at a steady rate of the requests an IdP makes between big pushes.
import { openLoop, percentile, type Send } from './load.ts';
import { metricTotal, residentBytes } from './processes.ts';
import type { SidecarProcess } from './sidecar.ts';
import { filterPath, oktaMembers, oktaUser, type Person, type ScimClient } from './scim.ts';

export interface MemorySample {
  atSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface SoakResult {
  rate: number;
  seconds: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  samples: MemorySample[];
  /** Mean RSS over the second and the last fifth of the soak (the first is warm-up), and their difference. */
  rssStartBytes: number;
  rssEndBytes: number;
  rssGrowthBytes: number;
  heapGrowthBytes: number;
  rssPeakBytes: number;
}

interface SoakScene {
  people: Array<Person & { id: string }>;
  groups: Array<{ id: string; displayName: string }>;
}

async function loadScene(scim: ScimClient): Promise<SoakScene> {
  const users = (await scim.expect(200, 'GET', '/Users?startIndex=1&count=200')).Resources as Array<Record<string, unknown>>;
  const groups = (await scim.expect(200, 'GET', '/Groups?excludedAttributes=members&count=50')).Resources as Array<{ id: string; displayName: string }>;
  const people = users
    .filter((u) => u.externalId && u.active)
    .map((u) => {
      const name = u.name as { givenName: string; familyName: string };
      return { id: String(u.id), userName: String(u.userName), givenName: name.givenName, familyName: name.familyName, externalId: String(u.externalId) };
    });
  if (people.length < 10 || groups.length < 2) throw new Error('the soak needs a provisioned directory (10 people and 2 groups at least)');
  return { people, groups };
}

/**
 * The mix, by request number: reads by id and by filter (Okta's checks), profile PUTs, membership add/remove
 * pairs, group lists without members and import pages. Writes change things back and forth, so state stays bounded.
 */
function mixedRequests(scim: ScimClient, scene: SoakScene): Send {
  let n = 0;
  const MIX: Array<(i: number) => [string, string, unknown?]> = [
    (i) => ['GET', `/Users/${scene.people[i % scene.people.length].id}`],
    (i) => ['GET', `/Users${filterPath('userName', scene.people[i % scene.people.length].userName)}`],
    (i) => ['GET', `/Users/${scene.people[(i * 7) % scene.people.length].id}`],
    (i) => {
      const person = scene.people[i % scene.people.length];
      return ['PUT', `/Users/${person.id}`, { ...oktaUser({ ...person, givenName: i % 2 === 0 ? `${person.givenName}x` : person.givenName }), id: person.id }];
    },
    (i) => {
      // Round 2k adds a person to a group, round 2k+1 takes the same person out again.
      const pair = Math.floor(i / 2);
      const group = scene.groups[pair % scene.groups.length];
      const member = scene.people[(pair * 13) % scene.people.length].id;
      const adding = i % 2 === 0;
      return ['PATCH', `/Groups/${group.id}`, oktaMembers(group.id, group.displayName, adding ? [member] : [], adding ? [] : [member])];
    },
    () => ['GET', '/Groups?excludedAttributes=members'],
    (i) => ['GET', `/Users?startIndex=${1 + (i % 10) * 100}&count=100`],
  ];
  return async () => {
    const i = n++;
    const [method, path, body] = MIX[i % MIX.length](Math.floor(i / MIX.length));
    return (await scim.send(method, path, body)).status;
  };
}

function meanOf(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/**
 * The first fifth is warm-up (the heap settles into the soak's allocation pattern after the push); growth is the
 * mean of the last fifth over the mean of the second.
 */
function summarizeMemory(samples: MemorySample[]): Pick<SoakResult, 'rssStartBytes' | 'rssEndBytes' | 'rssGrowthBytes' | 'heapGrowthBytes' | 'rssPeakBytes'> {
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const settled = samples.slice(fifth, 2 * fifth);
  const last = samples.slice(-fifth);
  const rssStartBytes = Math.round(meanOf(settled.map((s) => s.rssBytes)));
  const rssEndBytes = Math.round(meanOf(last.map((s) => s.rssBytes)));
  const heapGrowthBytes = Math.round(meanOf(last.map((s) => s.heapUsedBytes)) - meanOf(settled.map((s) => s.heapUsedBytes)));
  return {
    rssStartBytes,
    rssEndBytes,
    rssGrowthBytes: rssEndBytes - rssStartBytes,
    heapGrowthBytes,
    rssPeakBytes: Math.max(...samples.map((s) => s.rssBytes)),
  };
}

export async function soak(scim: ScimClient, sidecar: SidecarProcess, rate: number, seconds: number, sampleEveryMs: number): Promise<SoakResult> {
  const send = mixedRequests(scim, await loadScene(scim));
  const samples: MemorySample[] = [];
  const started = performance.now();
  const sample = async () => {
    const heapUsedBytes = await metricTotal(sidecar.metricsUrl, 'bi_scim_nodejs_heap_size_used_bytes');
    samples.push({ atSeconds: Math.round((performance.now() - started) / 100) / 10, rssBytes: residentBytes(sidecar.pid), heapUsedBytes });
  };
  await sample();
  const sampler = setInterval(() => void sample(), sampleEveryMs);
  let load: Awaited<ReturnType<typeof openLoop>>[number];
  try {
    [load] = await openLoop([send], rate, seconds);
  } finally {
    clearInterval(sampler);
  }
  await sample();
  return {
    rate,
    seconds: Math.round(load.seconds),
    requests: load.requests,
    errors: load.errors,
    p50Ms: Math.round(percentile(load.latencies, 0.5) * 100) / 100,
    p99Ms: Math.round(percentile(load.latencies, 0.99) * 100) / 100,
    samples,
    ...summarizeMemory(samples),
  };
}
