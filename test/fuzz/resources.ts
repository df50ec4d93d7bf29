// The resources a run aims at, and the after-run check that every resource it touched can still be read, changed, deleted.
import { groupBody, patchBody, userBody } from '../support/build-test-app.ts';
import type { FuzzHarness } from './harness.ts';

const KNOWN_USERS = 8;
const KNOWN_GROUPS = 3;

/** People and groups (with members) made before the run, so fuzzed ids and member values often name real ones. */
export async function createKnownResources(h: FuzzHarness): Promise<void> {
  const users: string[] = [];
  for (let i = 0; i < KNOWN_USERS; i++) {
    const answer = await h.send({ method: 'POST', path: '/Users', body: JSON.stringify(userBody(`known.${i}@example.com`, { externalId: `known-${i}` })) });
    users.push(JSON.parse(answer.text).id);
  }
  const groups: string[] = [];
  for (let i = 0; i < KNOWN_GROUPS; i++) {
    const answer = await h.send({ method: 'POST', path: '/Groups', body: JSON.stringify(groupBody(`Known group ${i}`, users.slice(i, i + 3))) });
    groups.push(JSON.parse(answer.text).id);
  }
  Object.assign(h.known, { users, groups });
}

/** Each step's request and the statuses that show the resource is still usable. */
function lifecycle(kind: 'Users' | 'Groups', id: string): Array<{ method: string; body?: unknown; expect: number[] }> {
  const change =
    kind === 'Users' ? { op: 'replace', path: 'title', value: `after the run ${id}` } : { op: 'replace', path: 'displayName', value: `After the run ${id}` };
  return [
    { method: 'PATCH', body: patchBody(change), expect: [200, 204] },
    { method: 'GET', expect: [200] },
    { method: 'DELETE', expect: [204] },
    { method: 'GET', expect: [404] },
  ];
}

/**
 * What is wedged: every resource made before or during the run that still answers GET must take a PATCH, a read
 * and a DELETE, after which it answers 404. A resource the run itself deleted answers 404 at once and is skipped.
 */
export async function wedgedResources(h: FuzzHarness): Promise<string[]> {
  const problems: string[] = [];
  const all = [...h.known.users.map((id) => ['Users', id] as const), ...h.known.groups.map((id) => ['Groups', id] as const)];
  for (const kind of ['Users', 'Groups'] as const) for (const id of h.created[kind]) if (!all.some(([k, i]) => k === kind && i === id)) all.push([kind, id]);
  for (const [kind, id] of all) {
    const path = `/${kind}/${encodeURIComponent(id)}`;
    const first = await h.exchange({ method: 'GET', path });
    if (first.status === 404) continue;
    if (first.status !== 200) {
      problems.push(`GET ${path} answered ${first.status}: ${first.text.slice(0, 200)}`);
      continue;
    }
    for (const step of lifecycle(kind, id)) {
      const answer = await h.exchange({ method: step.method, path, body: step.body === undefined ? undefined : JSON.stringify(step.body) });
      if (!step.expect.includes(answer.status)) {
        problems.push(`${step.method} ${path} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        break;
      }
    }
  }
  return problems;
}
