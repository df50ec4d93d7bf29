// The one HTTP client every adapter uses (undici), and the one mapping from BI failures to TargetError.
import { JSONParser, TokenizerError, TokenParserError } from '@streamparser/json';
import { Agent, errors as undiciErrors, request } from 'undici';
import { TargetError, type TargetErrorCode } from './target.ts';

export interface HttpCallSample {
  method: string;
  /** The route template (`/api/user/:id`), never the concrete path, so metrics stay bounded. */
  route: string;
  status: number | 'error';
  seconds: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  timeoutMs?: number;
  connections?: number;
  onCall?: (sample: HttpCallSample) => void;
}

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  /**
   * The caller needs only the status of a success: its body is read to the end (the connection stays reusable)
   * and dropped unparsed, and `body` is null. A failure's body is still parsed, for its error message.
   */
  discardBody?: boolean;
  /**
   * For a success too big to hold at once (a group of 100,000 members, Metabase's membership map): each value at
   * `path` (`$.members.*`, `$.*`) is handed to `onValue` as the body is parsed, then dropped; `body` is null.
   */
  each?: EachValue;
}

export interface EachValue {
  path: string;
  /** `key` is the value's property name or array index in its parent. */
  onValue: (value: unknown, key: string | number | undefined) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the BI tool answered JSON, the bare text otherwise; null for a success asked to discard it. */
  body: unknown;
}

export class HttpClient {
  private readonly origin: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly onCall: HttpClientOptions['onCall'];

  constructor({ baseUrl, timeoutMs = 15_000, connections = 16, onCall }: HttpClientOptions) {
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000 });
    this.onCall = onCall;
  }

  /**
   * Sends one request to `route` (with `:name` placeholders filled from params); throws TargetError only for transport
   * failures. A read that meets a connection the BI tool had already closed (a reset on a reused keep-alive
   * connection) is sent once more: reads change nothing, so repeating one is safe.
   */
  async call(method: string, route: string, options: CallOptions = {}): Promise<HttpResponse> {
    try {
      return await this.#send(method, route, options);
    } catch (err) {
      if (!(IDEMPOTENT.has(method) && isConnectionReset(err))) throw err;
      return this.#send(method, route, options);
    }
  }

  async #send(method: string, route: string, options: CallOptions): Promise<HttpResponse> {
    const path = this.prefix + fillRoute(route, options.params ?? {}) + queryString(options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const started = performance.now();
    let status: number | 'error' = 'error';
    try {
      const res = await request(this.origin + path, {
        method: method as 'GET',
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      if (options.discardBody && status >= 200 && status < 300) {
        // dump() reads at most `limit` bytes and closes the connection past that: read it all, keep the connection.
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        return { status, headers: res.headers, body: null };
      }
      if (options.each && status >= 200 && status < 300) {
        await parseEach(method, route, res.body, options.each);
        return { status, headers: res.headers, body: null };
      }
      const text = await res.body.text();
      return { status, headers: res.headers, body: parseBody(text, res.headers['content-type']) };
    } catch (err) {
      throw err instanceof TargetError ? err : transportError(method, route, err);
    } finally {
      this.onCall?.({ method, route, status, seconds: (performance.now() - started) / 1000 });
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD']);

/** The connection was closed under the request (not a refusal, a timeout or a bad answer). */
function isConnectionReset(err: unknown): boolean {
  const cause = err instanceof TargetError ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

function fillRoute(route: string, params: Record<string, string | number>): string {
  return route.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`missing route parameter ${name} for ${route}`);
    return encodeURIComponent(String(params[name]));
  });
}

function queryString(query: CallOptions['query']): string {
  if (!query) return '';
  const pairs = Object.entries(query).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined);
  return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function parseBody(text: string, contentType: string | string[] | undefined): unknown {
  const type = String(contentType ?? '');
  if (text !== '' && (type.includes('json') || /^[[{]/.test(text))) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Feeds the body through a streaming JSON parser; a body that is not whole JSON is an unexpected answer. */
async function parseEach(method: string, route: string, body: AsyncIterable<Buffer>, { path, onValue }: EachValue): Promise<void> {
  const parser = new JSONParser({ paths: [path], keepStack: false });
  parser.onValue = ({ value, key }) => onValue(value, key);
  const unexpected = (reason: string) => new TargetError('unexpected_answer', `${method} ${route} answered an unexpected body (${reason})`);
  try {
    for await (const chunk of body) parser.write(chunk);
  } catch (err) {
    if (err instanceof TokenizerError || err instanceof TokenParserError) throw unexpected(err.message);
    throw err;
  }
  if (!parser.isEnded) throw unexpected('it ends before its JSON does');
}

function transportError(method: string, route: string, err: unknown): TargetError {
  const timedOut =
    err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError;
  const reason = err instanceof Error ? err.message || err.name : String(err);
  return new TargetError(timedOut ? 'timeout' : 'unavailable', `${method} ${route}: ${reason}`, null, { cause: err });
}

/** BI HTTP status → neutral failure; RFC 7231 gateway semantics for the BI tool's own faults. */
const STATUS_CODES: ReadonlyArray<[(status: number) => boolean, TargetErrorCode]> = [
  [(s) => s === 400 || s === 422, 'invalid'],
  // The BI tool refusing bi-scim's own credentials is a gateway fault, not the IdP's.
  [(s) => s === 401 || s === 403, 'auth'],
  [(s) => s === 402, 'invalid'],
  [(s) => s === 404, 'not_found'],
  [(s) => s === 409, 'conflict'],
  [(s) => s === 429 || s === 502 || s === 503, 'unavailable'],
  [(s) => s === 504, 'timeout'],
];

/** The message a BI tool put in an error body: bare text, `message`, or the first of `errors`. */
export function describeBody(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string') return b.message;
    if (typeof b.msg === 'string') return b.msg;
    if (b.errors && typeof b.errors === 'object') {
      return Object.entries(b.errors as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('; ');
    }
    if (b.message && typeof b.message === 'object') return JSON.stringify(b.message).slice(0, 300);
  }
  return 'no detail';
}

/** The one mapping from a BI tool's non-success answer to a TargetError. */
export function upstreamError(method: string, route: string, res: HttpResponse): TargetError {
  const code = STATUS_CODES.find(([test]) => test(res.status))?.[1] ?? 'bad_gateway';
  const said = describeBody(res.body);
  return new TargetError(code, `${method} ${route} answered ${res.status}: ${said}`, res.status, {
    detail: `The BI tool refused the change (${res.status}): ${said}`,
  });
}
