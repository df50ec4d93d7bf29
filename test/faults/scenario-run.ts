// One scenario on a fresh stack: the workload with faults on, one convergence pass without, then the comparison.
import { mapWithConcurrency } from '../../src/targets/concurrency.ts';
import { NO_FAULTS, type FaultCounts } from '../support/fault-proxy.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { compareWithIntended, type Mismatch } from './compare.ts';
import { converge } from './convergence.ts';
import { IntendedDirectory } from './directory-model.ts';
import { IdpClient, type ClientStats } from './idp-client.ts';
import { Idp } from './idp.ts';
import { routingFor, type Scenario, type ScenarioEvent } from './scenarios.ts';
import { startStack, TOKEN, type Stack } from './stack.ts';
import { generateWorkload, type Workload, type WorkloadSize } from './workload.ts';

/** Okta runs a provisioning task with limited parallelism; 8 requests at once, as the issue asks. */
const CONCURRENCY = 8;
/** Safety valves: a scenario that needs longer fails, and the suite still ends in time. */
const WORKLOAD_BUDGET_MS = 150_000;
const CONVERGENCE_BUDGET_MS = 60_000;
/** Kept back from the suite's deadline for the convergence pass, the comparison and the teardown. */
const FINISH_MS = { afterWorkload: 60_000, afterConvergence: 20_000 };

export interface ScenarioResult {
  name: string;
  what: string;
  seed: number;
  stats: ClientStats;
  faults: FaultCounts;
  intents: { total: number; failed: number; skipped: number };
  events: string[];
  wallMs: number;
  mismatches: Mismatch[];
  /** Error lines bi-scim logged, for the report of a failing scenario. */
  errorLogs: string[];
}

interface Progress {
  total: number;
  failed: number;
  skipped: number;
  events: string[];
}

/** Runs the rounds one after another, the intents of a round 8 at a time; events fire as their share of intents is reached. */
async function drive(workload: Workload, idp: Idp, events: ScenarioEvent[], stack: Stack, deadline: number): Promise<Progress> {
  const total = workload.rounds.reduce((n, round) => n + round.length, 0);
  const progress: Progress = { total, failed: 0, skipped: 0, events: [] };
  const due = [...events].sort((a, b) => a.at - b.at);
  const running: Array<Promise<void>> = [];
  let done = 0;
  const fireDueEvents = () => {
    while (due.length > 0 && done / total >= due[0].at) {
      const event = due.shift()!;
      const started = performance.now();
      running.push(
        event
          .run(stack)
          .then(() => void progress.events.push(`${event.name} at ${Math.round(event.at * 100)}% (${Math.round(performance.now() - started)} ms)`)),
      );
    }
  };
  for (const round of workload.rounds) {
    await mapWithConcurrency(round, CONCURRENCY, async (intent) => {
      // The IdP believes in the change whether or not it gets through.
      idp.view.apply(intent);
      if (Date.now() > deadline) progress.skipped++;
      else if (!(await idp.run(intent))) progress.failed++;
      done++;
      fireDueEvents();
    });
  }
  await Promise.all(running);
  return progress;
}

/** The IdP's view, folded as the intents ran, must be the generator's intended directory: else the harness is wrong. */
function checkHarness(view: IntendedDirectory, intended: IntendedDirectory): Mismatch[] {
  const people = (d: IntendedDirectory) => JSON.stringify([...d.people.values()]);
  const groups = (d: IntendedDirectory) => JSON.stringify([...d.groups.values()].map((g) => ({ ...g, members: [...g.members].sort() })));
  const same = people(view) === people(intended) && groups(view) === groups(intended);
  return same ? [] : [{ subject: 'harness', problem: "the IdP's view differs from the intended directory" }];
}

/** `suiteDeadline` (ms since the epoch) caps this scenario's own budgets, so the whole suite ends in time. */
export async function runScenario(scenario: Scenario, seed: number, size: WorkloadSize, suiteDeadline: number): Promise<ScenarioResult> {
  const started = performance.now();
  const workload = generateWorkload(seed, size);
  const stack = await startStack(scenario.replicas, seed);
  try {
    const client = new IdpClient(TOKEN, routingFor(scenario, stack.urls, seededRandom(seed ^ 0xbeef)));
    const idp = new Idp(client, IntendedDirectory.blankOf(workload.intended));
    stack.proxy.set(scenario.faults);
    const workloadBy = Math.min(Date.now() + WORKLOAD_BUDGET_MS, suiteDeadline - FINISH_MS.afterWorkload);
    const progress = await drive(workload, idp, scenario.events, stack, workloadBy);
    stack.proxy.set(NO_FAULTS);
    client.routing = () => [stack.urls[0]];
    const convergeBy = Math.min(Date.now() + CONVERGENCE_BUDGET_MS, suiteDeadline - FINISH_MS.afterConvergence);
    await converge(idp, CONCURRENCY, convergeBy);
    const mismatches = [...checkHarness(idp.view, workload.intended), ...(await compareWithIntended(stack.double, idp.view, idp))];
    if (progress.skipped > 0) mismatches.unshift({ subject: 'harness', problem: `the workload ran out of time: ${progress.skipped} intents never sent` });
    if (Date.now() > convergeBy) mismatches.unshift({ subject: 'harness', problem: 'the convergence pass ran out of time' });
    return {
      name: scenario.name,
      what: scenario.what,
      seed,
      stats: { ...client.stats },
      faults: stack.proxy.counts(),
      intents: { total: progress.total, failed: progress.failed, skipped: progress.skipped },
      events: progress.events,
      wallMs: performance.now() - started,
      mismatches,
      errorLogs: stack.errorLogs(),
    };
  } finally {
    await stack.stop();
  }
}
