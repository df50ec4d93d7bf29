// buildTestApp: createApp over the memory store and the real Metabase adapter talking to a fresh Metabase double.
import type { Hono } from 'hono';
import { expect } from 'vitest';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { noMetrics } from '../../src/metrics.ts';
import { recordBiCall } from '../../src/operations/audit.ts';
import { createProvisioning, type Provisioning, type ProvisioningOptions } from '../../src/provisioning/context.ts';
import type { AppEnv } from '../../src/routes/context.ts';
import { URN } from '../../src/scim/urns.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { parseConfiguredTokens } from '../../src/tokens.ts';
import { MetabaseTarget } from '../../src/targets/metabase/adapter.ts';
import type { MetabaseCredentials } from '../../src/targets/metabase/session.ts';
import { startMetabaseDouble, type MetabaseDouble } from './metabase-double.ts';

export const TEST_TOKEN = 'http-tier-token-0123456789';
export const BASE_PATH = '/scim/v2';

export interface TestAppOptions {
  /** Another app's double (and store), to show what a second process or a lost store sees. */
  double?: MetabaseDouble;
  store?: MemoryStore;
  allowAdminEmailChange?: boolean;
  groupMappings?: ProvisioningOptions['groupMappings'];
  protectedUsers?: string[];
  /** Accepted bearer tokens; the first one is sent by `request` unless a test overrides the header. */
  tokens?: string[];
  /** 0 (default) turns the limit off. */
  rateLimitRps?: number;
  maxBodyBytes?: number;
  /** Believe X-Forwarded-Proto/-Host (BI_SCIM_TRUST_PROXY). */
  trustProxy?: boolean;
  /** BI_SCIM_PUBLIC_URL. */
  publicUrl?: string;
  /** How long the Metabase adapter waits for an answer (default 5 s). */
  biTimeoutMs?: number;
  /** Log in to Metabase with the double's admin email and password (or these) instead of the API key. */
  sessionLogin?: boolean | { username: string; password: string };
}

/** One SCIM answer, read once: `body` is the parsed JSON, or null for an empty or non-JSON body. */
export interface ScimAnswer {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  /** Arbitrary SCIM JSON, read freely by assertions. */
  body: any;
}

/** `null` drops a default header (authorization, content-type). */
export type RequestHeaders = Record<string, string | null>;

export interface TestApp {
  app: Hono<AppEnv>;
  double: MetabaseDouble;
  store: MemoryStore;
  target: MetabaseTarget;
  /** The use cases behind the app, for operations (drift, reconcile) that work on them directly. */
  provisioning: Provisioning;
  token: string;
  /** `path` is relative to the SCIM base path (`/Users`); an object body is sent as JSON, a string as is. */
  request(method: string, path: string, body?: unknown, headers?: RequestHeaders): Promise<ScimAnswer>;
  /** Stops the adapter and the store, and the double unless it was passed in or `keepDouble`. */
  close(options?: { keepDouble?: boolean }): Promise<void>;
}

function credentialsOf(double: MetabaseDouble, sessionLogin: TestAppOptions['sessionLogin']): MetabaseCredentials {
  if (!sessionLogin) return { apiKey: double.apiKey };
  return sessionLogin === true ? { username: double.adminEmail, password: double.adminPassword } : sessionLogin;
}

function parse(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const double = options.double ?? (await startMetabaseDouble());
  const store = options.store ?? new MemoryStore();
  const target = new MetabaseTarget({
    url: double.url,
    credentials: credentialsOf(double, options.sessionLogin),
    timeoutMs: options.biTimeoutMs ?? 5_000,
    onCall: recordBiCall,
  });
  const provisioning = createProvisioning({
    store,
    target,
    logger: pino({ level: 'silent' }),
    metrics: noMetrics,
    options: {
      groupMappings: options.groupMappings ?? [],
      protectedUsers: options.protectedUsers ?? [],
      allowAdminEmailChange: options.allowAdminEmailChange,
      usernameTemplate: null,
      hardDelete: false,
    },
  });
  const tokens = options.tokens ?? [TEST_TOKEN];
  const app = createApp({
    provisioning,
    logger: provisioning.logger,
    basePath: BASE_PATH,
    tokens: parseConfiguredTokens(tokens.join(','), 'env'),
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    rateLimitRps: options.rateLimitRps ?? 0,
    trustProxy: options.trustProxy,
    publicUrl: options.publicUrl,
  });

  async function request(method: string, path: string, body?: unknown, headers: RequestHeaders = {}): Promise<ScimAnswer> {
    const defaults: RequestHeaders = { authorization: `Bearer ${tokens[0]}` };
    if (body !== undefined) defaults['content-type'] = 'application/scim+json';
    const merged = Object.entries({ ...defaults, ...headers }).filter((entry): entry is [string, string] => entry[1] !== null);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await app.request(`${BASE_PATH}${path}`, { method, headers: Object.fromEntries(merged), body: payload });
    const text = await res.text();
    return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', text, body: parse(text) };
  }

  return {
    app,
    double,
    store,
    target,
    provisioning,
    token: tokens[0],
    request,
    close: async ({ keepDouble = false } = {}) => {
      await target.close();
      await store.close();
      if (!keepDouble && !options.double) await double.close();
    },
  };
}

/** A SCIM User body as Okta sends it on create; `extra` overrides or adds attributes. */
export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const email = userName.includes('@') ? userName.toLowerCase() : `${userName.toLowerCase()}@example.com`;
  return {
    schemas: [URN.user],
    userName,
    name: { givenName: 'Given', familyName: 'Family' },
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

export function groupBody(displayName: string, memberIds: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [URN.group], displayName, members: memberIds.map((value) => ({ value })), ...extra };
}

export function patchBody(...operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [URN.patchOp], Operations: operations };
}

export function searchBody(params: Record<string, unknown>): Record<string, unknown> {
  return { schemas: [URN.searchRequest], ...params };
}

/** `?filter=` with spaces as %20 (Okta) or as + (Entra); quotes and @ percent-encoded either way. */
export function filterQuery(filter: string, spaces: '%20' | '+' = '%20'): string {
  return `filter=${encodeURIComponent(filter).replace(/%20/g, spaces)}`;
}

/** Creates a User through SCIM and returns its id; fails loudly when the create does not answer 201. */
export async function createUser(t: TestApp, userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await t.request('POST', '/Users', userBody(userName, extra));
  if (answer.status !== 201) throw new Error(`POST /Users ${userName} answered ${answer.status}: ${answer.text}`);
  return answer.body.id as string;
}

export async function createGroup(t: TestApp, displayName: string, memberIds: string[] = []): Promise<string> {
  const answer = await t.request('POST', '/Groups', groupBody(displayName, memberIds));
  if (answer.status !== 201) throw new Error(`POST /Groups ${displayName} answered ${answer.status}: ${answer.text}`);
  return answer.body.id as string;
}

/** The double's member ids of a group (active and inactive people), sorted, as strings. */
export function memberIdsInDouble(t: TestApp, groupId: string): string[] {
  return t.double.state
    .memberships()
    .filter((m) => m.group_id === Number(groupId))
    .map((m) => String(m.user_id))
    .sort((a, b) => Number(a) - Number(b));
}

/** Everything the double holds that SCIM can change, for "nothing changed" assertions. */
export function doubleSnapshot(t: TestApp): unknown {
  const users = t.double.state.users().map(({ updated_at: _u, last_login: _l, ...rest }) => rest);
  return { users, groups: t.double.state.groups(), memberships: t.double.state.memberships() };
}

/** RFC 7644 §3.12: an error is application/scim+json with the Error URN, `status` as a string, a `detail`, and `scimType` where one applies. */
export function expectScimError(answer: ScimAnswer, status: number, scimType?: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.contentType).toMatch(/^application\/scim\+json/);
  expect(answer.body).toMatchObject({ schemas: [URN.error], status: String(status), detail: expect.any(String) });
  if (scimType !== undefined) expect(answer.body.scimType).toBe(scimType);
}
