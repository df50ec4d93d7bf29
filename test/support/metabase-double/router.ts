// The double's HTTP front in Metabase's middleware order (paging, JSON body, +auth, routes, catch-all 404), plus call log, faults and delay.
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetabaseCore, RequestContext, Route } from './core.ts';
import { PERMISSIONS_ROUTES } from './permissions-api.ts';
import { exceptionError, FORBIDDEN, MetabaseError, NO_ENDPOINT, NOT_FOUND, textError, UNAUTHENTICATED, type Reply } from './responses.ts';
import { OPEN_ROUTES } from './session-api.ts';
import { USER_ROUTES } from './users-api.ts';
import { KINDS, parsePaging, Schema } from './validation.ts';

export interface CallRecord {
  method: string;
  /** Without the query string. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** 0 until answered, and for a connection dropped by a fault. */
  status: number;
}

export interface FaultRule {
  method?: string;
  pathPrefix?: string;
  /** The status to answer with; 0 drops the connection without an answer. Unused with dropChange (Metabase's own status). */
  status: number;
  remaining: number;
  /** Apply the request as usual, then drop the connection: the change is made but its answer is lost. */
  afterApplying?: boolean;
  /** Answer `status` with this JSON instead (a body of a shape Metabase never sends). */
  body?: unknown;
  /** Answer exactly as Metabase would, then undo the change: a BI tool that acknowledges a write and drops it. */
  dropChange?: boolean;
}

export interface DoubleControls {
  calls: CallRecord[];
  faults: FaultRule[];
  delayMs: number;
}

export function createControls(delayMs = 0): DoubleControls {
  return { calls: [], faults: [], delayMs };
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

/** Route params are PositiveInts, so (as api.macros does) they only match digits: `/api/user/abc` has no route at all. */
function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([a-z-]+)/g, (_, name: string) => {
    names.push(name);
    return '([0-9]+)';
  });
  return { route, regex: new RegExp(`^${source}$`), names };
}

const ROUTES = [...OPEN_ROUTES, ...USER_ROUTES, ...PERMISSIONS_ROUTES].map(compile);

/** Prefixes wrapped in +auth (metabase.api-routes.routes): no caller means 401 before any route is looked up. */
const AUTH_PREFIXES = ['/api/user', '/api/permissions'];

export interface RawRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  headers: IncomingHttpHeaders;
  ip: string;
}

/** Only a JSON content type is parsed, as ring's JSON middleware does; anything else leaves the body empty. */
function parseBody(raw: RawRequest): Record<string, unknown> {
  if (!/^application\/json/i.test(raw.headers['content-type'] ?? '') || raw.body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw textError(400, 'Malformed JSON in request body.');
  }
}

function routeParams(found: CompiledRoute, match: RegExpExecArray): Record<string, number> {
  const params = Object.fromEntries(found.names.map((name, i) => [name, Number(match[i + 1])]));
  const schema = new Schema(params);
  for (const name of found.names) schema.check(name, KINDS.positiveInt, { required: true });
  schema.done();
  return params;
}

function dispatch(core: MetabaseCore, raw: RawRequest): Reply {
  const paging = parsePaging(raw.query);
  const body = parseBody(raw);
  if (!raw.path.startsWith('/api/')) throw textError(404, NOT_FOUND);
  const caller = core.auth.currentUser(raw.headers);
  if (!caller && AUTH_PREFIXES.some((p) => raw.path === p || raw.path.startsWith(`${p}/`))) throw textError(401, UNAUTHENTICATED);
  for (const found of ROUTES) {
    const match = found.route.method === raw.method ? found.regex.exec(raw.path) : null;
    if (!match) continue;
    const ctx: RequestContext = { ...raw, core, body, paging, caller, params: routeParams(found, match) };
    const handle = () => found.route.handle(ctx);
    // Each request is one app-DB transaction: a failure leaves no partial change behind.
    return raw.method === 'GET' ? handle() : core.directory.transaction(handle);
  }
  throw textError(404, NO_ENDPOINT);
}

/** The answer Metabase gives to one request; anything unexpected becomes a 500 with a stack-trace-shaped body. */
export function answer(core: MetabaseCore, raw: RawRequest): Reply {
  try {
    return dispatch(core, raw);
  } catch (err) {
    if (err instanceof MetabaseError) return err.reply;
    return exceptionError(500, (err as Error).message, { javaClass: 'java.lang.RuntimeException' }).reply;
  }
}

/** What an injected fault answers: Metabase's own wording for the statuses it uses. */
const FAULT_BODIES: Record<number, string> = {
  401: UNAUTHENTICATED,
  403: FORBIDDEN,
  404: NOT_FOUND,
  503: 'Metabase is still initializing. Please sit tight...',
};

const DROPPED = Symbol('dropped');

/** Metabase's own answer to a write whose change is then rolled back, as if the app DB had silently lost it. */
function answerAndDrop(core: MetabaseCore, raw: RawRequest): Reply {
  let reply: Reply | undefined;
  try {
    core.directory.transaction(() => {
      reply = answer(core, raw);
      throw DROPPED;
    });
  } catch (err) {
    if (err !== DROPPED) throw err;
  }
  return reply!;
}

function faultReply({ status, body }: FaultRule): Reply {
  if (body !== undefined) return { status, body: body as Reply['body'] };
  if (status === 500) return exceptionError(500, 'Injected failure').reply;
  return { status, body: FAULT_BODIES[status] ?? `Injected failure (${status})` };
}

function takeFault(controls: DoubleControls, method: string, path: string): FaultRule | undefined {
  const fault = controls.faults.find(
    (f) => f.remaining > 0 && (!f.method || f.method.toUpperCase() === method) && (!f.pathPrefix || path.startsWith(f.pathPrefix)),
  );
  if (fault) fault.remaining--;
  return fault;
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | string[]> = { ...reply.headers };
  let payload: string | undefined;
  if (typeof reply.body === 'string') {
    headers['content-type'] = 'text/plain; charset=utf-8';
    payload = reply.body;
  } else if (reply.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    payload = JSON.stringify(reply.body);
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function serve(core: MetabaseCore, controls: DoubleControls, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://metabase.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const call: CallRecord = { method, path: url.pathname, query: url.search.slice(1), status: 0 };
  controls.calls.push(call);
  if (controls.delayMs > 0) await sleep(controls.delayMs);
  const fault = takeFault(controls, method, url.pathname);
  const raw: RawRequest = { method, path: url.pathname, query: url.searchParams, body, headers: req.headers, ip: req.socket.remoteAddress ?? '127.0.0.1' };
  if (fault?.afterApplying) answer(core, raw);
  if (fault?.status === 0 && !fault.dropChange) {
    req.socket.destroy();
    return;
  }
  const reply = fault?.dropChange ? answerAndDrop(core, raw) : fault ? faultReply(fault) : answer(core, raw);
  call.status = reply.status;
  send(res, reply);
}

/** A node:http listener serving `core`; usable on any server (the demo mounts it on a fixed port). */
export function createMetabaseHandler(core: MetabaseCore, controls: DoubleControls = createControls()): RequestListener {
  return (req, res) => {
    serve(core, controls, req, res).catch(() => req.socket.destroy());
  };
}
