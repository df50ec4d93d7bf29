// Superset authentication (one JWT shared by all requests, renewed before it expires) and the security API's JSON calls.
import { ApiClient, SingleFlight, type Caller } from '../api-client.ts';
import { describeBody, upstreamError, type CallOptions, type HttpClient, type HttpResponse } from '../http.ts';
import { TargetError } from '../target.ts';
import { z } from 'zod';
import { PAGE_SIZE, isUnregisteredApi, listPage, listQuery, supersetError, type Filter } from './payloads.ts';

export interface SupersetCredentials {
  username: string;
  password: string;
}

export interface SessionOptions {
  /** The clock that decides when a token is due for renewal (milliseconds, like Date.now). */
  now?: () => number;
}

interface Tokens {
  access: string;
  refresh: string | null;
  /** Local-clock instants: the token's own lifetime (exp − iat) counted from receipt, so clock skew does not matter. */
  renewAt: number;
  expiresAt: number;
}

const LOGIN_ROUTE = '/api/v1/security/login';
const REFRESH_ROUTE = '/api/v1/security/refresh';
/** Renew a minute before expiry, or with a quarter of the lifetime left when tokens live under four minutes. */
const RENEW_SHARE = 0.25;
const RENEW_MAX_MS = 60_000;
/** flask-jwt-extended's default, used when a token carries no readable exp/iat. */
const DEFAULT_LIFETIME_MS = 15 * 60_000;
/** Paging is bounded: a list longer than this fails loudly instead of being read without end. */
const MAX_LIST_ROWS = 50_000;
/** A name lookup whose `sw` prefix matches more candidates than this is refused. */
const MAX_LOOKUP_ROWS = 1_000;

function tokenLifetimeMs(jwt: string): number {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown };
    if (typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
  } catch {
    // not a JWT we can read: fall back to the default lifetime
  }
  return DEFAULT_LIFETIME_MS;
}

/**
 * A token Superset no longer accepts: 401 from flask-jwt-extended (`msg`: expired, user gone or inactive) or FAB
 * (`message`: Not authorized), or 422 with `msg` for a token it cannot decode (superset-api.md §2.3).
 */
function isRejectedToken(res: HttpResponse): boolean {
  const body = res.body as { msg?: unknown } | null;
  return res.status === 401 || (res.status === 422 && typeof body?.msg === 'string');
}

/** Login refusals, first match wins: each names what the operator has to change. */
const LOGIN_REFUSALS: ReadonlyArray<[(res: HttpResponse, detail: string) => boolean, (user: string) => TargetError]> = [
  [
    (res) => res.status === 404,
    () =>
      new TargetError(
        'bad_gateway',
        `Superset has no ${LOGIN_ROUTE}: keep FAB_ADD_SECURITY_VIEWS on and set FAB_ADD_SECURITY_API = True in superset_config.py`,
        404,
      ),
  ],
  [
    (_, detail) => /alternative authentication provider/i.test(detail),
    (user) =>
      new TargetError('auth', `Superset refused the database login of "${user}" because it uses SSO: set AUTH_API_LOGIN_ALLOW_MULTIPLE_PROVIDERS = True`, 400),
  ],
  [
    (res) => res.status === 401,
    (user) => new TargetError('auth', `Superset refused the login of "${user}": wrong password, an inactive account, or not a database (AUTH_DB) user`, 401),
  ],
];

export class SupersetSession implements Caller {
  readonly username: string;
  private readonly http: HttpClient;
  private readonly password: string;
  private readonly now: () => number;
  private tokens: Tokens | null = null;
  private readonly renewal = new SingleFlight<Tokens>();

  constructor(http: HttpClient, { username, password }: SupersetCredentials, { now = Date.now }: SessionOptions = {}) {
    this.http = http;
    this.username = username;
    this.password = password;
    this.now = now;
  }

  /** One authenticated call; a token Superset rejects is replaced by one fresh login, never in a loop. */
  async call(method: string, route: string, options: CallOptions = {}): Promise<HttpResponse> {
    const used = await this.currentTokens();
    const res = await this.withToken(method, route, options, used.access);
    if (!isRejectedToken(res)) return res;
    const fresh = await this.renew(used, false);
    return this.withToken(method, route, options, fresh.access);
  }

  private withToken(method: string, route: string, options: CallOptions, access: string): Promise<HttpResponse> {
    // Bearer only, no cookies: the FAB security API is CSRF-exempt, and a session cookie would outrank the JWT.
    return this.http.call(method, route, { ...options, headers: { ...options.headers, authorization: `Bearer ${access}` } });
  }

  private currentTokens(): Promise<Tokens> {
    const tokens = this.tokens;
    if (tokens && this.now() < tokens.renewAt) return Promise.resolve(tokens);
    return this.renew(tokens, true);
  }

  /** Single-flight: concurrent callers share one renewal, and tokens renewed meanwhile are reused as they are. */
  private renew(stale: Tokens | null, mayRefresh: boolean): Promise<Tokens> {
    if (this.tokens && this.tokens !== stale) return Promise.resolve(this.tokens);
    return this.renewal.run(() => this.obtain(mayRefresh ? stale : null));
  }

  /** The refresh token is cheaper than a login (no password check, no login_count write); a login is the fallback. */
  private async obtain(stale: Tokens | null): Promise<Tokens> {
    const refreshed = stale?.refresh && this.now() < stale.expiresAt ? await this.refreshWith(stale.refresh) : null;
    this.tokens = refreshed ?? (await this.logIn());
    return this.tokens;
  }

  private async refreshWith(refresh: string): Promise<Tokens | null> {
    const res = await this.http.call('POST', REFRESH_ROUTE, { headers: { authorization: `Bearer ${refresh}` } });
    const access = (res.body as { access_token?: unknown } | null)?.access_token;
    return res.status === 200 && typeof access === 'string' ? this.toTokens(access, refresh) : null;
  }

  private async logIn(): Promise<Tokens> {
    const res = await this.http.call('POST', LOGIN_ROUTE, {
      json: { username: this.username, password: this.password, provider: 'db', refresh: true },
    });
    const body = res.body as { access_token?: unknown; refresh_token?: unknown } | null;
    if (res.status === 200 && typeof body?.access_token === 'string') {
      return this.toTokens(body.access_token, typeof body.refresh_token === 'string' ? body.refresh_token : null);
    }
    this.tokens = null;
    const detail = describeBody(res.body);
    const refusal = LOGIN_REFUSALS.find(([test]) => test(res, detail));
    if (refusal) throw refusal[1](this.username);
    // Superset's own faults (5xx, 429) stay gateway errors; any other refusal is about the credentials.
    if (res.status >= 500 || res.status === 429) throw upstreamError('POST', LOGIN_ROUTE, res);
    throw new TargetError('auth', `Superset login of "${this.username}" failed (${res.status}): ${detail}`, res.status);
  }

  private toTokens(access: string, refresh: string | null): Tokens {
    const lifetime = tokenLifetimeMs(access);
    const received = this.now();
    return { access, refresh, renewAt: received + lifetime - Math.min(lifetime * RENEW_SHARE, RENEW_MAX_MS), expiresAt: received + lifetime };
  }

  /** Superset keeps no server-side JWT session, so there is nothing to log out of. */
  close(): void {
    this.tokens = null;
  }
}

/** JSON calls to the security API with FAB's paging and name lookups. */
export class SupersetApi extends ApiClient {
  constructor(session: SupersetSession) {
    super(session, {
      toError: (method, route, res) => supersetError(method, route, res, session.username),
      isMissingRow: (route, res) => !isUnregisteredApi(route, res),
    });
  }

  /** Every row matching `filters`, in ascending id, page by page; a list longer than `maxRows` fails instead of looping on. */
  async list<S extends z.ZodType>(route: string, filters: Filter[], row: S, columns?: string[], maxRows = MAX_LIST_ROWS): Promise<Array<z.output<S>>> {
    const rows: Array<z.output<S>> = [];
    const page = listPage(row);
    for (let number = 0; number * PAGE_SIZE < maxRows; number++) {
      const body = await this.must('GET', route, { query: { q: listQuery(filters, number, PAGE_SIZE, columns) } }, page);
      rows.push(...body.result);
      if (body.result.length < PAGE_SIZE || rows.length >= body.count) return rows;
    }
    throw new TargetError('bad_gateway', `Superset ${route} matches more than ${maxRows} rows; bi-scim reads no further`);
  }

  /**
   * Exact, case-insensitive match. FAB's `eq` is SQL `=` (case-sensitive on SQLite and PostgreSQL) while `sw` is
   * ILIKE 'value%' with `_` and `%` acting as wildcards: `sw` narrows to candidates and the comparison is made here.
   */
  async findByName<S extends z.ZodObject>(route: string, col: string, value: string, row: S, columns?: string[]): Promise<z.output<S> | null> {
    const rows = await this.list(route, [{ col, opr: 'sw', value }], row.extend({ [col]: z.string() }), columns, MAX_LOOKUP_ROWS);
    return (rows.find((r) => String((r as Record<string, unknown>)[col]).toLowerCase() === value.toLowerCase()) as z.output<S> | undefined) ?? null;
  }
}
