// Who is calling: API keys, sessions (login, logout, expiry) and the login throttlers of POST /api/session.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Directory, DoubleUser } from './directory.ts';
import { fieldError, MetabaseError } from './responses.ts';
import { nowIso } from './rules.ts';

export const SESSION_COOKIE = 'metabase.SESSION';

interface Session {
  userId: number;
  createdAt: number;
}

/** metabase/throttle defaults: an hour of memory, 10 attempts, then 15 s × (attempts over the threshold)^1.5. */
const THROTTLE = { ttlMs: 60 * 60 * 1000, initialDelayMs: 15_000, exponent: 1.5 };

/** POST /api/session keeps two throttlers, both reporting under `username`: per username (10) and per IP (50). */
class Throttler {
  private readonly threshold: number;
  private readonly failures = new Map<string, number[]>();

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  /**
   * Failed attempts are remembered; the attempt after `threshold` recent failures must wait, counted from the
   * latest failure. The double remembers failures only (successful logins do not count against anyone).
   */
  check(key: string, now: number): void {
    const recent = (this.failures.get(key) ?? []).filter((at) => at > now - THROTTLE.ttlMs);
    this.failures.set(key, recent);
    const over = recent.length + 1 - this.threshold;
    if (over <= 0) return;
    const waitMs = recent[recent.length - 1] + over ** THROTTLE.exponent * THROTTLE.initialDelayMs - now;
    if (waitMs > 0) {
      const seconds = Math.round(waitMs / 1000);
      throw fieldError('username', `Too many attempts! You must wait ${seconds} seconds before trying again.`, 401);
    }
  }

  recordFailure(key: string, now: number): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), now]);
  }
}

/** Cookie header → name/value pairs. */
function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
  }
  return cookies;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export interface LoginResult {
  id: string;
  cookies: string[];
}

export class Authenticator {
  private readonly directory: Directory;
  private readonly apiKey: string;
  private readonly apiKeyUserId: number;
  private readonly maxSessionAgeMs: number;
  private readonly sessions = new Map<string, Session>();
  private readonly throttlers = { username: new Throttler(10), ip: new Throttler(50) };
  loginCount = 0;

  constructor(directory: Directory, apiKey: string, apiKeyUserId: number, maxSessionAgeMinutes: number) {
    this.directory = directory;
    this.apiKey = apiKey;
    this.apiKeyUserId = apiKeyUserId;
    this.maxSessionAgeMs = maxSessionAgeMinutes * 60_000;
  }

  /** The session key as the session middleware finds it: the `metabase.SESSION` cookie, else `X-Metabase-Session`. */
  sessionKey(headers: IncomingHttpHeaders): string | undefined {
    return readCookies(headers.cookie).get(SESSION_COOKIE) ?? single(headers['x-metabase-session']);
  }

  /**
   * The calling user, or null (→ 401 `Unauthenticated`): a live session first, else the API key. Unknown, expired
   * and inactive-user sessions count as none.
   */
  currentUser(headers: IncomingHttpHeaders): DoubleUser | null {
    const key = this.sessionKey(headers);
    const sessionUser = key === undefined ? null : this.sessionUser(key);
    if (sessionUser) return sessionUser;
    const apiKey = single(headers['x-api-key']);
    if (apiKey === undefined || apiKey !== this.apiKey) return null;
    const user = this.directory.user(this.apiKeyUserId);
    return user?.is_active ? user : null;
  }

  private sessionUser(key: string): DoubleUser | null {
    const session = this.sessions.get(key);
    if (!session || session.createdAt <= Date.now() - this.maxSessionAgeMs) return null;
    const user = this.directory.user(session.userId);
    return user?.is_active ? user : null;
  }

  /**
   * POST /api/session: the same 401 for an unknown user and a wrong password; an inactive user with the right
   * password hears that the account is disabled; throttled attempts never reach the password check.
   */
  logIn(username: string, password: string, ip: string): LoginResult {
    const now = Date.now();
    this.throttlers.ip.check(ip, now);
    this.throttlers.username.check(username, now);
    const user = this.directory.userByEmail(username);
    if (!user || user.password === null || user.password !== password) {
      this.throttlers.ip.recordFailure(ip, now);
      this.throttlers.username.recordFailure(username, now);
      throw fieldError('password', 'did not match stored password', 401);
    }
    if (!user.is_active) throw fieldError('_error', 'Your account is disabled.', 401);
    const id = randomUUID();
    this.sessions.set(id, { userId: user.id, createdAt: now });
    this.loginCount++;
    const loggedInAt = nowIso();
    this.directory.updateUser(user.id, { last_login: loggedInAt, updated_at: loggedInAt });
    return {
      id,
      cookies: [`${SESSION_COOKIE}=${id};HttpOnly;Path=/;SameSite=Lax`, 'metabase.TIMEOUT=alive;Path=/;SameSite=Lax'],
    };
  }

  /** DELETE /api/session: 404 without a session key or for one that is not stored. */
  logOut(key: string | undefined): void {
    if (key === undefined || !this.sessions.delete(key)) throw new MetabaseError(404, 'Not found.');
  }

  /** Deactivation revokes the person's sessions (newer Metabase). */
  revokeSessionsOf(userId: number): void {
    for (const [key, session] of this.sessions) if (session.userId === userId) this.sessions.delete(key);
  }

  expireSessions(): void {
    this.sessions.clear();
  }
}
