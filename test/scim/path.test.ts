// The SCIM path and filter grammar (src/scim/grammar.ts) and path navigation (src/scim/path.ts) against table fixtures: ASTs, errors with positions, limits, readers.
import { describe, expect, it } from 'vitest';
import { MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, parseAttributePath, parseFilter } from '../../src/scim/grammar.ts';
import { readValues } from '../../src/scim/path.ts';
import filterGrammar from './fixtures/filter-parse.json' with { type: 'json' };
import paths from './fixtures/path.json' with { type: 'json' };

/** Fixtures spell paths with only their non-null parts; this fills in the nulls the parser must produce. */
function withPathDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withPathDefaults);
  if (node === null || typeof node !== 'object') return node;
  const object = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withPathDefaults(value)]));
  return 'attribute' in object ? { schema: null, subAttribute: null, valueFilter: null, ...object } : object;
}

function scimError(scimType: string, detail: string) {
  return expect.objectContaining({ name: 'ScimError', status: 400, scimType, message: expect.stringContaining(detail) });
}

describe('parseFilter', () => {
  it.each(filterGrammar.parse)('$name: $source', ({ source, expected }) => {
    expect(parseFilter(source)).toStrictEqual(withPathDefaults(expected));
  });

  it.each(filterGrammar.errors)('rejects $name with invalidFilter naming where', ({ source, detail }) => {
    expect(() => parseFilter(source)).toThrow(scimError('invalidFilter', detail));
  });

  it(`accepts parentheses nested ${MAX_NESTING_DEPTH} deep`, () => {
    const source = `${'('.repeat(MAX_NESTING_DEPTH)}userName eq "x"${')'.repeat(MAX_NESTING_DEPTH)}`;
    expect(parseFilter(source)).toStrictEqual(withPathDefaults({ op: 'eq', path: { attribute: 'userName' }, value: 'x' }));
  });

  it(`rejects parentheses nested ${MAX_NESTING_DEPTH + 1} deep`, () => {
    const depth = MAX_NESTING_DEPTH + 1;
    const source = `${'('.repeat(depth)}userName eq "x"${')'.repeat(depth)}`;
    expect(() => parseFilter(source)).toThrow(scimError('invalidFilter', `Nesting deeper than ${MAX_NESTING_DEPTH} levels`));
  });

  it('counts not and value filters toward the nesting limit', () => {
    const source = `${'not '.repeat(MAX_NESTING_DEPTH)}emails[type eq "work"]`;
    expect(() => parseFilter(source)).toThrow(scimError('invalidFilter', 'Nesting deeper than'));
  });

  it(`accepts a filter of ${MAX_EXPRESSION_LENGTH} characters and rejects a longer one`, () => {
    const prefix = 'userName eq "';
    const fitting = `${prefix}${'a'.repeat(MAX_EXPRESSION_LENGTH - prefix.length - 1)}"`;
    expect(fitting).toHaveLength(MAX_EXPRESSION_LENGTH);
    expect(parseFilter(fitting)).toMatchObject({ op: 'eq' });
    expect(() => parseFilter(`${fitting} `)).toThrow(scimError('invalidFilter', `longer than ${MAX_EXPRESSION_LENGTH} characters`));
  });

  it('parses a long or-chain into a left-deep tree without recursion limits', () => {
    const terms = Array.from({ length: 300 }, (_, i) => `userName eq "u${i}"`);
    let node = parseFilter(terms.join(' or ')) as { op: string; left?: unknown; right?: { value?: unknown } };
    let depth = 0;
    while (node.op === 'or') {
      expect(node.right?.value).toBe(`u${299 - depth}`);
      node = node.left as typeof node;
      depth++;
    }
    expect(depth).toBe(299);
  });
});

describe('parseAttributePath', () => {
  it.each(paths.parse)('parses $source', ({ source, expected }) => {
    expect(parseAttributePath(source)).toStrictEqual(withPathDefaults(expected));
  });

  it.each(paths.errors)('rejects "$source" with invalidPath: $detail', ({ source, detail }) => {
    expect(() => parseAttributePath(source)).toThrow(scimError('invalidPath', detail));
  });

  it('reports errors inside a value filter as invalidPath, not invalidFilter', () => {
    expect(() => parseAttributePath('members[value xx "1"]')).toThrow(scimError('invalidPath', 'Expected an operator after "value" at position 14'));
  });
});

describe('readValues', () => {
  it.each(paths.read)('reads $path', ({ path, expected }) => {
    expect(readValues(paths.resource, parseAttributePath(path))).toStrictEqual(expected);
  });
});
