// `npm run bench [-- --quick] [--only metabase|superset|scale] [--memory-limit 256Mi|none] [--superset | --no-superset]`: what bi-scim costs, as a table and bench/results/latest.json.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { parseQuantity } from './cgroup.ts';
import { closeLoad } from './load.ts';
import { benchMetabase, type MetabasePlan, type StoreKind } from './metabase.ts';
import { BUILT_ENTRY, buildSidecar, type SidecarOptions } from './sidecar.ts';
import { machine, printTable, writeResults } from './report.ts';
import { GOALS } from './goals.ts';
import { metabaseRows } from './rows.ts';
import { benchScale, type ScalePlan } from './scale.ts';
import { scaleRows } from './scale-rows.ts';
import { benchSuperset, SUPERSET_PLANS } from './superset.ts';
import { supersetRows } from './superset-rows.ts';

/** Okta runs a provisioning task with limited parallelism per app; 8 sits inside the 5–10 we assume (BENCHMARKS.md). */
const OKTA_CONCURRENCY = 8;
/** Okta's group push sends members in PATCH batches of 100 to 1000 (idp-behaviour.md §1.3); the smallest is the costliest. */
const OKTA_BATCH = 100;
const HOUR_MS = 3_600_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function metabasePlan(quick: boolean, stores: StoreKind[], sidecar: SidecarOptions): MetabasePlan {
  return {
    sidecar,
    stores: quick ? ['memory'] : stores,
    // Throughput is no goal any more (CPU against the bare proxy is): the saturation sweep runs in the full mode only.
    overhead: quick
      ? { delayMs: 5, rate: 200, seconds: 5, saturationSeconds: 0, saturationLevels: [] }
      : { delayMs: 5, rate: 200, seconds: 60, saturationSeconds: 8, saturationLevels: [8, 16, 32, 64] },
    cpu: { callers: 8, seconds: quick ? 3 : 15 },
    calls: { bigGroupMembers: 10_000, groups: 500 },
    provisioning: {
      users: quick ? 1_000 : 10_000,
      groups: quick ? 50 : 200,
      delayMs: 20,
      concurrency: OKTA_CONCURRENCY,
      batch: OKTA_BATCH,
      timeoutMs: HOUR_MS,
      measureMinimal: !quick,
      stores: quick ? ['memory'] : stores,
    },
    soak: quick ? { rate: 50, seconds: 15, sampleEveryMs: 1000 } : { rate: 50, seconds: 600, sampleEveryMs: 5000 },
  };
}

/** The chart's `resources.limits.memory`, unless `--memory-limit` names another (or `none`). */
async function memoryLimit(asked: string | undefined): Promise<number | null> {
  if (asked === 'none') return null;
  if (asked) return parseQuantity(asked);
  const values = parse(await readFile(join(ROOT, 'helm', 'bi-scim', 'values.yaml'), 'utf8')) as { resources?: { limits?: { memory?: string } } };
  const limit = values.resources?.limits?.memory;
  return limit ? parseQuantity(limit) : null;
}

/** Figure 6, full mode only: 100,000 people in ~100-person departments, Everyone probed at a few sizes. */
function scalePlan(users: number): ScalePlan {
  return {
    users,
    departments: Math.max(1, Math.round(users / 100) - 1),
    delayMs: 20,
    concurrency: OKTA_CONCURRENCY,
    batch: OKTA_BATCH,
    timeoutMs: 3 * HOUR_MS,
    everyoneSizes: [0, Math.round(users / 4), Math.round(users / 2), users - 100],
    probeMembers: 10,
  };
}

async function onPath(binary: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (
      await access(join(dir, binary), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

interface Options {
  quick: boolean;
  /** True or false when asked for; otherwise the full mode runs Superset and the quick mode does not. */
  superset?: boolean;
  only?: string;
  'sidecar-node-options'?: string;
  /** The sidecar's cgroup memory limit (`256Mi`), or `none`; the chart's `resources.limits.memory` by default. */
  'memory-limit'?: string;
  /** NAME=VALUE pairs added to the sidecar's environment. */
  'sidecar-env'?: string[];
  /** File name under bench/results/ (default latest.json). */
  out?: string;
  /** People in figure 6 (default 100,000); the full mode runs it, `--only scale` runs it alone. */
  'scale-users'?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      superset: { type: 'boolean' },
      only: { type: 'string' },
      'sidecar-node-options': { type: 'string' },
      'memory-limit': { type: 'string' },
      'sidecar-env': { type: 'string', multiple: true },
      out: { type: 'string' },
      'scale-users': { type: 'string' },
    },
    allowNegative: true,
  });
  if (values.only && !['metabase', 'superset', 'scale'].includes(values.only)) throw new Error('--only takes metabase, superset or scale');
  if (values['sidecar-env']?.some((pair) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(pair))) throw new Error('--sidecar-env takes NAME=VALUE');
  if (values.out && !/^[\w.-]+\.json$/.test(values.out)) throw new Error('--out takes a file name ending in .json');
  return values;
}

async function main(): Promise<void> {
  const options = readOptions();
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  const progress = (line: string) => process.stderr.write(`[bench ${elapsed()} s] ${line}\n`);
  const stores: StoreKind[] = (await onPath('redis-server')) ? ['memory', 'redis'] : ['memory'];
  if (!stores.includes('redis')) progress('redis-server is not on PATH: the Redis store is left out');
  progress('building bi-scim as the image does (npm run build → bench/image/dist)');
  await buildSidecar();
  const env = Object.fromEntries((options['sidecar-env'] ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const memoryLimitBytes = await memoryLimit(options['memory-limit']);
  const sidecar: SidecarOptions = { entry: BUILT_ENTRY, nodeOptions: options['sidecar-node-options'], env, memoryLimitBytes };
  const plan = metabasePlan(options.quick, stores, sidecar);
  const metabase = options.only === undefined || options.only === 'metabase' ? await benchMetabase(plan, progress) : null;
  // Superset takes a minute to start, so the quick mode leaves it out unless asked for.
  const wantSuperset = options.only === 'superset' || (options.only === undefined && (options.superset ?? !options.quick));
  const superset = wantSuperset
    ? await benchSuperset(options.quick ? SUPERSET_PLANS.quick : SUPERSET_PLANS.full, sidecar, progress)
    : { skipped: 'left out (--quick without --superset, --no-superset, or --only metabase)' };
  const scale = scalePlan(Number(options['scale-users'] ?? 100_000));
  const wantScale = options.only === 'scale' || (options.only === undefined && !options.quick);
  const scaled = wantScale ? await benchScale(scale, sidecar, progress) : null;
  const rows = [
    ...(metabase ? metabaseRows(metabase, plan) : []),
    ...(options.only === 'scale' ? [] : supersetRows(superset)),
    ...(scaled ? scaleRows(scaled, scale) : []),
  ];
  const results = {
    mode: options.quick ? 'quick' : 'full',
    options,
    started: new Date(started),
    seconds: elapsed(),
    machine: machine(),
    goals: GOALS,
    plan,
    metabase,
    superset,
    scale: scaled,
    rows,
  };
  const path = await writeResults(results, options.out);
  printTable(rows, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`\nResults written to ${path} (${elapsed()} s).\n`);
}

// A missed goal is a result, not a failure: the exit code is non-zero only when the benchmark itself could not run.
try {
  await main();
} finally {
  await closeLoad();
}
