// Where a sidecar's CPU went: a V8 .cpuprofile (node --cpu-prof) summed by self time per function and per package.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  /** Node id of each sample, and the microseconds since the previous one. */
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  /** Share of the busy samples (idle excluded), in percent. */
  percent: number;
}

export interface ProfileSummary {
  busySeconds: number;
  byFunction: ProfileEntry[];
  byPackage: ProfileEntry[];
}

/** The source maps beside the bundle's files (`npm run build` writes them), read once each; null where there is none. */
const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapOf(url: string): SourceMap | null {
  if (!sourceMaps.has(url)) {
    const file = url.startsWith('file:') ? `${fileURLToPath(url)}.map` : null;
    sourceMaps.set(url, file && existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null);
  }
  return sourceMaps.get(url)!;
}

/** Where a frame of the bundle was written: `…/node_modules/undici/lib/…` or `…/src/http/auth.ts`, and the line. */
function origin({ url, lineNumber, columnNumber }: ProfileNode['callFrame']): { url: string; line: number } {
  const found = sourceMapOf(url)?.findEntry(lineNumber, columnNumber);
  return found && 'originalSource' in found && found.originalSource
    ? { url: found.originalSource, line: found.originalLine + 1 }
    : { url, line: lineNumber + 1 };
}

/** `node_modules/undici/lib/…` → undici; `src/http/auth.ts` → bi-scim http/auth.ts; `node:internal/…` → node:…. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  // Bundle code no mapping covers (a module's top level) keeps the bundle's file name.
  const own = /\/(?:src|dist)\/(.+)$/.exec(url);
  return own ? `bi-scim ${own[1]}` : url;
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^.*\/(?:src|dist)\//, 'bi-scim/');
}

function top(totals: Map<string, number>, busy: number, count: number): ProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, percent: Math.round((hits / busy) * 1000) / 10 }));
}

/** Samples per node id, from `skipSeconds` after the profile started (start-up and warm-up left out). */
function hitsAfter(profile: Profile, skipSeconds: number): Map<number, number> {
  const hits = new Map<number, number>();
  let at = profile.startTime;
  const from = profile.startTime + skipSeconds * 1e6;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i];
    if (at >= from) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

export function summarizeProfile(profile: Profile, { count = 15, skipSeconds = 0 } = {}): ProfileSummary {
  const hits = hitsAfter(profile, skipSeconds);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  let all = 0;
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    all += n;
    const { functionName } = node.callFrame;
    if (functionName === '(idle)' || n === 0) continue;
    busy += n;
    const { url, line } = origin(node.callFrame);
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${line}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + n);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + n);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6 - skipSeconds;
  return {
    busySeconds: Math.round(((seconds * busy) / Math.max(1, all)) * 100) / 100,
    byFunction: top(byFunction, busy, count),
    byPackage: top(byPackage, busy, count),
  };
}

/** The one .cpuprofile node wrote into `dir` at exit. */
export async function readProfile(dir: string): Promise<Profile> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile;
}

// `node bench/cpu-profile.ts <file.cpuprofile | dir> [count] [skip seconds]` summarises a profile taken by hand.
if (import.meta.main) {
  const [target, count = '25', skip = '0'] = process.argv.slice(2);
  if (!target) throw new Error('usage: node bench/cpu-profile.ts <file.cpuprofile | directory> [count] [skip seconds]');
  const profile = target.endsWith('.cpuprofile') ? (JSON.parse(await readFile(target, 'utf8')) as Profile) : await readProfile(target);
  const summary = summarizeProfile(profile, { count: Number(count), skipSeconds: Number(skip) });
  process.stdout.write(`busy ${summary.busySeconds} s\n\nby package:\n`);
  for (const e of summary.byPackage) process.stdout.write(`${e.percent.toFixed(1).padStart(5)}%  ${e.name}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const e of summary.byFunction) process.stdout.write(`${e.percent.toFixed(1).padStart(5)}%  ${e.name}\n`);
}
