// An IdP-like SCIM client: bounded retries on 5xx, 429, timeouts and connection errors, Retry-After honoured up to a cap, every attempt counted.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Okta and Entra give up on an answer after 60 s; the suite scales that down to stay bounded. */
  timeoutMs: number;
  maxTries: number;
  /** A Retry-After longer than this is cut to it (Okta would wait the full time, or 5 minutes without one). */
  retryAfterCapMs: number;
  /** The first wait without Retry-After; it doubles per try, up to retryAfterCapMs. */
  backoffMs: number;
}

export const IDP_RETRY: RetryPolicy = { timeoutMs: 3_000, maxTries: 6, retryAfterCapMs: 1_000, backoffMs: 200 };

/** What a request does, so a scenario can send some kinds twice at once (duplicates, racing replicas). */
export type RequestKind = 'read' | 'create' | 'members' | 'write';

/** The SCIM base URLs one request goes to: more than one means identical copies racing each other. */
export type Routing = (kind: RequestKind) => string[];

export interface Answer {
  /** 0 when no answer came back after the last try (timeout or connection error). */
  status: number;
  body: any;
}

export interface ClientStats {
  /** Every HTTP attempt, copies and retries included. */
  requests: number;
  retries: number;
  serverErrors: number;
  throttled: number;
  timeouts: number;
  connectionErrors: number;
  /** Requests still failing after the last try. */
  gaveUp: number;
}

const emptyStats = (): ClientStats => ({ requests: 0, retries: 0, serverErrors: 0, throttled: 0, timeouts: 0, connectionErrors: 0, gaveUp: 0 });

function retryable(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** Best first: success, then the answers an IdP acts on (409 links, 404 means gone), then failures. */
function rank(answer: Answer): number {
  if (answer.status >= 200 && answer.status < 300) return 0;
  if (answer.status === 409) return 1;
  if (answer.status === 404) return 2;
  if (answer.status > 0 && answer.status < 500) return 3;
  return 4;
}

export class IdpClient {
  readonly stats: ClientStats = emptyStats();
  private readonly token: string;
  private readonly policy: RetryPolicy;
  routing: Routing;

  constructor(token: string, routing: Routing, policy: RetryPolicy = IDP_RETRY) {
    this.token = token;
    this.routing = routing;
    this.policy = policy;
  }

  /** Sends the request to every base URL the routing names at once and acts on the best answer. */
  async send(method: string, path: string, body: unknown, kind: RequestKind): Promise<Answer> {
    const answers = await Promise.all(this.routing(kind).map((base) => this.withRetries(base, method, path, body)));
    return answers.sort((a, b) => rank(a) - rank(b))[0];
  }

  private async withRetries(base: string, method: string, path: string, body: unknown): Promise<Answer> {
    let answer: Answer = { status: 0, body: null };
    for (let attempt = 1; attempt <= this.policy.maxTries; attempt++) {
      if (attempt > 1) this.stats.retries++;
      const { answer: got, retryAfterMs } = await this.attempt(base, method, path, body);
      answer = got;
      if (!retryable(answer.status)) return answer;
      if (attempt < this.policy.maxTries) {
        const backoff = this.policy.backoffMs * 2 ** (attempt - 1);
        await sleep(Math.min(retryAfterMs ?? backoff, this.policy.retryAfterCapMs));
      }
    }
    this.stats.gaveUp++;
    return answer;
  }

  private async attempt(base: string, method: string, path: string, body: unknown): Promise<{ answer: Answer; retryAfterMs?: number }> {
    this.stats.requests++;
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      const text = await res.text();
      if (res.status >= 500) this.stats.serverErrors++;
      if (res.status === 429) this.stats.throttled++;
      const seconds = Number(res.headers.get('retry-after'));
      return {
        answer: { status: res.status, body: parse(text) },
        retryAfterMs: Number.isInteger(seconds) && seconds >= 0 && res.headers.has('retry-after') ? seconds * 1000 : undefined,
      };
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') this.stats.timeouts++;
      else this.stats.connectionErrors++;
      return { answer: { status: 0, body: null } };
    }
  }
}

function parse(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
