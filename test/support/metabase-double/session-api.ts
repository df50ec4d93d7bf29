// Metabase's routes outside +auth: POST/DELETE /api/session (login, logout) and GET /api/health.
import { SESSION_COOKIE } from './auth.ts';
import type { RequestContext, Route } from './core.ts';
import { json, type Reply } from './responses.ts';
import { KINDS, Schema } from './validation.ts';

/** 200 `{"id": "<uuid>"}` plus the session cookies; every failure is a 401 with `errors` (metabase-api.md §3.2). */
function logIn(ctx: RequestContext): Reply {
  new Schema(ctx.body).check('username', KINDS.nonBlankString, { required: true }).check('password', KINDS.nonBlankString, { required: true }).done();
  const session = ctx.core.auth.logIn(ctx.body.username as string, ctx.body.password as string, ctx.ip);
  return { ...json({ id: session.id }), headers: { 'set-cookie': session.cookies } };
}

function logOut(ctx: RequestContext): Reply {
  ctx.core.auth.logOut(ctx.core.auth.sessionKey(ctx.headers));
  return { status: 204, headers: { 'set-cookie': [`${SESSION_COOKIE}=;Expires=Thu, 01 Jan 1970 00:00:00 GMT;Path=/`] } };
}

function health(): Reply {
  return json({ status: 'ok' });
}

export const OPEN_ROUTES: Route[] = [
  { method: 'POST', path: '/api/session', handle: logIn },
  { method: 'DELETE', path: '/api/session', handle: logOut },
  { method: 'GET', path: '/api/health', handle: health },
];
