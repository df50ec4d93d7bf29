// The fuzz properties over one store, in order; then nothing wedged, and no credential in any log line.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeFindings, findSecretsInLogs } from '../support/log-secrets.ts';
import { printable, type FuzzRequest } from './exchange.ts';
import { checkGatewayCase, gatewayCase, type GatewayCase } from './gateway.ts';
import { TOKEN, type FuzzHarness } from './harness.ts';
import { checkIdentityCase, identityCase } from './identity.ts';
import { checkLargeCase, largeCase } from './large.ts';
import { bodyRequest, filterRequest, headerRequest, patchRequest, pathRequest, slashRequest } from './requests.ts';
import { createKnownResources, wedgedResources } from './resources.ts';
import { casesFor, fuzzSettings, timeoutFor, type FuzzSettings, type Suite } from './settings.ts';
import { FuzzStats } from './stats.ts';

export interface Property<T> {
  name: string;
  /** The outcome the property asserts, as the test's name. */
  outcome: string;
  cases: (h: FuzzHarness, settings: FuzzSettings) => fc.Arbitrary<T>;
  check: (h: FuzzHarness, value: T) => Promise<void>;
  /** Slower cases (several requests each) get more time. */
  msPerCase?: number;
}

const send = (h: FuzzHarness, request: FuzzRequest) => h.send(request).then(() => undefined);

/** A trailing slash, as clients and proxies add it, names the same collection: both spellings answer alike. */
async function checkSlashes(h: FuzzHarness, request: FuzzRequest): Promise<void> {
  const [path, query = ''] = request.path.split(/(?=\?)/);
  const plain = await h.send(request);
  const slashed = await h.send(printable({ ...request, path: `${path}/${query}` }));
  if (plain.status !== slashed.status) throw new Error(`GET ${path}${query} answered ${plain.status} but GET ${path}/${query} answered ${slashed.status}`);
}

const ANSWERS = 'is answered below 500, and with a SCIM error when it fails, within the time bound';

const gateway: Property<GatewayCase> = {
  name: 'gateway',
  outcome: 'a failing BI tool is answered 502, 503 or 504 at worst, never with its address or routes',
  cases: (h) => gatewayCase(h.known),
  check: checkGatewayCase,
};

/** The order matters only at the end: the path property sends DELETEs, so it runs last. */
export const STORE_PROPERTIES: Array<Property<any>> = [
  { name: 'filters', outcome: `every filter, in a query or a search body, ${ANSWERS}`, cases: (h) => filterRequest(h.known), check: send },
  { name: 'patches', outcome: `every PATCH body ${ANSWERS}`, cases: (h) => patchRequest(h.known), check: send },
  { name: 'bodies', outcome: `every POST and PUT body ${ANSWERS}`, cases: (h) => bodyRequest(h.known), check: send },
  { name: 'headers', outcome: `every set of headers ${ANSWERS}`, cases: (h) => headerRequest(h.known, TOKEN), check: send },
  gateway,
  {
    name: 'slashes',
    outcome: 'a trailing slash on a collection or discovery path changes nothing',
    cases: (h) => slashRequest(h.known),
    check: checkSlashes,
    msPerCase: 40,
  },
  {
    name: 'identity',
    outcome: 'people whose names differ by one odd code unit are created, found, changed, deleted and revived apart',
    cases: () => identityCase,
    check: checkIdentityCase,
    msPerCase: 200,
  },
  {
    name: 'large',
    outcome: 'thousands of emails or attribute names in one request are answered within the time bound',
    cases: (_, s) => largeCase(s.maxEmails),
    check: checkLargeCase,
    msPerCase: 2_000,
  },
  {
    name: 'paths',
    outcome: `every method on every path and query ${ANSWERS}; a 405 names the allowed methods`,
    cases: (h) => pathRequest(h.known),
    check: send,
  },
];

/** Over HTTP to the real process: a mix of the request properties, and the BI double failing under it. */
export const PROCESS_PROPERTIES: Array<Property<any>> = [
  {
    name: 'requests',
    outcome: `every filter, body, PATCH and set of headers ${ANSWERS}`,
    cases: (h) => fc.oneof(filterRequest(h.known), patchRequest(h.known), bodyRequest(h.known), headerRequest(h.known, TOKEN)),
    check: send,
  },
  gateway,
];

/** A real Superset is shared with other suites: only reads and changes to this run's own people. */
export const SUPERSET_PROPERTIES: Array<Property<any>> = [
  {
    name: 'reads',
    outcome: `every filter and set of headers ${ANSWERS}`,
    cases: (h) => fc.oneof(filterRequest(h.known), headerRequest(h.known, TOKEN)),
    check: send,
    msPerCase: 300,
  },
];

/** The printed counterexample shortens huge values; the file keeps all of it (bytes as arrays), to replay by hand. */
async function saveCounterexample(suite: Suite, name: string, seed: number, counterexample: unknown): Promise<string> {
  const file = join(tmpdir(), `bi-scim-fuzz-${suite}-${name}-${seed}.json`);
  const json = JSON.stringify(counterexample, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v), 1);
  await writeFile(file, json);
  return file;
}

/** fast-check's report leaves the error out (its `includeErrorInReport` is off): the first lines of it, and its cause. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.message.split('\n').slice(0, 3).join('\n').slice(0, 2000)}${cause}`;
}

async function runProperty<T>(h: FuzzHarness, settings: FuzzSettings, suite: Suite, property: Property<T>, totals: FuzzStats): Promise<void> {
  const { numRuns, seed } = casesFor(settings, suite, property.name);
  h.stats = new FuzzStats();
  const started = performance.now();
  try {
    const details = await fc.check(
      fc.asyncProperty(property.cases(h, settings), (value) => property.check(h, value)),
      { numRuns, seed },
    );
    if (details.failed)
      throw new Error(
        `${fc.defaultReportMessage(details)}\nWhat failed: ${errorText(details.errorInstance)}\nThe whole counterexample: ${await saveCounterexample(suite, property.name, seed, details.counterexample)}`,
      );
  } finally {
    totals.add(h.stats);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(h.stats.summary(`[fuzz ${suite}/${property.name}] ${numRuns} cases from seed ${seed} in ${seconds} s`));
  }
}

/** Registers the properties, the wedge check and the log scan, in order, over one sidecar. */
export function describeFuzzSuite(suite: Suite, properties: Array<Property<any>>, start: (enforceTime: boolean) => Promise<FuzzHarness>): void {
  const settings = fuzzSettings();
  const totals = new FuzzStats();
  let h: FuzzHarness;

  beforeAll(async () => {
    console.log(
      `[fuzz ${suite}] ${settings.runs} cases across all suites, seed ${settings.seed}; BI_SCIM_FUZZ_RUNS=${settings.runs} BI_SCIM_FUZZ_SEED=${settings.seed} runs the same cases`,
    );
    h = await start(settings.enforceTime);
    await createKnownResources(h);
  });
  afterAll(async () => {
    console.log(totals.summary(`[fuzz ${suite}] total`));
    await h?.close();
  });

  for (const property of properties) {
    const { numRuns } = casesFor(settings, suite, property.name);
    it(
      `${property.name}: ${property.outcome}`,
      async () => {
        await runProperty(h, settings, suite, property, totals);
      },
      timeoutFor(numRuns, property.msPerCase),
    );
  }

  it('leaves every resource it touched readable, changeable and deletable', async () => {
    expect(await wedgedResources(h)).toEqual([]);
  }, 300_000);

  it('writes no credential into any log line', () => {
    expect(h.logLines.length).toBeGreaterThan(0);
    const findings = findSecretsInLogs(h.logLines, h.secrets());
    expect(findings, describeFindings(findings)).toEqual([]);
  }, 120_000);
}
