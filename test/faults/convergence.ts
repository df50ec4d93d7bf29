// One convergence pass, as an IdP's next cycle: retry what was never acknowledged, and make every person and group it believes in agree.
import { mapWithConcurrency } from '../../src/targets/concurrency.ts';
import { scimDifferences } from './compare.ts';
import type { IntendedGroup, IntendedPerson } from './directory-model.ts';
import * as shapes from './idp-dialects.ts';
import { pair, type Idp } from './idp.ts';

const ok = (status: number) => status >= 200 && status < 300;

/** The id a filter finds for someone the IdP lost track of (a DELETE whose every try failed before it had one). */
async function lookUp(idp: Idp, request: shapes.ScimRequest): Promise<string | null> {
  const found = await idp.client.send(request.method, request.path, undefined, 'read');
  return ok(found.status) ? (found.body?.Resources?.[0]?.id ?? null) : null;
}

async function convergePerson(idp: Idp, person: IntendedPerson): Promise<void> {
  if (person.deleted) {
    if (!idp.pending.has(person.key)) return;
    const id = idp.deletedIds.get(person.key) ?? (await lookUp(idp, shapes.userFilter(person.dialect, person.profile.email)));
    if (!id) return;
    idp.deletedIds.set(person.key, id);
    await idp.deleteById(person.key, `/Users/${id}`);
    return;
  }
  const read = async (id: string | undefined) => (id ? idp.client.send('GET', `/Users/${id}`, undefined, 'read') : { status: 404, body: null });
  let current = await read(idp.ids.get(person.key));
  // Gone or never linked: Okta creates (or links by filter) again.
  if (current.status === 404 && (await idp.createPerson(person))) current = await read(idp.ids.get(person.key));
  const id = idp.ids.get(person.key);
  if (!id || !ok(current.status) || scimDifferences(current.body, person).length === 0) return;
  // One full PUT sets profile and active flag together, as the wizard app does.
  await idp.sequence(shapes.updateUser({ ...person, dialect: 'okta-wizard' }, id, person.profile, person.active));
}

async function convergeGroup(idp: Idp, group: IntendedGroup): Promise<void> {
  if (group.deleted) {
    if (!idp.pending.has(group.key)) return;
    const id = idp.ids.get(group.key) ?? (await lookUp(idp, shapes.groupFilter(group.dialect, group.name)));
    if (id && (await idp.deleteById(group.key, `/Groups/${id}`))) idp.ids.delete(group.key);
    return;
  }
  const id = idp.ids.get(group.key);
  const current = id ? await idp.client.send('GET', `/Groups/${id}?excludedAttributes=members`, undefined, 'read') : { status: 404 };
  let relinked = false;
  if (current.status === 404) {
    // Unknown to the sidecar now (never created, or its link was lost): push it again, with every member.
    relinked = await idp.createGroup(group);
    if (!relinked) return;
  } else if (!ok(current.status)) {
    return;
  }
  const waiting = new Set([...idp.pendingPairs].filter((p) => p.startsWith(`${group.key}|`)).map((p) => p.split('|')[1]));
  if (relinked) group.members.forEach((key) => waiting.add(key));
  const named = [...waiting].filter((key) => idp.ids.has(key));
  const add = named.filter((key) => group.members.has(key));
  const remove = named.filter((key) => !group.members.has(key));
  if (add.length + remove.length > 0) await idp.changeMembers(group, add, remove);
  else waiting.forEach((key) => idp.pendingPairs.delete(pair(group.key, key)));
}

/** People first, so that every member has an id when the groups are settled. */
export async function converge(idp: Idp, concurrency: number, deadline: number): Promise<void> {
  const inTime =
    <T>(fn: (item: T) => Promise<void>) =>
    (item: T) =>
      Date.now() < deadline ? fn(item) : Promise.resolve();
  await mapWithConcurrency(
    [...idp.view.people.values()],
    concurrency,
    inTime((person: IntendedPerson) => convergePerson(idp, person)),
  );
  await mapWithConcurrency(
    [...idp.view.groups.values()],
    concurrency,
    inTime((group: IntendedGroup) => convergeGroup(idp, group)),
  );
}
