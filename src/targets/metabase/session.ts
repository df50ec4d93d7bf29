// Metabase authentication: an API key, or one cached session shared by all requests (Metabase throttles logins).
import { SingleFlight, type Caller } from '../api-client.ts';
import { describeBody, type CallOptions, type HttpClient, type HttpResponse } from '../http.ts';
import { TargetError } from '../target.ts';

export type MetabaseCredentials = { apiKey: string } | { username: string; password: string };

export class MetabaseSession implements Caller {
  private readonly http: HttpClient;
  private readonly credentials: MetabaseCredentials;
  private sessionId: string | null = null;
  private readonly login = new SingleFlight<string>();

  constructor(http: HttpClient, credentials: MetabaseCredentials) {
    this.http = http;
    this.credentials = credentials;
  }

  /** One authenticated call; a session that Metabase no longer accepts is renewed once, never in a loop. */
  async call(method: string, route: string, options: CallOptions = {}): Promise<HttpResponse> {
    if ('apiKey' in this.credentials) {
      return this.http.call(method, route, { ...options, headers: { ...options.headers, 'x-api-key': this.credentials.apiKey } });
    }
    const used = await this.currentSession();
    const res = await this.withSession(method, route, options, used);
    if (res.status !== 401) return res;
    return this.withSession(method, route, options, await this.renew(used));
  }

  private withSession(method: string, route: string, options: CallOptions, sessionId: string): Promise<HttpResponse> {
    return this.http.call(method, route, { ...options, headers: { ...options.headers, 'x-metabase-session': sessionId } });
  }

  private currentSession(): Promise<string> {
    return this.sessionId ? Promise.resolve(this.sessionId) : this.renew(null);
  }

  /** Single-flight: concurrent 401s share one login, and a session renewed meanwhile is reused. */
  private renew(stale: string | null): Promise<string> {
    if (this.sessionId && this.sessionId !== stale) return Promise.resolve(this.sessionId);
    return this.login.run(() => this.logIn());
  }

  private async logIn(): Promise<string> {
    const { username, password } = this.credentials as { username: string; password: string };
    const res = await this.http.call('POST', '/api/session', { json: { username, password } });
    const id = (res.body as { id?: unknown } | null)?.id;
    if (res.status === 200 && typeof id === 'string') {
      this.sessionId = id;
      return id;
    }
    this.sessionId = null;
    const detail = describeBody(res.body);
    // Throttled logins answer 401/400 with errors.username; retrying sooner only lengthens the wait.
    const code = /too many attempts/i.test(detail) ? 'unavailable' : 'auth';
    throw new TargetError(code, `Metabase login as ${username} failed (${res.status}): ${detail}`, res.status);
  }

  async close(): Promise<void> {
    if (!this.sessionId) return;
    await this.withSession('DELETE', '/api/session', {}, this.sessionId).catch(() => undefined);
    this.sessionId = null;
  }
}
