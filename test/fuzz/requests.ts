// Whole fuzzed requests, one arbitrary per property: filters, PATCHes, bodies, headers, paths, trailing slashes.
import fc from 'fast-check';
import { resourceBodyText, searchBodyText } from './bodies.ts';
import { printable, type FuzzRequest } from './exchange.ts';
import { anyFilter } from './filters.ts';
import type { KnownIds, Resource } from './fixture-bodies.ts';
import { headers, idSegment, queryString, spell, spelling } from './http-parts.ts';
import { patchBodyText } from './patches.ts';
import { oddString } from './unicode.ts';

const resource = fc.constantFrom<Resource>('Users', 'Groups');

/** Values the known resources hold, so some filters match something. */
function knownValues(known: KnownIds): string[] {
  return [...known.users.map((_, i) => `known.${i}@example.com`), ...known.users.map((_, i) => `known-${i}`), ...known.users, ...known.groups, 'Known group 0'];
}

function idOf(known: KnownIds, kind: Resource): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(kind === 'Users' ? known.users : known.groups)) },
    { weight: 1, arbitrary: idSegment([...known.users, ...known.groups]) },
  );
}

/** GET ?filter= in any spelling, or the same filter in a POST /.search body (per resource or at the root). */
export function filterRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  const filter = anyFilter(knownValues(known));
  const viaQuery = fc.tuple(resource, filter, spelling, fc.nat(), queryString(knownValues(known))).map(([kind, f, how, at, extra]) => ({
    method: 'GET',
    path: `/${kind}?filter=${spell(f, how, at)}${extra.replace(/^\?/, '&')}`,
  }));
  const viaSearch = fc
    .tuple(fc.constantFrom('/Users/.search', '/Groups/.search', '/.search'), searchBodyText(filter))
    .map(([path, body]) => ({ method: 'POST', path, body }));
  return fc.oneof({ weight: 3, arbitrary: viaQuery }, { weight: 1, arbitrary: viaSearch }).map(printable);
}

/** A PATCH of a known resource (or a stranger), sometimes asking for attributes back. */
export function patchRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  return resource
    .chain((kind) =>
      fc.tuple(
        fc.constant(kind),
        idOf(known, kind),
        patchBodyText(known, kind),
        fc.constantFrom('', '', '', '?attributes=members', '?excludedAttributes=members', '?attributes=userName,emails'),
      ),
    )
    .map(([kind, id, body, query]) => printable({ method: 'PATCH', path: `/${kind}/${id}${query}`, body }));
}

/** A POST or PUT carrying a resource body, an IdP's own or an odd one. */
export function bodyRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(resource, fc.constantFrom<'POST' | 'PUT'>('POST', 'POST', 'PUT'))
    .chain(([kind, method]) => fc.tuple(fc.constant(kind), fc.constant(method), idOf(known, kind), resourceBodyText(kind, known, method)))
    .map(([kind, method, id, body]) => printable({ method, path: method === 'POST' ? `/${kind}` : `/${kind}/${id}`, body }));
}

/** Ordinary requests with fuzzed authorization, media types, proxies' headers and request ids. */
export function headerRequest(known: KnownIds, token: string): fc.Arbitrary<FuzzRequest> {
  const line = fc.oneof(
    fc.constant({ method: 'GET', path: '/Users' }),
    fc.constantFrom(...known.users).map((id) => ({ method: 'GET', path: `/Users/${id}` })),
    fc.constantFrom(...known.groups).map((id) => ({ method: 'GET', path: `/Groups/${id}?excludedAttributes=members` })),
    fc.constant({
      method: 'POST',
      path: '/Users',
      body: '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"fz1@example.com","emails":[{"value":"fz1@example.com"}]}',
    }),
    fc.constantFrom(...known.users).map((id) => ({
      method: 'PATCH',
      path: `/Users/${id}`,
      body: '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Fuzzed"}]}',
    })),
    fc.constant({
      method: 'POST',
      path: '/.search',
      body: '{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \\"known\\""}',
    }),
    fc.constant({ method: 'GET', path: '/ServiceProviderConfig' }),
  );
  return fc.tuple(line, headers(token)).map(([request, fuzzed]) => printable({ ...request, headers: fuzzed }));
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'];

/** Any method on any path shape: ids in every spelling, extra segments, slashes, other cases, the discovery routes. */
export function pathRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  const id = idSegment([...known.users, ...known.groups]);
  const kind = fc.constantFrom('Users', 'Groups', 'users', 'GROUPS');
  const inside = fc.oneof(
    fc.tuple(kind, fc.constantFrom('', '/', '//')).map(([k, slash]) => `/${k}${slash}`),
    fc.tuple(kind, id, fc.constantFrom('', '/', '/x', '/.search', '/..')).map(([k, i, tail]) => `/${k}/${i}${tail}`),
    fc
      .tuple(fc.constantFrom('/ServiceProviderConfig', '/ResourceTypes', '/Schemas', '/ResourceTypes/', '/Schemas/'), fc.oneof(fc.constant(''), id))
      .map(([p, i]) => `${p}${i}`),
    fc.constantFrom('', '/', '/.search', '/Bulk', '/Me', '//Users', '/Users/.search/', '/%2e%2e/Users', '/Users%2F1'),
  );
  const path = fc.tuple(inside, queryString(knownValues(known))).map(([p, q]) => ({ path: `${p}${q}` }));
  const outside = fc.constantFrom('/healthz', '/readyz', '/', '/scim', '/scim/v2x', '/scim/v2/../v2/Users').map((p) => ({ path: p, outsideBase: true }));
  const body = fc.option(fc.oneof(fc.constant('{}'), oddString(20), patchBodyText(known, 'Users')), { freq: 2 });
  return fc
    .tuple(fc.constantFrom(...METHODS), fc.oneof({ weight: 9, arbitrary: path }, { weight: 1, arbitrary: outside }), body)
    .map(([method, where, b]) => printable({ method, ...where, ...(b === null || method === 'GET' ? {} : { body: b }) }));
}

/** A read of a collection or discovery endpoint with a query, spelt with and without a trailing slash. */
export function slashRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  const collection = fc.constantFrom('/Users', '/Groups', '/ServiceProviderConfig', '/ResourceTypes', '/Schemas');
  return fc.tuple(collection, queryString(knownValues(known))).map(([path, query]) => printable({ method: 'GET', path: `${path}${query}` }));
}
