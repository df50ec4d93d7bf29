// How many fuzz cases run, from which seed, and whether the 1 s bound is enforced: one reading of the environment.

/** Cases across all properties when BI_SCIM_FUZZ_RUNS is unset: the small run inside `npm test`. */
const SUITE_RUNS = 500;
/** The small run's seed is fixed, so a red `npm test` is a regression and never the luck of the draw. */
const SUITE_SEED = 20_260_501;
/** No request may take longer, whatever it carries (the IdPs allow 60 s; a bound on pathological input). */
export const SLOWEST_ALLOWED_MS = 1_000;

export interface FuzzSettings {
  /** Total cases over every property of every store (npm run test:fuzz: 100,000). */
  runs: number;
  seed: number;
  /** The full run (BI_SCIM_FUZZ_RUNS set) fails on a request over SLOWEST_ALLOWED_MS; the small run only reports it. */
  enforceTime: boolean;
  /**
   * The most emails one large request carries. A quadratic path takes minutes at the full run's 8,192; the small
   * run stops at 2,048, where it takes seconds, since it does not fail on time anyway.
   */
  maxEmails: number;
}

function integerFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${text}"`);
  return value;
}

export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const runs = integerFrom(env, 'BI_SCIM_FUZZ_RUNS');
  const fullRun = runs !== undefined;
  // npm run test:fuzz picks one seed for all files; a file run alone with only BI_SCIM_FUZZ_RUNS picks its own.
  const seed = integerFrom(env, 'BI_SCIM_FUZZ_SEED') ?? (fullRun ? Date.now() % 2 ** 31 : SUITE_SEED);
  return { runs: runs ?? SUITE_RUNS, seed, enforceTime: fullRun, maxEmails: fullRun ? 8_192 : 2_048 };
}

/**
 * Each property's share of the total, per store. Shares are weights: a property's case count is its weight over the
 * sum, at least one case. An identity case makes about eighteen requests and a large one three, so their weights are small.
 */
export const SHARES = {
  memory: { filters: 9, patches: 11, bodies: 10, headers: 5, paths: 7, gateway: 3, slashes: 2, identity: 0.5, large: 0.5 },
  redis: { filters: 9, patches: 11, bodies: 10, headers: 5, paths: 7, gateway: 3, slashes: 2, identity: 0.5, large: 0.5 },
  /** The real sidecar process over HTTP, whose logs are scanned for secrets. */
  process: { requests: 3, gateway: 1 },
  /** The real process on a real Superset (when installed): slow per request, so a small share. */
  superset: { reads: 0.4 },
} as const;

export type Suite = keyof typeof SHARES;

const TOTAL_WEIGHT = Object.values(SHARES).reduce((sum, shares) => sum + Object.values(shares).reduce((a, b) => a + b, 0), 0);

/** The number of cases a property of `suite` runs; properties of one suite draw seeds of their own from the base. */
export function casesFor(settings: FuzzSettings, suite: Suite, property: string): { numRuns: number; seed: number } {
  const shares = SHARES[suite] as Record<string, number>;
  const weight = shares[property];
  if (weight === undefined) throw new Error(`No share for fuzz property ${suite}/${property}`);
  const index = Object.keys(SHARES).indexOf(suite) * 100 + Object.keys(shares).indexOf(property);
  return { numRuns: Math.max(1, Math.round((settings.runs * weight) / TOTAL_WEIGHT)), seed: (settings.seed + index * 7_919) % 2 ** 31 };
}

/** Enough time for the cases at the slowest pace seen on a busy 2-core machine, plus shrinking a failure. */
export function timeoutFor(numRuns: number, msPerCase = 20): number {
  return 120_000 + numRuns * msPerCase;
}
