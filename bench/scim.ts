// A small SCIM client for the benchmarks, and the request bodies Okta sends (shared/reference/idp-behaviour.md §1.3).
import { request } from 'undici';
import { loadAgent } from './load.ts';

export const TOKEN = 'bench-token-0123456789';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

export interface Person {
  userName: string;
  givenName: string;
  familyName: string;
  externalId: string;
}

export class ScimClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${TOKEN}`, accept: 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' };
  }

  async send(method: string, path: string, body?: unknown): Promise<ScimAnswer> {
    const res = await request(`${this.base}${path}`, {
      method: method as 'GET',
      headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: loadAgent,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
  }

  /** Like send, but a status other than `expected` is an error naming the request and the answer. */
  async expect(expected: number | number[], method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const answer = await this.send(method, path, body);
    if (![expected].flat().includes(answer.status)) {
      throw new Error(`${method} ${path} answered ${answer.status}, expected ${expected}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    return answer.body ?? {};
  }
}

export function filterPath(attribute: string, value: string): string {
  return `?filter=${encodeURIComponent(`${attribute} eq "${value}"`)}&startIndex=1&count=100`;
}

/** Okta's create body: a random placeholder password, externalId, locale and an empty groups list. */
export function oktaUser(person: Person): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName: person.userName,
    name: { givenName: person.givenName, familyName: person.familyName },
    emails: [{ primary: true, value: person.userName, type: 'work' }],
    displayName: `${person.givenName} ${person.familyName}`,
    locale: 'en-US',
    externalId: person.externalId,
    groups: [],
    password: 'Pl4ceholder!x',
    active: true,
  };
}

/** Okta OIN apps deactivate with a path-less replace carrying an object value. */
export function oktaActive(active: boolean): Record<string, unknown> {
  return { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active } }] };
}

export function oktaGroup(displayName: string): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], displayName, members: [] };
}

/** Okta's membership push: the name replace it sends with every push, then `add` (and `remove` by filter). */
export function oktaMembers(id: string, displayName: string, add: string[], remove: string[] = []): Record<string, unknown> {
  return {
    schemas: [PATCH_SCHEMA],
    Operations: [
      { op: 'replace', value: { id, displayName } },
      ...remove.map((value) => ({ op: 'remove', path: `members[value eq "${value}"]` })),
      ...(add.length > 0 ? [{ op: 'add', path: 'members', value: add.map((value) => ({ value })) }] : []),
    ],
  };
}
