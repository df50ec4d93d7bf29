// fetch helpers for the Metabase double's own tests: one call, its status, content type and decoded body.
import type { MetabaseDouble } from '../metabase-double.ts';

export interface Answer {
  status: number;
  contentType: string;
  /** Parsed JSON for a JSON answer, the text otherwise ('' when there is no body); `any` because tests read arbitrary Metabase JSON. */
  body: any;
  headers: Headers;
}

export type Call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>;

/** Calls as the API key's user unless other headers are given. */
export function client(mb: MetabaseDouble, auth: Record<string, string> = { 'x-api-key': mb.apiKey }): Call {
  return async (method, path, body, headers = auth) => {
    const res = await fetch(mb.url + path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const contentType = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return { status: res.status, contentType, headers: res.headers, body: contentType.startsWith('application/json') ? JSON.parse(text) : text };
  };
}

export async function logIn(mb: MetabaseDouble, username: string, password: string): Promise<Answer> {
  return client(mb, {})('POST', '/api/session', { username, password });
}

export function sessionHeaders(sessionId: string): Record<string, string> {
  return { 'x-metabase-session': sessionId };
}

/** A personal user that can log in, and a client acting as them. */
export async function personalClient(mb: MetabaseDouble, email: string, password = 'secret-password-1'): Promise<Call> {
  mb.seed.user({ email, first_name: 'Pat', last_name: 'Person', password });
  const login = await logIn(mb, email, password);
  return client(mb, sessionHeaders(login.body.id));
}
