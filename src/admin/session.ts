// Console sign-in: an admin token buys an HttpOnly, SameSite=Strict session cookie; the session lives in the store,
// so every replica honours it, and carries the CSRF token that the one action (and sign-out) must echo.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { MappingStore } from '../store/mapping-store.ts';
import { sha256Hex, type NamedToken } from '../tokens.ts';

export const SESSION_COOKIE = 'bi_scim_console';
/** A session ends this long after sign-in, whatever happens in between. */
export const SESSION_TTL_MS = 8 * 3_600_000;

export interface ConsoleSession {
  /** The admin token's name: who the audit trail says approved. */
  name: string;
  /** Which token signed in, so removing it from BI_SCIM_ADMIN_TOKENS ends its sessions. */
  tokenSha256: string;
  csrf: string;
  createdAt: string;
}

export type ConsoleEnv = { Variables: { session: ConsoleSession } };

/** The stored key holds the session id's hash, so reading the store does not hand out sessions. */
const sessionKey = (id: string) => `console:session:${sha256Hex(id)}`;

const sameSecret = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The admin token `secret` stands for, compared by hash in constant time; IdP tokens are never in this list. */
export function findAdminToken(tokens: NamedToken[], secret: string): NamedToken | undefined {
  const hash = sha256Hex(secret);
  return tokens.find((t) => sameSecret(t.sha256, hash));
}

export interface SessionOptions {
  store: MappingStore;
  tokens: NamedToken[];
  /** Believe X-Forwarded-Proto for the cookie's Secure flag (BI_SCIM_TRUST_PROXY). */
  trustProxy: boolean;
  now?: () => number;
}

export function consoleSessions({ store, tokens, trustProxy, now = Date.now }: SessionOptions) {
  const overHttps = (c: Context) =>
    new URL(c.req.url).protocol === 'https:' || (trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0].trim() === 'https');

  async function current(c: Context): Promise<ConsoleSession | null> {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id || !/^[\w-]{43}$/.test(id)) return null;
    const session = (await store.getValue(sessionKey(id))) as ConsoleSession | null;
    if (!session || !tokens.some((t) => t.sha256 === session.tokenSha256 && t.name === session.name)) return null;
    return session;
  }

  return {
    current,

    async signIn(c: Context, token: NamedToken): Promise<void> {
      const id = randomBytes(32).toString('base64url');
      const session: ConsoleSession = {
        name: token.name,
        tokenSha256: token.sha256,
        csrf: randomBytes(32).toString('base64url'),
        createdAt: new Date(now()).toISOString(),
      };
      await store.setValue(sessionKey(id), session, SESSION_TTL_MS);
      setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/', maxAge: SESSION_TTL_MS / 1000 });
    },

    async signOut(c: Context): Promise<void> {
      const id = getCookie(c, SESSION_COOKIE);
      if (id) await store.deleteValue(sessionKey(id));
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overHttps(c), httpOnly: true, sameSite: 'Strict' });
    },

    /** Pages need a session; without one, the browser is sent to sign in. */
    required(): MiddlewareHandler<ConsoleEnv> {
      return async function requireSession(c, next) {
        const session = await current(c);
        if (!session) return c.redirect('/sign-in', 303);
        c.set('session', session);
        await next();
      };
    },
  };
}

/** A form post must carry the session's CSRF token; SameSite=Strict is the first wall, this the second. */
export function csrfMatches(session: ConsoleSession, submitted: unknown): boolean {
  return typeof submitted === 'string' && sameSecret(session.csrf, submitted);
}

const hostOf = (origin: string) => (URL.canParse(origin) ? new URL(origin).host : null);

/**
 * Posts from another origin are refused before anything else (browsers send Origin and Sec-Fetch-Site with them).
 * Behind a trusted proxy that rewrites Host, the browser's host is the first X-Forwarded-Host.
 */
export function sameOriginPosts(trustProxy: boolean): MiddlewareHandler {
  return async function sameOriginPosts(c, next) {
    if (c.req.method === 'POST') {
      const origin = c.req.header('origin');
      const site = c.req.header('sec-fetch-site');
      const forwarded = trustProxy ? c.req.header('x-forwarded-host')?.split(',')[0].trim() : undefined;
      const host = forwarded || c.req.header('host');
      if ((origin !== undefined && hostOf(origin) !== host) || (site && site !== 'same-origin' && site !== 'none')) {
        return c.text('Cross-site requests are refused.', 403);
      }
    }
    await next();
  };
}
