// `npm run test:faults [-- --seed N] [--only a,b] [--people N]`: every fault scenario on a fresh stack, a table, and `N passed, N failed`.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { printScenario, printSummary } from './report.ts';
import { runScenario, type ScenarioResult } from './scenario-run.ts';
import { SCENARIOS } from './scenarios.ts';
import { stopLiveStacks } from './stack.ts';
import { DEFAULT_SIZE, type WorkloadSize } from './workload.ts';

/** The seed of the first scenario; scenario n uses DEFAULT_SEED + n, so each reproduces alone with --only and --seed. */
const DEFAULT_SEED = 20_261_202;
/** The whole suite ends within 10 minutes: scenarios share 9, and one is not started with less than 90 s left. */
const SUITE_BUDGET_MS = 540_000;
const LEAST_TO_START_MS = 90_000;

function readOptions(): { seed: number; only: string[] | null; size: WorkloadSize } {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, only: { type: 'string' }, people: { type: 'string' } } });
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed takes an integer');
  const only = values.only ? values.only.split(',').map((name) => name.trim()) : null;
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const people = values.people === undefined ? DEFAULT_SIZE.people : Number(values.people);
  if (!Number.isInteger(people) || people < 10 || people > 2_000) throw new Error('--people takes an integer from 10 to 2000');
  // A smaller directory (for a quick look) keeps the proportions of the default one.
  const scaled = (n: number, least: number) => Math.max(least, Math.round((n * people) / DEFAULT_SIZE.people));
  return {
    seed,
    only,
    size: { ...DEFAULT_SIZE, people, groups: scaled(DEFAULT_SIZE.groups, 4), lifecyclePerRound: scaled(DEFAULT_SIZE.lifecyclePerRound, 5) },
  };
}

async function main(): Promise<number> {
  const { seed, only, size } = readOptions();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const started = performance.now();
  const deadline = Date.now() + SUITE_BUDGET_MS;
  out(
    `bi-scim fault suite: ${size.people} people, ${size.groups} groups, ${size.churnRounds} churn rounds; ${cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString()}`,
  );
  const results: ScenarioResult[] = [];
  const failedToRun: Array<{ name: string; error: string }> = [];
  // A scenario's seed depends only on its place in the full list, so `--only x` reproduces x exactly.
  for (const [index, scenario] of SCENARIOS.entries()) {
    if (only && !only.includes(scenario.name)) continue;
    if (deadline - Date.now() < LEAST_TO_START_MS) {
      failedToRun.push({
        name: scenario.name,
        error: `not started: less than ${LEAST_TO_START_MS / 1000} s of the suite's ${SUITE_BUDGET_MS / 60_000}-minute budget was left`,
      });
      continue;
    }
    try {
      const result = await runScenario(scenario, seed + index, size, deadline);
      results.push(result);
      const sized = size.people === DEFAULT_SIZE.people ? '' : ` --people ${size.people}`;
      printScenario(result, `npm run test:faults -- --only ${scenario.name} --seed ${seed}${sized}`, out);
    } catch (err) {
      failedToRun.push({ name: scenario.name, error: (err as Error).stack ?? String(err) });
      out(`\n== ${scenario.name} (seed ${seed + index}) could not run: ${(err as Error).message}`);
    }
  }
  printSummary(results, failedToRun, performance.now() - started, out);
  return results.every((r) => r.mismatches.length === 0) && failedToRun.length === 0 ? 0 : 1;
}

// Interrupted: stop Redis, bi-scim and the servers of the scenario under way, then exit as a signal would.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopLiveStacks().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15))));
}

process.exitCode = await main();
