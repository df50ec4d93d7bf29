// The BI tool failing under an ordinary request: only 502/503/504 may come back, and nothing of the BI tool's address.
import fc from 'fast-check';
import { patchBody, userBody } from '../support/build-test-app.ts';
import { printable, type FuzzRequest } from './exchange.ts';
import { emailPool, groupNamePool, type KnownIds } from './fixture-bodies.ts';
import type { FuzzHarness } from './harness.ts';

/** Metabase answers the double can be told to give (0 drops the connection), on which family of its routes. */
const FAULT_STATUSES = [0, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504];
const FAULT_ROUTES = ['/api/user', '/api/permissions', '/api/'];

export interface GatewayCase {
  fault: { pathPrefix: string; status: number };
  request: FuzzRequest;
}

/** Requests that reach Metabase on every path a use case takes; none deletes, so the known resources stay. */
function ordinaryRequest(known: KnownIds): fc.Arbitrary<FuzzRequest> {
  const user = fc.constantFrom(...known.users);
  const group = fc.constantFrom(...known.groups);
  const json = (body: unknown) => JSON.stringify(body);
  return fc
    .oneof<fc.Arbitrary<FuzzRequest>[]>(
      user.map((id) => ({ method: 'GET', path: `/Users/${id}` })),
      group.map((id) => ({ method: 'GET', path: `/Groups/${id}` })),
      fc
        .constantFrom(
          '/Users?count=5',
          '/Groups?excludedAttributes=members',
          '/Users?filter=title%20pr',
          '/Users?filter=userName%20eq%20%22known.1%40example.com%22',
        )
        .map((path) => ({ method: 'GET', path })),
      emailPool.map((email) => ({ method: 'POST', path: '/Users', body: json(userBody(email)) })),
      fc
        .tuple(user, fc.boolean())
        .map(([id, active]) => ({ method: 'PATCH', path: `/Users/${id}`, body: json(patchBody({ op: 'replace', path: 'active', value: active })) })),
      fc.tuple(user, emailPool).map(([id, email]) => ({ method: 'PUT', path: `/Users/${id}`, body: json(userBody(email)) })),
      groupNamePool.map((name) => ({
        method: 'POST',
        path: '/Groups',
        body: json({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name }),
      })),
      fc.tuple(group, user, fc.constantFrom('add', 'remove')).map(([id, member, op]) => ({
        method: 'PATCH',
        path: `/Groups/${id}`,
        body: json(patchBody(op === 'add' ? { op, path: 'members', value: [{ value: member }] } : { op, path: `members[value eq "${member}"]` })),
      })),
    )
    .map(printable);
}

export function gatewayCase(known: KnownIds): fc.Arbitrary<GatewayCase> {
  const fault = fc.record({ pathPrefix: fc.constantFrom(...FAULT_ROUTES), status: fc.constantFrom(...FAULT_STATUSES) });
  return fc.record({ fault, request: ordinaryRequest(known) });
}

/** Consumes the fault if the request never reached the BI tool, so it cannot fall on the next case. */
async function drain(h: FuzzHarness, pathPrefix: string): Promise<void> {
  const route = pathPrefix === '/api/permissions' ? '/api/permissions/group' : '/api/user/current';
  await fetch(`${h.double.url}${route}`, { headers: { 'x-api-key': h.double.apiKey } }).then(
    (res) => res.arrayBuffer(),
    () => undefined,
  );
}

export async function checkGatewayCase(h: FuzzHarness, { fault, request }: GatewayCase): Promise<void> {
  h.double.failNext({ pathPrefix: fault.pathPrefix }, fault.status, 1);
  try {
    await h.send(request, true);
  } finally {
    await drain(h, fault.pathPrefix);
  }
}
