// A cgroup-v1 memory controller of the sidecar's own, so it runs under the chart's memory limit as it does in a pod.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const CONTROLLER = '/sys/fs/cgroup/memory';
/** The kernel may still be tearing down the last task when rmdir comes: a few short retries. */
const REMOVE_TRIES = 20;

export interface CgroupReading {
  /** memory.usage_in_bytes: anonymous memory plus the page cache the group's files use. */
  usageBytes: number;
  /** memory.max_usage_in_bytes: the kernel's own high-water mark of usageBytes. */
  maxUsageBytes: number;
  /** What `kubectl top` and the kubelet's eviction use: usage minus inactive file pages. */
  workingSetBytes: number;
  /** Anonymous memory (memory.stat `rss`): what cannot be reclaimed without swap. */
  anonBytes: number;
  /** Page cache charged to the group (the sidecar's log file). */
  cacheBytes: number;
  /** Times the limit was hit (memory.failcnt) and OOM kills in the group (memory.oom_control). */
  failcnt: number;
  oomKills: number;
}

export interface MemoryCgroup {
  dir: string;
  limitBytes: number;
  /** `sh -c` wrapper arguments that put the command into the group before it execs, so no byte is charged elsewhere. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  read(): Promise<CgroupReading>;
  remove(): Promise<void>;
}

let created = 0;

async function readNumber(dir: string, file: string): Promise<number> {
  return Number((await readFile(join(dir, file), 'utf8')).trim());
}

async function readKeyed(dir: string, file: string): Promise<Map<string, number>> {
  const lines = (await readFile(join(dir, file), 'utf8')).trim().split('\n');
  return new Map(lines.map((line) => line.split(' ')).map(([key, value]) => [key, Number(value)]));
}

async function read(dir: string): Promise<CgroupReading> {
  const [usageBytes, maxUsageBytes, failcnt, stat, oom] = await Promise.all([
    readNumber(dir, 'memory.usage_in_bytes'),
    readNumber(dir, 'memory.max_usage_in_bytes'),
    readNumber(dir, 'memory.failcnt'),
    readKeyed(dir, 'memory.stat'),
    readKeyed(dir, 'memory.oom_control'),
  ]);
  const inactiveFile = stat.get('total_inactive_file') ?? 0;
  return {
    usageBytes,
    maxUsageBytes,
    workingSetBytes: Math.max(0, usageBytes - inactiveFile),
    anonBytes: stat.get('total_rss') ?? 0,
    cacheBytes: stat.get('total_cache') ?? 0,
    failcnt,
    oomKills: oom.get('oom_kill') ?? 0,
  };
}

/**
 * A new group under the memory controller with `limitBytes` as its hard limit, or the reason there is none
 * (no cgroup-v1 memory controller, or not allowed to write it): the bench then says so and runs without.
 */
export async function createMemoryCgroup(limitBytes: number): Promise<MemoryCgroup | { unavailable: string }> {
  const dir = join(CONTROLLER, `bi-scim-bench-${process.pid}-${++created}`);
  try {
    await mkdir(dir);
  } catch (err) {
    return { unavailable: `cannot create ${dir}: ${(err as Error).message}` };
  }
  try {
    await writeFile(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    return { unavailable: `cannot set memory.limit_in_bytes in ${dir}: ${(err as Error).message}` };
  }
  return {
    dir,
    limitBytes,
    wrap: (command, args) => ({ command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs'), command, ...args] }),
    read: () => read(dir),
    async remove() {
      for (let i = 0; i < REMOVE_TRIES; i++) {
        try {
          return await rmdir(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error(`cannot remove ${dir}: a process is still in it`);
    },
  };
}

/** `256Mi`, `200M`, `1Gi` or a byte count, as Kubernetes writes quantities. */
export function parseQuantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(text.trim());
  if (!match) throw new Error(`not a memory quantity: "${text}"`);
  const units: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };
  return Math.round(Number(match[1]) * units[match[2] ?? '']);
}
