// PATCH bodies (RFC 7644 §3.5.2): the IdPs' own, reshuffled, and synthetic operations with deep or huge values.
import fc from 'fast-check';
import { URN } from '../../src/scim/urns.ts';
import { deepValueText, jsonValue } from './bodies.ts';
import { ATTRIBUTE_PATHS, validFilter } from './filters.ts';
import { emailPool, fixtureBody, groupNamePool, type KnownIds, type Resource } from './fixture-bodies.ts';
import { sizeUpTo, oddString } from './unicode.ts';

const OPS = ['add', 'replace', 'remove', 'Add', 'Replace', 'Remove'];
/** Mostly real op names (in both IdPs' spellings), so operations get past the message check to the engine. */
const op = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...OPS) },
  { weight: 1, arbitrary: fc.constantFrom('ADD', 'explode', '') },
  { weight: 1, arbitrary: jsonValue },
);

/** `n` distinct emails as JSON text: adding thousands at once is where a quadratic duplicate check shows (large.ts). */
export function manyEmailsText(n: number, tag = 'fz'): string {
  return `[${Array.from({ length: n }, (_, i) => `{"value":"${tag}.${i}@example.com","type":"work"}`).join(',')}]`;
}

/** A PATCH path: plain attributes, value-filtered ones (with and without a sub-attribute), URN-qualified ones, junk. */
function patchPath(known: readonly string[]): fc.Arbitrary<string> {
  const filtered = fc
    .tuple(
      fc.constantFrom('emails', 'members', 'phoneNumbers', 'addresses', 'groups'),
      validFilter(known),
      fc.option(fc.constantFrom('value', 'type', 'primary', 'display')),
    )
    .map(([attribute, filter, sub]) => `${attribute}[${filter}]${sub === null ? '' : `.${sub}`}`);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ATTRIBUTE_PATHS, 'manager', 'name', URN.enterpriseUser) },
    { weight: 3, arbitrary: filtered },
    { weight: 1, arbitrary: oddString(30) },
  );
}

/** Values that make sense for some attribute, so operations get past validation and reach the BI tool. */
function sensibleValue(known: KnownIds): fc.Arbitrary<unknown> {
  const member = fc.constantFrom(...known.users).map((value) => ({ value }));
  return fc.oneof(
    fc.boolean(),
    fc.constantFrom('True', 'False', 'true', ''),
    emailPool,
    groupNamePool,
    fc.array(member, { maxLength: 5 }),
    emailPool.map((value) => [{ value, type: 'work', primary: true }]),
    fc.record({ givenName: oddString(), familyName: oddString() }),
    fc.record({ displayName: groupNamePool }),
  );
}

/** A value as JSON text: sensible, arbitrary, nested thousands of levels deep, or a few hundred emails long. */
function valueText(known: KnownIds): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: sensibleValue(known).map((v) => JSON.stringify(v)) },
    { weight: 4, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: deepValueText },
    { weight: 1, arbitrary: fc.tuple(deepValueText, fc.constantFrom('title', 'name', 'displayName', 'emails')).map(([deep, name]) => `{"${name}":${deep}}`) },
    { weight: 1, arbitrary: sizeUpTo(500).map(manyEmailsText) },
  );
}

/** One operation, written as text so a value may be deeper than this process could stringify. */
function operationText(known: KnownIds): fc.Arbitrary<string> {
  return fc
    .record({ op, path: fc.option(patchPath(known.users), { freq: 3 }), value: fc.option(valueText(known), { freq: 6 }) })
    .map(
      ({ op, path, value }) =>
        `{${[`"op":${JSON.stringify(op) ?? 'null'}`, path === null ? null : `"path":${JSON.stringify(path)}`, value === null ? null : `"value":${value}`].filter(Boolean).join(',')}}`,
    );
}

/** A fixture PATCH with its operations shuffled, dropped, repeated, or mixed with synthetic ones. */
function reshuffledFixture(known: KnownIds, resource: Resource): fc.Arbitrary<string> {
  return fc
    .tuple(fixtureBody(known, 'PATCH', resource), fc.array(operationText(known), { maxLength: 2 }), fc.nat(), fc.boolean())
    .map(([body, extra, seed, shuffle]) => {
      const { Operations: fixed = [] } = body as { Operations?: unknown[] };
      const operations = [...fixed.map((o) => JSON.stringify(o)), ...extra];
      if (shuffle) operations.sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
      return `{"schemas":${JSON.stringify([URN.patchOp])},"Operations":[${operations.join(',')}]}`;
    });
}

/** What a PATCH of `resource` may carry. */
export function patchBodyText(known: KnownIds, resource: Resource): fc.Arbitrary<string> {
  const synthetic = fc
    .tuple(
      fc.oneof({ weight: 9, arbitrary: fc.constant([URN.patchOp]) }, { weight: 1, arbitrary: jsonValue }),
      fc.array(operationText(known), { maxLength: 4 }),
    )
    .map(([schemas, operations]) => `{"schemas":${JSON.stringify(schemas) ?? 'null'},"Operations":[${operations.join(',')}]}`);
  return fc.oneof(
    { weight: 4, arbitrary: fixtureBody(known, 'PATCH', resource).map((body) => JSON.stringify(body)) },
    { weight: 3, arbitrary: reshuffledFixture(known, resource) },
    { weight: 5, arbitrary: synthetic },
    { weight: 1, arbitrary: jsonValue.map((v) => JSON.stringify(v) ?? 'null') },
  );
}
