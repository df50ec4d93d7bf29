// What a push does to the sidecar's memory: RSS peak and after, what the peak is made of, its cgroup's view, OOM kills.
import { peakSample, readProbe, type ProbeSample } from './memory-probe.ts';
import { peakResidentBytes, residentBytes } from './processes.ts';
import type { SidecarProcess } from './sidecar.ts';

const SAMPLE_MS = 1000;

export interface CgroupFigures {
  limitBytes: number;
  /** Sampled every second: what Kubernetes counts (working set) and what cannot be reclaimed (anonymous). */
  peakWorkingSetBytes: number;
  peakAnonBytes: number;
  /** The kernel's own high-water mark, page cache of the log file included. */
  maxUsageBytes: number;
  afterWorkingSetBytes: number;
  failcnt: number;
  oomKills: number;
}

export interface PushMemory {
  /** VmHWM: the highest RSS the kernel saw, so no sampling interval can miss the peak. */
  rssPeakBytes: number;
  rssAfterBytes: number | null;
  /** process.memoryUsage() and V8's spaces at the highest-RSS probe sample of the push. */
  atPeak: ProbeSample | null;
  cgroup: CgroupFigures | null;
  /** Why the sidecar ran without a cgroup, when it did. */
  cgroupUnavailable: string | null;
  /** The sidecar was gone after the push (killed for memory, if oomKills says so). */
  died: boolean;
}

export interface MemoryWatch {
  finish(): Promise<PushMemory>;
}

/** Starts sampling the sidecar's cgroup; `finish` reads everything else once the push is over. */
export function watchMemory(sidecar: SidecarProcess): MemoryWatch {
  const started = Date.now();
  const cgroup = sidecar.memory.cgroup;
  const peaks = { workingSet: 0, anon: 0 };
  const sample = async () => {
    const reading = await cgroup?.read();
    if (!reading) return;
    peaks.workingSet = Math.max(peaks.workingSet, reading.workingSetBytes);
    peaks.anon = Math.max(peaks.anon, reading.anonBytes);
  };
  const sampler = setInterval(() => void sample().catch(() => undefined), SAMPLE_MS);
  let rssPeakBytes = 0;
  const hwm = setInterval(() => {
    if (!sidecar.exited()) rssPeakBytes = peakResidentBytes(sidecar.pid);
  }, SAMPLE_MS);
  return {
    async finish() {
      clearInterval(sampler);
      clearInterval(hwm);
      const died = sidecar.exited();
      if (!died) rssPeakBytes = peakResidentBytes(sidecar.pid);
      await sample();
      const after = await cgroup?.read();
      const atPeak = peakSample(await readProbe(sidecar.memory.probeFile), started, Date.now());
      return {
        rssPeakBytes,
        rssAfterBytes: died ? null : residentBytes(sidecar.pid),
        atPeak,
        cgroup:
          cgroup && after
            ? {
                limitBytes: cgroup.limitBytes,
                peakWorkingSetBytes: peaks.workingSet,
                peakAnonBytes: peaks.anon,
                maxUsageBytes: after.maxUsageBytes,
                afterWorkingSetBytes: after.workingSetBytes,
                failcnt: after.failcnt,
                oomKills: after.oomKills,
              }
            : null,
        cgroupUnavailable: sidecar.memory.unavailable,
        died,
      };
    },
  };
}
