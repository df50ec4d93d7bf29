// The fault scenarios: what the proxy does to BI calls, what happens to Redis and bi-scim mid-run, and which requests race.
import { NO_FAULTS, type FaultSettings } from '../support/fault-proxy.ts';
import { pick, type Random } from '../support/seeded-random.ts';
import type { RequestKind, Routing } from './idp-client.ts';
import type { Stack } from './stack.ts';

/** Something done to the stack once this share of the workload's intents has run, while requests are in flight. */
export interface ScenarioEvent {
  at: number;
  name: string;
  run(stack: Stack): Promise<void>;
}

export interface Scenario {
  name: string;
  /** One line for the report. */
  what: string;
  replicas: number;
  /** What the proxy does to BI calls during the workload (never during the convergence pass). */
  faults: FaultSettings;
  /** `duplicates`: creates and member changes sent twice at once; `replicas`: every write sent to both replicas at once. */
  race: 'none' | 'duplicates' | 'replicas';
  events: ScenarioEvent[];
}

const wipeRedis = (at: number): ScenarioEvent => ({ at, name: 'Redis killed and restarted empty', run: (stack) => stack.wipeRedis() });

export const SCENARIOS: Scenario[] = [
  { name: 'no-faults', what: 'nothing goes wrong', replicas: 1, faults: NO_FAULTS, race: 'none', events: [] },
  {
    name: 'bi-503',
    what: '10% of BI writes answered 503 before they are applied',
    replicas: 1,
    faults: { ...NO_FAULTS, failBefore: 0.1 },
    race: 'none',
    events: [],
  },
  {
    name: 'bi-lost-answers',
    what: '5% of BI writes applied, then the answer is lost',
    replicas: 1,
    faults: { ...NO_FAULTS, loseAfter: 0.05 },
    race: 'none',
    events: [],
  },
  {
    name: 'bi-slow',
    what: 'every BI call 0–30 ms slower, 1% of them 3.5 s more (past the IdP timeout)',
    replicas: 1,
    faults: { ...NO_FAULTS, delayMs: [0, 30], slowShare: 0.01, slowMs: 3_500 },
    race: 'none',
    events: [],
  },
  {
    name: 'redis-wiped',
    what: 'Redis killed and restarted empty, twice',
    replicas: 1,
    faults: NO_FAULTS,
    race: 'none',
    events: [wipeRedis(0.4), wipeRedis(0.7)],
  },
  {
    name: 'sidecar-killed',
    what: 'bi-scim killed with SIGKILL mid-run and restarted',
    replicas: 1,
    faults: NO_FAULTS,
    race: 'none',
    events: [{ at: 0.5, name: 'bi-scim SIGKILLed and restarted', run: (stack) => stack.killSidecar(0) }],
  },
  { name: 'two-replicas', what: 'two replicas on one Redis, every write sent to both at once', replicas: 2, faults: NO_FAULTS, race: 'replicas', events: [] },
  { name: 'duplicates', what: 'every create and member change sent twice at once', replicas: 1, faults: NO_FAULTS, race: 'duplicates', events: [] },
];

const RACED_DUPLICATES: ReadonlySet<RequestKind> = new Set(['create', 'members']);

/** Where each request goes: one replica, or several at once for the racing scenarios. */
export function routingFor(scenario: Scenario, urls: string[], random: Random): Routing {
  switch (scenario.race) {
    case 'none':
      return () => [urls[0]];
    case 'duplicates':
      return (kind) => (RACED_DUPLICATES.has(kind) ? [urls[0], urls[0]] : [urls[0]]);
    case 'replicas':
      return (kind) => (kind === 'read' ? [pick(random, urls)] : urls);
  }
}
