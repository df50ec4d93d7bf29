// The request bodies Okta and Entra really send (test/fixtures/idp), with their placeholders filled by fuzzed values.
import fc from 'fast-check';
import { listFixtures, loadFixture, placeholdersIn, renderTemplate } from '../support/replay.ts';
import { oddString } from './unicode.ts';

export type Resource = 'Users' | 'Groups';

/** Ids the fuzzed requests aim at: resources made before the run, so most requests reach the BI tool. */
export interface KnownIds {
  users: readonly string[];
  groups: readonly string[];
}

export interface FixtureRequest {
  method: 'POST' | 'PUT' | 'PATCH';
  resource: Resource;
  body: unknown;
}

/** Every POST, PUT and PATCH body of every fixture, templates unfilled. */
export const FIXTURE_REQUESTS: readonly FixtureRequest[] = listFixtures().flatMap((name) =>
  loadFixture(name).steps.flatMap(({ request }) => {
    const resource = /^\/(Users|Groups)\b/.exec(request.path)?.[1] as Resource | undefined;
    const method = request.method as FixtureRequest['method'];
    return resource && request.body !== undefined && ['POST', 'PUT', 'PATCH'].includes(method) ? [{ method, resource, body: request.body }] : [];
  }),
);

/**
 * Names and emails come from small pools, so a long run keeps re-using the same few dozen people and groups
 * (conflicts, revivals) instead of growing the directory until a scan is slow for reasons of its own.
 */
export const emailPool = fc.nat({ max: 63 }).map((k) => `fz${k}@example.com`);
export const groupNamePool = fc.nat({ max: 15 }).map((k) => `Fuzz group ${k}`);

/** A value for one placeholder, chosen by what the fixture's variable names hold. */
function valueFor(name: string, known: KnownIds): fc.Arbitrary<string> {
  const odd = oddString(30);
  if (name === '$baseUrl') return fc.constant('http://localhost/scim/v2');
  if (name === '$uuid' || /(ObjectId|OktaId)$/.test(name)) return fc.oneof(fc.uuid(), odd);
  if (name === '$random') return odd;
  if (/(Upn|Mail|Email)$/.test(name)) return fc.oneof({ weight: 5, arbitrary: emailPool }, { weight: 1, arbitrary: odd });
  if (/(Group|Renamed)$/.test(name)) return fc.oneof({ weight: 5, arbitrary: groupNamePool }, { weight: 1, arbitrary: odd });
  // What is left are ids captured from earlier answers: of people (members, managers), now and then of anything.
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known.users) },
    { weight: 1, arbitrary: fc.constantFrom(...known.groups) },
    { weight: 1, arbitrary: odd },
  );
}

/** One fixture body of the given kind, its placeholders filled. */
export function fixtureBody(known: KnownIds, method: FixtureRequest['method'], resource: Resource): fc.Arbitrary<unknown> {
  const bodies = FIXTURE_REQUESTS.filter((r) => r.method === method && r.resource === resource).map((r) => r.body);
  if (bodies.length === 0) throw new Error(`No fixture sends ${method} /${resource}`);
  return fc.constantFrom(...bodies).chain((body) => {
    const names = [...new Set(placeholdersIn(body))];
    const values = names.map((name) => valueFor(name, known));
    return fc.tuple(...values).map((filled) => renderTemplate(body, Object.fromEntries(names.map((name, i) => [name, filled[i]]))));
  });
}
