// Filter evaluation and equality push-down (src/scim/filter.ts): resources × filters → which match, filters → lookups.
import { describe, expect, it } from 'vitest';
import { equalityLookups, matchesFilter, mentionsAttribute } from '../../src/scim/filter.ts';
import { parseFilter } from '../../src/scim/grammar.ts';
import type { ScimDoc } from '../../src/scim/resources.ts';
import fixtures from './fixtures/filter.json' with { type: 'json' };

const resources = fixtures.resources as Record<string, ScimDoc>;
const names = Object.keys(resources);

function matching(filter: string, options?: Parameters<typeof matchesFilter>[2]): string[] {
  const node = parseFilter(filter);
  return names.filter((name) => matchesFilter(resources[name], node, options));
}

describe('matchesFilter', () => {
  it.each(fixtures.match)('$filter matches exactly $expected', ({ filter, expected }) => {
    expect(matching(filter)).toStrictEqual(names.filter((name) => expected.includes(name)));
  });

  it('compares case-sensitively where the isCaseExact option says so', () => {
    expect(matching('userName eq "BJENSEN"', { isCaseExact: (name) => name === 'username' })).toStrictEqual([]);
    expect(matching('userName eq "bjensen"', { isCaseExact: (name) => name === 'username' })).toStrictEqual(['bjensen']);
  });

  it('compares ids case-insensitively when the option says no attribute is case-exact', () => {
    expect(matching('id eq "2819C223-7F76-453A-919D-413861904646"', { isCaseExact: () => false })).toStrictEqual(['bjensen']);
  });

  it('asks isCaseExact with lower-case dotted names, value-filter attributes under their parent', () => {
    const asked = new Set<string>();
    const filters = [
      'emails[Type eq "work"]',
      'name.givenName eq "x"',
      'members eq "1"',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"',
    ];
    for (const filter of filters) matching(filter, { isCaseExact: (name) => (asked.add(name), false) });
    expect(asked).toStrictEqual(new Set(['emails.type', 'name.givenname', 'members.value', 'manager.value']));
  });

  it('matches a bare member id against a value filter, as membership checks do', () => {
    const node = parseFilter('value eq "42" or value eq "7"');
    expect(['42', '7', '8'].filter((id) => matchesFilter({ value: id }, node))).toStrictEqual(['42', '7']);
  });

  it('evaluates a 300-term or-chain and finds the one matching resource', () => {
    const filter = `${Array.from({ length: 300 }, (_, i) => `userName eq "u${i}"`).join(' or ')} or userName eq "nobody"`;
    expect(matching(filter)).toStrictEqual(['nobody']);
  });
});

describe('equalityLookups', () => {
  it.each(fixtures.lookups)('$source → $expected', ({ source, expected }) => {
    expect(equalityLookups(parseFilter(source))).toStrictEqual(expected);
  });
});

describe('mentionsAttribute', () => {
  it.each([
    ['members eq "7"', true],
    ['id eq "4" and members[value eq "7"]', true],
    ['not (MEMBERS pr)', true],
    ['displayName eq "members"', false],
    ['id eq "4" or displayName sw "m"', false],
  ])('%s → %s', (filter, expected) => {
    expect(mentionsAttribute(parseFilter(filter), 'members')).toBe(expected);
  });
});
