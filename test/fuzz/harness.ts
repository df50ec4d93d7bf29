// A sidecar under fuzzing, in process (app.request) or as a real process (HTTP): timed, checked requests and its logs.
import type { Secret } from '../support/log-secrets.ts';
import type { MetabaseDouble } from '../support/metabase-double.ts';
import { answerProblems, describeRequest, type FuzzAnswer, type FuzzRequest } from './exchange.ts';
import type { KnownIds } from './fixture-bodies.ts';
import { FuzzStats } from './stats.ts';

export const BASE_PATH = '/scim/v2';
export const TOKEN = 'fuzz-token-7d1c0a9e5b3f42e8';

export interface HarnessParts {
  /** Sends a request to a path from the sidecar's root (app.request, or fetch against the process). */
  request: (path: string, init: RequestInit) => Promise<Response>;
  /** host:port of the BI tool, which no answer may mention. */
  biOrigin: string;
  /** Every line the sidecar has logged so far. */
  logLines: string[];
  /** The credentials of the BI tool and the store, for the log scan (the bearer tokens are added here). */
  secrets: () => Secret[];
  enforceTime: boolean;
  /** The Metabase double, where the BI tool is one (fault injection). */
  double?: MetabaseDouble;
  close: () => Promise<void>;
}

/**
 * The double's credentials: its API key, its admin's password, and every session it hands out from now on
 * (recorded by wrapping its login), for the log scan.
 */
export function metabaseDoubleSecrets(double: MetabaseDouble): () => Secret[] {
  const sessions: string[] = [];
  const { auth } = double.core;
  const logIn = auth.logIn.bind(auth);
  auth.logIn = (...args) => {
    const session = logIn(...args);
    sessions.push(session.id);
    return session;
  };
  return () => [
    { name: 'Metabase API key', value: double.apiKey },
    { name: 'Metabase password', value: double.adminPassword },
    ...sessions.map((value) => ({ name: 'Metabase session id', value })),
  ];
}

export class FuzzHarness {
  /** Figures of the property running now; the runner swaps in a fresh one per property. */
  stats = new FuzzStats();
  readonly known: KnownIds = { users: [], groups: [] };
  /** Resources the run created, by kind: all are read, changed and deleted once the run is over. */
  readonly created = { Users: new Set<string>(), Groups: new Set<string>() };
  readonly #strangerTokens = new Set<string>();
  readonly #parts: HarnessParts;

  constructor(parts: HarnessParts) {
    this.#parts = parts;
  }

  get double(): MetabaseDouble {
    if (!this.#parts.double) throw new Error('This sidecar does not talk to the Metabase double');
    return this.#parts.double;
  }

  get logLines(): string[] {
    return this.#parts.logLines;
  }

  /** Sends one request as an IdP would (bearer token, SCIM media type) unless its headers say otherwise; timed. */
  async exchange(request: FuzzRequest): Promise<FuzzAnswer> {
    const defaults: Record<string, string | null> = {
      authorization: `Bearer ${TOKEN}`,
      'content-type': request.body === undefined ? null : 'application/scim+json',
    };
    const headers = Object.entries({ ...defaults, ...request.headers }).filter((entry): entry is [string, string] => entry[1] !== null);
    for (const [, value] of headers) for (const m of value.matchAll(/\bfz-[0-9a-f]{32}\b/g)) this.#strangerTokens.add(m[0]);
    const path = request.outsideBase ? request.path : `${BASE_PATH}${request.path}`;
    const started = performance.now();
    const res = await this.#parts.request(path, { method: request.method, headers: Object.fromEntries(headers), body: request.body });
    const text = await res.text();
    const answer = { status: res.status, headers: res.headers, text, ms: performance.now() - started };
    this.stats.record(request, answer);
    this.#remember(request, answer);
    return answer;
  }

  /** `exchange`, then fails (for fast-check to shrink) when the answer breaks a rule every answer must keep. */
  async send(request: FuzzRequest, gatewayAllowed = false): Promise<FuzzAnswer> {
    const answer = await this.exchange(request);
    const problems = answerProblems(answer, {
      gatewayAllowed,
      enforceTime: this.#parts.enforceTime,
      biOrigin: this.#parts.biOrigin,
      scim: !request.outsideBase,
    });
    if (problems.length > 0)
      throw new Error(`${problems.join('; ')}\n  request: ${describeRequest(request)}\n  answer: ${answer.status} ${answer.text.slice(0, 500)}`);
    return answer;
  }

  #remember(request: FuzzRequest, answer: FuzzAnswer): void {
    const kind = /^\/(Users|Groups)/.exec(request.path)?.[1] as 'Users' | 'Groups' | undefined;
    if (answer.status !== 201 || !kind) return;
    // A 201 whose body is not JSON has no id to remember.
    const id = (() => {
      try {
        return (JSON.parse(answer.text) as { id?: unknown }).id;
      } catch {
        return undefined;
      }
    })();
    if (typeof id === 'string') this.created[kind].add(id);
  }

  /** Every credential the run used, for the log scan. */
  secrets(): Secret[] {
    return [
      { name: 'bearer token', value: TOKEN },
      ...[...this.#strangerTokens].map((value) => ({ name: 'presented bearer token', value })),
      ...this.#parts.secrets(),
    ];
  }

  close(): Promise<void> {
    return this.#parts.close();
  }
}
