// JSON request bodies: SCIM resources with fuzzed members, arbitrary JSON, and texts that are barely (or not) JSON.
import fc from 'fast-check';
import { URN } from '../../src/scim/urns.ts';
import { emailPool, fixtureBody, groupNamePool, type KnownIds, type Resource } from './fixture-bodies.ts';
import { anyString, sizeUpTo, oddString } from './unicode.ts';

/** Keys a resource may carry, keys that reach for the prototype, and strangers. */
const KEYS = [
  'schemas',
  'userName',
  'externalId',
  'id',
  'displayName',
  'active',
  'name',
  'givenName',
  'familyName',
  'emails',
  'value',
  'type',
  'primary',
  'members',
  'display',
  '$ref',
  'groups',
  'title',
  'locale',
  'password',
  'meta',
  'phoneNumbers',
  URN.enterpriseUser,
  'manager',
  'Operations',
  'op',
  'path',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
];

const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: oddString(12) });

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324));

/** Any JSON value (no depth limit of its own beyond fast-check's size bias). */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    anyString(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value;

/** Arrays or objects nested `depth` deep, written directly as text (building them in memory first would overflow here). */
export function nestedText(depth: number, kind: 'array' | 'object', leaf = '1'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** A depth on a log scale up to 20,000 levels: JSON.parse copes, recursive code after it may not. */
export const deepValueText = fc.tuple(sizeUpTo(20_000), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([depth, kind]) => nestedText(depth, kind));

/** A SCIM resource of `resource` from the pools (members may repeat), with some attributes replaced by arbitrary values. */
function resourceBody(resource: Resource, known: KnownIds): fc.Arbitrary<Record<string, unknown>> {
  const base =
    resource === 'Users'
      ? emailPool.map((email) => ({
          schemas: [URN.user],
          userName: email,
          name: { givenName: 'Fuzz', familyName: 'Case' },
          emails: [{ value: email, primary: true }],
          active: true,
        }))
      : fc
          .tuple(groupNamePool, fc.array(fc.constantFrom(...known.users), { maxLength: 4 }))
          .map(([name, ids]) => ({ schemas: [URN.group], displayName: name, members: ids.map((value) => ({ value })) }));
  return fc.tuple(base, fc.array(fc.tuple(key, jsonValue), { maxLength: 3 })).map(([body, overrides]) => ({ ...body, ...Object.fromEntries(overrides) }));
}

/** A body that parses, then one small edit of its text that may stop it parsing; or a text that is not JSON at all. */
function asText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const text = value.map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 8, arbitrary: text },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat()).map(([t, at]) => t.slice(0, at % (t.length + 1))) },
    { weight: 1, arbitrary: text.map((t) => `\ufeff${t}`) },
    { weight: 1, arbitrary: text.map((t) => t.replace(/^\{/, '{"userName":{},').replace(/\}$/, ',}')) },
    { weight: 1, arbitrary: fc.tuple(deepValueText, text).map(([deep, t]) => t.replace(/^\{/, `{"a":${deep},`)) },
    { weight: 1, arbitrary: oddString(40) },
  );
}

/** Bytes that are not UTF-8 (a lone continuation byte, an overlong form, an encoded surrogate) inside a JSON string. */
export const invalidUtf8Body = fc
  .constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff])
  .map((bad) =>
    Uint8Array.from([...Buffer.from('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a'), ...bad, ...Buffer.from('@example.com"}')]),
  );

/** What a POST or PUT of `resource` may carry. */
export function resourceBodyText(resource: Resource, known: KnownIds, method: 'POST' | 'PUT'): fc.Arbitrary<string | Uint8Array> {
  const value = fc.oneof(
    { weight: 4, arbitrary: resourceBody(resource, known) },
    { weight: 3, arbitrary: fixtureBody(known, method, resource) },
    { weight: 1, arbitrary: jsonValue },
  );
  return fc.oneof({ weight: 30, arbitrary: asText(value) }, { weight: 1, arbitrary: invalidUtf8Body });
}

/** A SearchRequest (RFC 7644 §3.4.3) with fuzzed members, or something that only looks like one. */
export function searchBodyText(filter: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const body = fc.record(
    {
      schemas: fc.oneof(fc.constant([URN.searchRequest]), jsonValue),
      filter: fc.oneof(filter, jsonValue),
      startIndex: jsonValue,
      count: jsonValue,
      attributes: jsonValue,
      sortBy: jsonValue,
    },
    { requiredKeys: ['schemas'] },
  );
  return asText(body);
}
