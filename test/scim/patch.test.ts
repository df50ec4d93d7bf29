// The PATCH engine (src/scim/patch.ts): PatchOp bodies from Okta and Entra applied to resources, and every refusal.
import { describe, expect, it } from 'vitest';
import { applyPatch, type PatchOptions } from '../../src/scim/patch.ts';
import { parsePatch } from '../../src/scim/patch-message.ts';
import type { ScimDoc } from '../../src/scim/resources.ts';
import fixtures from './fixtures/patch.json' with { type: 'json' };

interface Case {
  resource: string;
  overrides?: ScimDoc;
  options?: PatchOptions;
  body: unknown;
}

const resources = fixtures.resources as Record<string, ScimDoc>;

/** Any write to the input throws, so every case also proves applyPatch never mutates what it is given. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

function inputOf(c: Case): ScimDoc {
  return structuredClone({ ...resources[c.resource], ...c.overrides });
}

function run(c: Case): { input: ScimDoc; result: ReturnType<typeof applyPatch> } {
  const input = inputOf(c);
  return { input, result: applyPatch(deepFreeze(structuredClone(input)), parsePatch(c.body), c.options) };
}

describe('parsePatch', () => {
  it.each(fixtures.parse)('$name', ({ body, expected }) => {
    expect(parsePatch(body)).toStrictEqual(expected);
  });
});

describe('applyPatch', () => {
  const cases = fixtures.apply as Array<Case & { name: string; expected: ScimDoc; removed?: string[]; changed?: boolean }>;

  it.each(cases)('$name', (c) => {
    const { input, result } = run(c);
    const expected: ScimDoc = { ...input, ...c.expected };
    for (const key of c.removed ?? []) delete expected[key];
    expect(result.resource).toStrictEqual(expected);
    expect(result.changed).toBe(c.changed ?? true);
  });

  it('returns a new object that shares nothing with the input', () => {
    const input = inputOf({ resource: 'entra-user', body: null });
    const operations = parsePatch({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] });
    const { resource } = applyPatch(input, operations);
    (resource.name as ScimDoc).givenName = 'Mutated';
    (resource.emails as ScimDoc[]).push({ value: 'x@y.example' });
    expect(input).toStrictEqual(inputOf({ resource: 'entra-user', body: null }));
  });

  it('does not let one copied value alias another when a filter matches several', () => {
    const input = {
      id: '1',
      emails: [
        { type: 'work', value: 'a@x.example' },
        { type: 'work', value: 'b@x.example' },
      ],
    };
    const operations = parsePatch({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'emails[type eq "work"]', value: { type: 'work', value: 'c@x.example' } }],
    });
    const emails = applyPatch(input, operations).resource.emails as ScimDoc[];
    expect(emails).toStrictEqual([
      { type: 'work', value: 'c@x.example' },
      { type: 'work', value: 'c@x.example' },
    ]);
    expect(emails[0]).not.toBe(emails[1]);
  });
});

describe('refusals', () => {
  const cases = fixtures.errors as Array<Case & { name: string; scimType: string; detail: string }>;

  it.each(cases)('$name → $scimType', (c) => {
    expect(() => run(c)).toThrow(expect.objectContaining({ name: 'ScimError', status: 400, scimType: c.scimType, message: expect.stringContaining(c.detail) }));
  });
});
