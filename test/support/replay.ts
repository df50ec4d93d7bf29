// Replays an IdP request sequence (test/fixtures/idp/*.json) against a running bi-scim and checks the BI tool's state.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { z } from 'zod';

const FIXTURE_DIR = new URL('../fixtures/idp/', import.meta.url);
/** IdPs give up after 60 s (idp-behaviour.md §1.4, §2.4); a replayed step gets a third of that. */
const REQUEST_TIMEOUT_MS = 20_000;
const SHOWN_BODY_CHARS = 2_000;

const stringMap = z.record(z.string(), z.string());
const strings = z.array(z.string());
const personName = z.string().nullable().optional();
const userExpectation = z.strictObject({
  email: z.string(),
  active: z.boolean().optional(),
  firstName: personName,
  lastName: personName,
  groups: strings.optional(),
});
const stateExpectation = z.strictObject({
  users: z.array(userExpectation).optional(),
  groups: z.array(z.strictObject({ name: z.string(), members: strings.optional() })).optional(),
  absentUsers: strings.optional(),
  absentGroups: strings.optional(),
});
const stepSchema = z.strictObject({
  name: z.string().min(1),
  /** Why the IdP sends this, where the request shape alone does not say. */
  note: z.string().optional(),
  request: z.strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().startsWith('/'),
    headers: stringMap.optional(),
    body: z.unknown().optional(),
  }),
  expect: z.strictObject({ status: z.number().int(), body: z.unknown().optional(), absent: strings.optional(), headers: stringMap.optional() }),
  capture: stringMap.optional(),
  state: stateExpectation.optional(),
});
const fixtureSchema = z.strictObject({
  name: z.string().min(1),
  source: z.string().min(1),
  headers: stringMap.optional(),
  vars: stringMap.optional(),
  steps: z.array(stepSchema).min(1),
});

export type FixtureStep = z.infer<typeof stepSchema>;
export type ExpectedState = z.infer<typeof stateExpectation>;
/** `id` is the file name the fixture was loaded from; failure messages name it. */
export type Fixture = z.infer<typeof fixtureSchema> & { id?: string };

export interface NeutralState {
  users: Array<{ email: string; active: boolean; firstName: string | null; lastName: string | null; groups: string[] }>;
  groups: Array<{ name: string; members: string[] /* emails */ }>;
}

export interface ReplayOptions {
  baseUrl: string;
  token: string;
  readState: () => Promise<NeutralState>;
  vars?: Record<string, string>;
}

export function listFixtures(): string[] {
  return readdirSync(FIXTURE_DIR)
    .flatMap((file) => (file.endsWith('.json') ? [file.slice(0, -'.json'.length)] : []))
    .sort();
}

/** Checks a fixture's shape strictly, so a misspelt key fails loudly instead of silently asserting nothing. */
export function parseFixture(data: unknown, id: string): Fixture {
  const parsed = fixtureSchema.safeParse(data);
  if (!parsed.success) throw new Error(`Fixture ${id} is invalid:\n${z.prettifyError(parsed.error)}`);
  return { ...parsed.data, id };
}

export function loadFixture(name: string): Fixture {
  if (!/^[\w-]+$/.test(name)) throw new Error(`Fixture name "${name}" must be a bare file name`);
  return parseFixture(JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURE_DIR), 'utf8')), name);
}

/**
 * The fixture's variables made unique with `tag`, so a sequence can run again against a BI tool that already
 * holds an earlier run (a long-lived Superset): `a.b@x.example` → `a.b.<tag>@x.example`, others get `-<tag>`.
 */
export function uniqueVars(fixture: Fixture, tag: string): Record<string, string> {
  if (!/^[a-z0-9]+$/.test(tag)) throw new Error(`Tag "${tag}" must be lower-case letters and digits`);
  const tagged = (value: string) => (value.includes('@') ? value.replace('@', `.${tag}@`) : `${value}-${tag}`);
  return Object.fromEntries(Object.entries(fixture.vars ?? {}).map(([name, value]) => [name, tagged(value)]));
}

/** Passwords shaped like the random one Okta sends on every create (idp-behaviour.md §1.3, e.g. "1mz050nq"). */
function randomPassword(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Values made fresh at every occurrence. */
const GENERATED: Record<string, () => string> = { $uuid: randomUUID, $random: randomPassword };

/** `{{name|encoding}}`: how a value is written into a query string by each IdP. */
const ENCODINGS: Record<string, (value: string) => string> = {
  // Okta percent-encodes spaces as %20 (idp-behaviour.md §1.3).
  uri: encodeURIComponent,
  // Entra writes spaces as + (idp-behaviour.md §2.1).
  form: (value) => encodeURIComponent(value).replace(/%20/g, '+'),
};

const PLACEHOLDER = /\{\{(.*?)\}\}/g;

/** `name` or `name|encoding` inside the braces; anything else is a fixture error, never literal text. */
function parsePlaceholder(inner: string): { name: string; encoding: string | undefined } {
  const parts = /^\s*(\$?[A-Za-z_][\w-]*)\s*(?:\|\s*(\w+)\s*)?$/.exec(inner);
  if (!parts) throw new Error(`Malformed placeholder {{${inner}}}`);
  return { name: parts[1], encoding: parts[2] };
}

function resolve(inner: string, vars: Record<string, string>): string {
  const { name, encoding } = parsePlaceholder(inner);
  const value = Object.hasOwn(vars, name) ? vars[name] : GENERATED[name]?.();
  if (value === undefined) throw new Error(`Unknown template variable {{${name}}}`);
  if (encoding === undefined) return value;
  const encode = ENCODINGS[encoding];
  if (!encode) throw new Error(`Unknown encoding "${encoding}" in {{${inner}}}`);
  return encode(value);
}

/** Substitutes `{{var}}` in every string of a JSON value, recursively; keys and non-strings stay as they are. */
export function renderTemplate<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (_, inner: string) => resolve(inner, vars)) as T;
  if (Array.isArray(value)) return value.map((item) => renderTemplate(item, vars)) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplate(v, vars)])) as T;
  return value;
}

/** The variable names a JSON value refers to, in order of appearance. */
export function placeholdersIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => parsePlaceholder(m[1]).name);
  if (Array.isArray(value)) return value.flatMap(placeholdersIn);
  if (isPlainObject(value)) return Object.values(value).flatMap(placeholdersIn);
  return [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a dotted path (`id`, `Resources.0.id`). Keys may hold dots themselves (the enterprise URN has "2.0"), so
 * at each level the longest run of segments naming an existing key wins.
 */
export function lookupPath(body: unknown, path: string): { found: boolean; value: unknown } {
  const segments = path.split('.');
  let node = body;
  let at = 0;
  while (at < segments.length) {
    if (node === null || typeof node !== 'object') return { found: false, value: undefined };
    let end = segments.length;
    for (; end > at; end--) {
      const key = segments.slice(at, end).join('.');
      if (Array.isArray(node) ? /^\d+$/.test(key) && Number(key) < node.length : Object.hasOwn(node, key)) break;
    }
    if (end === at) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[segments.slice(at, end).join('.')];
    at = end;
  }
  return { found: true, value: node };
}

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const TYPE_CHECKS: Record<string, (value: unknown) => boolean> = {
  ...Object.fromEntries(['string', 'number', 'boolean'].map((type) => [type, (v: unknown) => typeof v === type])),
  integer: Number.isInteger,
  array: Array.isArray,
  object: isPlainObject,
  null: (v) => v === null,
};

/** `{"$contains": [...]}` or `{"$type": "integer"}`: an object whose only key is the matcher. */
function matcherOf(expected: unknown): { name: '$contains' | '$type'; arg: unknown } | null {
  if (!isPlainObject(expected)) return null;
  const keys = Object.keys(expected);
  if (keys.length !== 1 || (keys[0] !== '$contains' && keys[0] !== '$type')) return null;
  return { name: keys[0], arg: expected[keys[0]] };
}

function matchMatcher(actual: unknown, { name, arg }: { name: '$contains' | '$type'; arg: unknown }, at: string): string[] {
  if (name === '$type') {
    const check = TYPE_CHECKS[String(arg)];
    if (!check) throw new Error(`${at}: unknown $type "${String(arg)}"`);
    return check(actual) ? [] : [`${at}: expected a ${String(arg)}, got ${show(actual)}`];
  }
  if (!Array.isArray(arg)) throw new Error(`${at}: $contains takes an array`);
  if (!Array.isArray(actual)) return [`${at}: expected an array, got ${show(actual)}`];
  return arg
    .filter((wanted) => !actual.some((item) => matchSubset(item, wanted).length === 0))
    .map((wanted) => `${at}: no element matches ${show(wanted)}; got ${show(actual)}`);
}

/** Every way `actual` fails to contain `expected` (objects: listed keys; arrays: same length, element-wise). */
export function matchSubset(actual: unknown, expected: unknown, at = 'body'): string[] {
  const matcher = matcherOf(expected);
  if (matcher) return matchMatcher(actual, matcher, at);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${show(actual)}`];
    if (actual.length !== expected.length) return [`${at}: expected ${expected.length} elements, got ${actual.length}: ${show(actual)}`];
    return expected.flatMap((item, i) => matchSubset(actual[i], item, `${at}[${i}]`));
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return [`${at}: expected an object, got ${show(actual)}`];
    return Object.entries(expected).flatMap(([key, item]) =>
      Object.hasOwn(actual, key) ? matchSubset(actual[key], item, `${at}.${key}`) : [`${at}.${key}: missing`],
    );
  }
  return Object.is(actual, expected) ? [] : [`${at}: expected ${show(expected)}, got ${show(actual)}`];
}

/** Equal ignoring case, or equal up to media-type parameters (`application/scim+json; charset=utf-8`). */
function headerValueMatches(got: string, want: string): boolean {
  const [g, w] = [got.toLowerCase(), want.toLowerCase()];
  return g === w || (g.startsWith(w) && /^\s*;/.test(g.slice(w.length)));
}

/** Every expected response header that is missing or different; names are case-insensitive. */
export function headerMismatches(actual: Headers, expected: Record<string, string>): string[] {
  return Object.entries(expected).flatMap(([name, want]) => {
    const got = actual.get(name);
    return got !== null && headerValueMatches(got, want) ? [] : [`header ${name}: expected ${show(want)}, got ${show(got ?? undefined)}`];
  });
}

/** New variables read from a response body: var name → dotted path. Only strings and numbers can be captured. */
export function captureVars(body: unknown, capture: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(capture).map(([name, path]) => {
      const { found, value } = lookupPath(body, path);
      if (!found || (typeof value !== 'string' && typeof value !== 'number')) {
        throw new Error(`capture ${name}: no string or number at "${path}" (found ${show(value)})`);
      }
      return [name, String(value)];
    }),
  );
}

function sameSet(actual: string[], expected: string[], fold: (s: string) => string = (s) => s): boolean {
  const a = new Set(actual.map(fold));
  return a.size === new Set(expected.map(fold)).size && expected.every((item) => a.has(fold(item)));
}

const lower = (s: string) => s.toLowerCase();
const USER_FIELDS = ['active', 'firstName', 'lastName'] as const;

/** Every way the BI tool's state differs from what a step expects; people match by email, case-insensitively. */
export function stateMismatches(state: NeutralState, expected: ExpectedState): string[] {
  const userOf = (email: string) => state.users.find((u) => lower(u.email) === lower(email));
  const groupOf = (name: string) => state.groups.find((g) => g.name === name);
  const problems: string[] = [];
  for (const want of expected.users ?? []) {
    const user = userOf(want.email);
    if (!user) {
      problems.push(`user ${want.email}: missing`);
      continue;
    }
    for (const field of USER_FIELDS) {
      if (want[field] !== undefined && user[field] !== want[field])
        problems.push(`user ${want.email}: ${field} is ${show(user[field])}, expected ${show(want[field])}`);
    }
    if (want.groups && !sameSet(user.groups, want.groups)) problems.push(`user ${want.email}: groups are ${show(user.groups)}, expected ${show(want.groups)}`);
  }
  for (const want of expected.groups ?? []) {
    const group = groupOf(want.name);
    if (!group) problems.push(`group ${want.name}: missing`);
    else if (want.members && !sameSet(group.members, want.members, lower))
      problems.push(`group ${want.name}: members are ${show(group.members)}, expected ${show(want.members)}`);
  }
  problems.push(...(expected.absentUsers ?? []).filter(userOf).map((email) => `user ${email}: should not exist`));
  problems.push(...(expected.absentGroups ?? []).filter(groupOf).map((name) => `group ${name}: should not exist`));
  return problems;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Exchange {
  summary: string;
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function send(
  step: FixtureStep,
  fixtureHeaders: Record<string, string>,
  vars: Record<string, string>,
  options: ReplayOptions,
  where: string,
): Promise<Exchange> {
  const request = renderTemplate(step.request, vars);
  const headers = new Headers({ authorization: `Bearer ${options.token}` });
  for (const [name, value] of Object.entries({ ...renderTemplate(fixtureHeaders, vars), ...request.headers })) headers.set(name, value);
  const hasBody = request.body !== undefined;
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/scim+json');
  let response: Response;
  try {
    response = await fetch(`${vars.$baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: hasBody ? JSON.stringify(request.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`${where}: ${request.method} ${request.path} failed: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  const shown = text.length > SHOWN_BODY_CHARS ? `${text.slice(0, SHOWN_BODY_CHARS)}…` : text;
  return {
    summary: `${request.method} ${request.path} → ${response.status}\n${shown}`,
    status: response.status,
    headers: response.headers,
    text,
    json: parseJson(text),
  };
}

const listed = (problems: string[]) => problems.map((p) => `\n  - ${p}`).join('');

function checkResponse(where: string, expected: FixtureStep['expect'], exchange: Exchange): void {
  expect(exchange.status, `${where}: expected status ${expected.status}, got ${exchange.status}\n${exchange.summary}`).toBe(expected.status);
  if (expected.status === 204) expect(exchange.text, `${where}: a 204 answer must have an empty body`).toBe('');
  const problems = [
    ...headerMismatches(exchange.headers, expected.headers ?? {}),
    ...(expected.body === undefined ? [] : exchange.json === undefined ? ['body: not JSON'] : matchSubset(exchange.json, expected.body)),
    ...(expected.absent ?? []).filter((path) => lookupPath(exchange.json, path).found).map((path) => `body.${path}: should be absent`),
  ];
  expect(problems, `${where}: the response differs from the expectation:${listed(problems)}\n${exchange.summary}`).toEqual([]);
}

/** Sends each step with `Authorization: Bearer <token>`, checks the answer, captures variables, then checks state. */
export async function replayFixture(fixture: Fixture, options: ReplayOptions): Promise<{ vars: Record<string, string> }> {
  const label = fixture.id ?? fixture.name;
  const vars: Record<string, string> = { ...fixture.vars, ...options.vars, $baseUrl: options.baseUrl.replace(/\/+$/, '') };
  for (const step of fixture.steps) {
    const where = `${label} › ${step.name}`;
    const exchange = await send(step, fixture.headers ?? {}, vars, options, where);
    checkResponse(where, renderTemplate(step.expect, vars), exchange);
    try {
      Object.assign(vars, captureVars(exchange.json, step.capture ?? {}));
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}\n${exchange.summary}`, { cause: err });
    }
    if (step.state) {
      const problems = stateMismatches(await options.readState(), renderTemplate(step.state, vars));
      expect(problems, `${where}: the BI tool's state differs from the expectation:${listed(problems)}`).toEqual([]);
    }
  }
  const { $baseUrl: _, ...result } = vars;
  return { vars: result };
}
