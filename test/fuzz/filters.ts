// SCIM filters (RFC 7644 §3.4.2.2): well-formed ones over every production of the grammar, and near misses of them.
import fc from 'fast-check';
import { URN } from '../../src/scim/urns.ts';
import { sizeUpTo, oddString } from './unicode.ts';

/** Attribute paths the resources have (indexed ones first), some they lack, and names at the edge of ATTRNAME. */
export const ATTRIBUTE_PATHS = [
  'userName',
  'externalId',
  'id',
  'displayName',
  'emails',
  'emails.value',
  'members',
  'members.value',
  'title',
  'active',
  'nickName',
  'userType',
  'locale',
  'emails.type',
  'emails.primary',
  'name.givenName',
  'name.familyName',
  'name.formatted',
  'phoneNumbers.value',
  'members.display',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'groups',
  'groups.value',
  `${URN.user}:userName`,
  `${URN.group}:displayName`,
  `${URN.enterpriseUser}:employeeNumber`,
  `${URN.enterpriseUser}:manager.value`,
  URN.enterpriseUser,
  '$ref',
  'x',
  'a-b_c',
  'urn:x:y:z',
];

const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** Keywords in any case: the grammar's are case-insensitive. */
function anyCase(word: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
}

const numberText = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('1e308', '-0', '0.5E-3', '12345678901234567890'),
);

/** A compValue: a JSON string (any code units, escaped as JSON does), a number, true, false or null. */
function comparisonValue(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: oddString().map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: fc.constantFrom(...known).map((s) => JSON.stringify(s)) },
    { weight: 1, arbitrary: numberText },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', 'True', 'NULL') },
  );
}

function attributeExpression(known: readonly string[]): fc.Arbitrary<string> {
  const path = fc.constantFrom(...ATTRIBUTE_PATHS);
  return fc.oneof(
    fc.tuple(path, anyCase('pr')).map(([p, op]) => `${p} ${op}`),
    fc.tuple(path, fc.constantFrom(...OPERATORS).chain(anyCase), comparisonValue(known)).map(([p, op, v]) => `${p} ${op} ${v}`),
  );
}

/** Well-formed filters: comparisons, presence, and/or/not, grouping and value paths, nested a few levels deep. */
export function validFilter(known: readonly string[]): fc.Arbitrary<string> {
  const { filter } = fc.letrec<{ filter: string; valuePath: string }>((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      attributeExpression(known),
      fc.tuple(tie('filter'), anyCase('and'), tie('filter')).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(tie('filter'), anyCase('or'), tie('filter')).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(anyCase('not'), tie('filter')).map(([not, f]) => `${not} (${f})`),
      tie('filter').map((f) => `(${f})`),
      tie('valuePath'),
    ),
    valuePath: fc
      .tuple(fc.constantFrom('emails', 'members', 'phoneNumbers', 'groups', 'addresses'), tie('filter'), fc.option(fc.constantFrom('value', 'type', 'display')))
      .chain(([attribute, inner, sub]) =>
        sub === null
          ? fc.constant(`${attribute}[${inner}]`)
          : attributeExpression(known).map((tail) => `${attribute}[${inner}].${sub}${tail.slice(tail.indexOf(' '))}`),
      ),
  }));
  return filter;
}

/** One edit that usually breaks a filter: cut, insert, truncate, duplicate, or nest far beyond the parser's limit. */
function nearMiss(text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: text.length });
  const junk = fc.oneof(oddString(4), fc.constantFrom('(', ')', '[', ']', '"', '\\', ' and ', ' or ', 'not ', '.', ':', '\\u12', '\u0000'));
  return fc.oneof(
    fc.tuple(at, at).map(([a, b]) => text.slice(0, Math.min(a, b)) + text.slice(Math.max(a, b))),
    fc.tuple(at, junk).map(([i, s]) => text.slice(0, i) + s + text.slice(i)),
    at.map((i) => text.slice(0, i)),
    fc.tuple(at, at).map(([a, b]) => text + text.slice(Math.min(a, b), Math.max(a, b))),
    sizeUpTo(5_000).map((n) => `${'('.repeat(n)}${text}${')'.repeat(n)}`),
    sizeUpTo(2_000).map((n) => `${'not ('.repeat(n)}${text}${')'.repeat(n)}`),
    sizeUpTo(4_000).map((n) => Array.from({ length: n }, () => text).join(' or ')),
  );
}

/** What a filter parameter may hold: valid filters, near misses, and strings that are not filters at all. */
export function anyFilter(known: readonly string[]): fc.Arbitrary<string> {
  const valid = validFilter(known);
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 4, arbitrary: valid.chain(nearMiss) }, { weight: 1, arbitrary: oddString(40) });
}
