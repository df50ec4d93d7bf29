// A probe loaded into the sidecar with --import: process.memoryUsage() and V8's heap spaces every half second, to a file.
import { readFile } from 'node:fs/promises';

export interface ProbeSample {
  /** Date.now() of the sample, so it lines up with the bench's own clock. */
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Committed bytes of V8's young generation (both semi-spaces) and of its old and large-object spaces. */
  newSpace: number;
  oldSpace: number;
  largeObjects: number;
}

const SAMPLE_EVERY_MS = 500;

/**
 * Plain JavaScript in a data: URL rather than a .ts file, so the measured process does not load Node's type
 * stripper (≈ 25 MiB of its own). The timer is unref'd and a sample costs a few microseconds.
 */
const SOURCE = `
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
const file = process.env.BENCH_PROBE_FILE;
const size = (spaces, name) => spaces.find((s) => s.space_name === name)?.space_size ?? 0;
setInterval(() => {
  const spaces = getHeapSpaceStatistics();
  const sample = {
    t: Date.now(),
    ...process.memoryUsage(),
    newSpace: size(spaces, 'new_space'),
    oldSpace: size(spaces, 'old_space'),
    largeObjects: size(spaces, 'large_object_space') + size(spaces, 'new_large_object_space'),
  };
  appendFileSync(file, JSON.stringify(sample) + '\\n');
}, ${SAMPLE_EVERY_MS}).unref();
`;

/** Node arguments and environment that load the probe, writing to `file`. */
export function probeArguments(file: string): { execArgv: string[]; env: Record<string, string> } {
  return { execArgv: ['--import', `data:text/javascript,${encodeURIComponent(SOURCE)}`], env: { BENCH_PROBE_FILE: file } };
}

/** Every sample so far (a line cut short by a kill is skipped). */
export async function readProbe(file: string): Promise<ProbeSample[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as ProbeSample] : [];
    } catch {
      return [];
    }
  });
}

/** The sample with the highest RSS between two Date.now() readings. */
export function peakSample(samples: ProbeSample[], fromMs = 0, toMs = Number.POSITIVE_INFINITY): ProbeSample | null {
  const within = samples.filter((s) => s.t >= fromMs && s.t <= toMs);
  return within.reduce<ProbeSample | null>((best, s) => (!best || s.rss > best.rss ? s : best), null);
}
