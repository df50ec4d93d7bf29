// Two people whose userName and externalId differ by one odd code unit: each is created, found, changed, deleted, revived alone.
import fc from 'fast-check';
import { patchBody, userBody } from '../support/build-test-app.ts';
import { spell } from './http-parts.ts';
import type { FuzzHarness } from './harness.ts';
import { ODD_UNITS, oddString } from './unicode.ts';

/**
 * A shared stem and two different odd endings, e.g. `x\ud800` and `x\udfff`: the same key once UTF-8 encoding
 * has replaced each lone surrogate with U+FFFD, and `K`/`\u212a`, the same userName once lower-cased.
 */
export const identityCase = fc.record({
  stem: oddString(12),
  endings: fc.uniqueArray(fc.constantFrom(...ODD_UNITS), { minLength: 2, maxLength: 2 }),
  externalStem: oddString(12),
});

export type IdentityCase = typeof identityCase extends fc.Arbitrary<infer T> ? T : never;

interface Person {
  userName: string;
  externalId: string;
  body: string;
  id?: string;
}

let scenario = 0;

/** Fails the case with what happened, for fast-check to shrink. */
function must(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(what);
}

const filterPath = (attribute: string, value: string) => `/Users?filter=${spell(`${attribute} eq ${JSON.stringify(value)}`, 'percent')}`;

async function idsFound(h: FuzzHarness, attribute: string, value: string): Promise<string[]> {
  const answer = await h.send({ method: 'GET', path: filterPath(attribute, value) });
  must(answer.status === 200, `filter ${attribute} eq ${JSON.stringify(value)} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return (JSON.parse(answer.text).Resources as Array<{ id: string }>).map((r) => r.id).sort();
}

/** Reads the person back by id and by each indexed attribute; only they may be found. */
async function expectFoundAlone(h: FuzzHarness, person: Person, other: Person): Promise<void> {
  const answer = await h.send({ method: 'GET', path: `/Users/${person.id}` });
  must(answer.status === 200, `GET /Users/${person.id} answered ${answer.status}`);
  const doc = JSON.parse(answer.text);
  must(doc.userName === person.userName, `userName came back as ${JSON.stringify(doc.userName)}, sent ${JSON.stringify(person.userName)}`);
  must(doc.externalId === person.externalId, `externalId came back as ${JSON.stringify(doc.externalId)}, sent ${JSON.stringify(person.externalId)}`);
  const byName = await idsFound(h, 'userName', person.userName);
  must(
    JSON.stringify(byName) === JSON.stringify([person.id]),
    `userName eq ${JSON.stringify(person.userName)} found ${JSON.stringify(byName)}, not ["${person.id}"]`,
  );
  const byExternalId = await idsFound(h, 'externalId', person.externalId);
  const expected = [person.id, ...(other.id && other.externalId === person.externalId ? [other.id] : [])].sort();
  must(
    JSON.stringify(byExternalId) === JSON.stringify(expected),
    `externalId eq ${JSON.stringify(person.externalId)} found ${JSON.stringify(byExternalId)}, not ${JSON.stringify(expected)}`,
  );
}

/** Changed, deleted (then 404), and revived under the same id by the same POST (design §2.3). */
async function expectLifecycle(h: FuzzHarness, person: Person): Promise<void> {
  const path = `/Users/${person.id}`;
  const steps: Array<[string, string, string | undefined, number]> = [
    ['PATCH', path, JSON.stringify(patchBody({ op: 'replace', path: 'displayName', value: 'Changed' })), 200],
    ['DELETE', path, undefined, 204],
    ['GET', path, undefined, 404],
    ['POST', '/Users', person.body, 201],
    ['DELETE', path, undefined, 204],
  ];
  for (const [method, p, body, status] of steps) {
    const answer = await h.send({ method, path: p, body });
    must(answer.status === status, `${method} ${p} answered ${answer.status}, expected ${status}: ${answer.text.slice(0, 300)}`);
    if (method === 'POST') must(JSON.parse(answer.text).id === person.id, `the revival of ${person.id} answered id ${JSON.parse(answer.text).id}`);
  }
}

export async function checkIdentityCase(h: FuzzHarness, { stem, endings, externalStem }: IdentityCase): Promise<void> {
  const n = ++scenario;
  const people: Person[] = ['a', 'b'].map((tag, i) => {
    const userName = `idn${n}.${stem}${endings[i]}`;
    const externalId = `ext${n}.${externalStem}${endings[i]}`;
    return { userName, externalId, body: JSON.stringify(userBody(userName, { externalId, emails: [{ value: `idn${n}${tag}@example.com`, primary: true }] })) };
  });
  const [a, b] = people;
  for (const person of people) {
    const answer = await h.send({ method: 'POST', path: '/Users', body: person.body });
    const sameName = person === b && a.id !== undefined && a.userName.toLowerCase() === b.userName.toLowerCase();
    const allowed = sameName ? [409] : [201, 400];
    must(
      allowed.includes(answer.status),
      `POST userName ${JSON.stringify(person.userName)} answered ${answer.status}, expected ${allowed.join(' or ')}: ${answer.text.slice(0, 300)}`,
    );
    if (answer.status === 201) person.id = JSON.parse(answer.text).id;
  }
  must(a.id === undefined || a.id !== b.id, `both people got id ${a.id}`);
  for (const [person, other] of [
    [a, b],
    [b, a],
  ] as const)
    if (person.id) await expectFoundAlone(h, person, other);
  for (const person of people) if (person.id) await expectLifecycle(h, person);
}
