// createConsoleApp(deps): the operator console on its own port: sign-in, six read-only pages, one audited action.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseDuration } from '../commands/output.ts';
import type { NamedToken } from '../tokens.ts';
import type { ConsoleDeps, PageInput, PageOutput } from './deps.ts';
import { h, notice, PAGES, renderPage } from './layout.ts';
import { activityPage } from './pages/activity.ts';
import { auditExport, auditPage } from './pages/audit.ts';
import { driftPage } from './pages/drift.ts';
import { APPROVAL_CHOICES, guardPage } from './pages/guard.ts';
import { mappingsPage } from './pages/mappings.ts';
import { overviewPage } from './pages/overview.ts';
import { consoleSessions, csrfMatches, findAdminToken, sameOriginPosts, type ConsoleEnv, type ConsoleSession } from './session.ts';
import { CONSOLE_CSS, CONSOLE_CSS_PATH } from './style.ts';

/** Nothing runs in the page and nothing loads from elsewhere: styles from this origin, forms post back to it. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The console's forms hold a token or a few fields. */
const MAX_FORM_BYTES = 16 * 1024;

export interface ConsoleOptions extends ConsoleDeps {
  /** The admin tokens (BI_SCIM_ADMIN_TOKENS); the IdPs' tokens are never among them. */
  adminTokens: NamedToken[];
  trustProxy: boolean;
}

const HANDLERS: Record<(typeof PAGES)[number]['path'], (input: PageInput) => Promise<PageOutput>> = {
  '/': overviewPage,
  '/activity': activityPage,
  '/audit': auditPage,
  '/drift': driftPage,
  '/guard': guardPage,
  '/mappings': mappingsPage,
};

function signInForm(problem: string | null): Promise<string> {
  return renderPage({
    title: 'Sign in',
    path: '/sign-in',
    session: null,
    content: [
      h(
        'form',
        { method: 'post', action: '/sign-in', class: 'signin' },
        ...(problem ? [notice(problem, 'bad')] : []),
        h('label', { for: 'token' }, 'Admin token'),
        h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-hint' }),
        h('p', { id: 'token-hint', class: 'muted' }, 'One of BI_SCIM_ADMIN_TOKENS. The IdPs’ SCIM tokens do not open the console.'),
        h('button', { type: 'submit' }, 'Sign in'),
      ),
    ],
  });
}

export function createConsoleApp(options: ConsoleOptions): Hono<ConsoleEnv> {
  const deps = { now: Date.now, ...options };
  const { logger } = deps;
  const sessions = consoleSessions({ store: deps.provisioning.store, tokens: deps.adminTokens, trustProxy: deps.trustProxy, now: deps.now });
  const app = new Hono<ConsoleEnv>({ strict: false });

  app.use(async function securityHeaders(c, next) {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer, Chromium sends `Origin: null` on the console's own form posts.
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.use(sameOriginPosts(deps.trustProxy), bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('The form is too large.', 413) }));
  app.onError(async (err, c) => {
    logger.error({ err, path: c.req.path }, 'console page failed');
    return c.html(
      await renderPage({ title: 'Something failed', path: '', session: null, content: [notice('This page could not be read; the log says why.', 'bad')] }),
      500,
    );
  });
  app.notFound(async (c) =>
    c.html(await renderPage({ title: 'Not found', path: '', session: null, content: [h('p', null, h('a', { href: '/' }, 'Overview'))] }), 404),
  );

  app.get(CONSOLE_CSS_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  app.get('/sign-in', async (c) => ((await sessions.current(c)) ? c.redirect('/', 303) : c.html(await signInForm(null))));
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? findAdminToken(deps.adminTokens, form.token.trim()) : undefined;
    if (!token) {
      logger.warn({ ip: c.req.header('x-forwarded-for') ?? null }, 'console sign-in refused: not an admin token');
      return c.html(await signInForm('That is not an admin token.'), 401);
    }
    await sessions.signIn(c, token);
    logger.info({ admin: token.name }, 'console sign-in');
    return c.redirect('/', 303);
  });

  const pages = new Hono<ConsoleEnv>({ strict: false });
  pages.use(sessions.required());
  pages.post('/sign-out', async (c) => {
    if (!csrfMatches(c.get('session'), (await c.req.parseBody()).csrf)) return refused(c);
    await sessions.signOut(c);
    return c.redirect('/sign-in', 303);
  });
  pages.post('/guard/approve', async (c) => {
    const session = c.get('session');
    const form = await c.req.parseBody();
    if (!csrfMatches(session, form.csrf)) return refused(c);
    const choice = APPROVAL_CHOICES.find((a) => a.value === form.for);
    if (!choice) return show(c, '/guard', { status: 400, content: [notice('Choose how long to approve for.', 'bad')] });
    await deps.guard.approve(parseDuration(choice.value), session.name);
    logger.info({ admin: session.name, for: choice.value }, 'guard approved from the console');
    return c.redirect('/guard?approved=1', 303);
  });
  pages.get('/audit/export', async (c) => {
    const result = await auditExport(deps.provisioning.store, c.req.query());
    if ('error' in result) return show(c, '/audit', { status: 400, content: [notice(`The export could not be made: ${result.error}`, 'bad')] });
    const [type, file] =
      result.format === 'csv' ? ['text/csv; charset=utf-8', 'bi-scim-audit.csv'] : ['application/x-ndjson; charset=utf-8', 'bi-scim-audit.jsonl'];
    return c.body(result.body, 200, { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${file}"` });
  });
  for (const { path } of PAGES) {
    pages.get(path, async (c) => show(c, path, await HANDLERS[path]({ deps, query: c.req.query(), session: c.get('session') })));
  }
  app.route('/', pages);
  return app;

  async function show(c: Context<ConsoleEnv>, path: string, output: PageOutput) {
    const title = PAGES.find((p) => p.path === path)?.title ?? 'bi-scim';
    return c.html(await renderPage({ title, path, session: c.get('session') as ConsoleSession, content: output.content }), output.status ?? 200);
  }

  async function refused(c: Context<ConsoleEnv>) {
    return show(c, '', { status: 403, content: [notice('This form was stale or came from elsewhere; reload the page and try again.', 'bad')] });
  }
}
