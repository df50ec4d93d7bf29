// Attribute projection and sorting (src/scim/attributes.ts) against table fixtures.
import { describe, expect, it } from 'vitest';
import { compareBy, parseAttributeList, projectAttributes } from '../../src/scim/attributes.ts';
import type { ScimDoc } from '../../src/scim/resources.ts';
import fixtures from './fixtures/attributes.json' with { type: 'json' };

const resources = fixtures.resources as Record<string, ScimDoc>;

describe('parseAttributeList', () => {
  it.each(fixtures.lists)('"$source" → $expected', ({ source, expected }) => {
    expect(parseAttributeList(source ?? undefined)).toStrictEqual(expected);
  });
});

describe('projectAttributes', () => {
  const cases = fixtures.projections as Array<{ name: string; resource: string; attributes?: string[]; excludedAttributes?: string[]; expected: ScimDoc }>;

  it.each(cases)('$name', ({ resource, attributes, excludedAttributes, expected }) => {
    const input = Object.freeze(structuredClone(resources[resource]));
    const projected = projectAttributes(input, { attributes, excludedAttributes });
    expect(projected).toStrictEqual(expected);
    expect(input).toStrictEqual(resources[resource]);
  });

  it('returns a copy even when nothing is projected away', () => {
    const input = resources.bjensen;
    const projected = projectAttributes(input, {});
    expect(projected).toStrictEqual(input);
    (projected.name as ScimDoc).givenName = 'Mutated';
    expect((input.name as ScimDoc).givenName).toBe('Barbara');
  });

  it('refuses an attribute name with a value filter', () => {
    expect(() => projectAttributes(resources.bjensen, { attributes: ['emails[type eq "work"]'] })).toThrow(
      expect.objectContaining({ scimType: 'invalidPath', message: expect.stringContaining('cannot carry a value filter') }),
    );
  });
});

describe('compareBy', () => {
  const people = fixtures.sorting.resources as Record<string, ScimDoc>;
  const named = Object.entries(people);
  const cases = fixtures.sorting.cases as Array<{ name: string; sortBy: string; sortOrder?: 'ascending' | 'descending'; expected: string[] }>;

  it.each(cases)('$name ($sortBy)', ({ sortBy, sortOrder, expected }) => {
    const order = [...named].sort(([, a], [, b]) => compareBy(sortBy, sortOrder)(a, b)).map(([name]) => name);
    expect(order).toStrictEqual(expected);
  });

  it('sorts the same whatever order the resources arrive in', () => {
    const ascending = [...named].sort(([, a], [, b]) => compareBy('userName')(a, b)).map(([name]) => name);
    const fromReversed = [...named]
      .reverse()
      .sort(([, a], [, b]) => compareBy('userName')(a, b))
      .map(([name]) => name);
    expect(fromReversed).toStrictEqual(ascending);
  });

  it('refuses a sortBy that is not an attribute path', () => {
    expect(() => compareBy('user name')).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
  });
});
