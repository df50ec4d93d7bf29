// The verdict: the double's tables read directly, and the few facts only the SCIM view holds, against the intended directory.
import type { DoubleUser, MetabaseDouble } from '../support/metabase-double.ts';
import type { IntendedDirectory, IntendedGroup, IntendedPerson } from './directory-model.ts';
import type { Idp } from './idp.ts';
import { TOMBSTONE_GROUP } from '../../src/provisioning/group-view.ts';

/** One difference: who or what (`person p017 <ada.lee.17@…>`, `group g03 "Sales Team 3"`) and how it differs. */
export interface Mismatch {
  subject: string;
  problem: string;
}

interface Tables {
  /** Personal users other than the installing admin; API-key and internal users are not people. */
  users: DoubleUser[];
  /** Double user id → intended person key. */
  personOf: Map<number, string>;
  /** Intended person key → double user. */
  userOf: Map<string, DoubleUser>;
}

const personLabel = (p: IntendedPerson) => `person ${p.key} <${p.profile.email}>`;
const groupLabel = (g: IntendedGroup) => `group ${g.key} "${g.name}"`;
const show = (value: unknown) => JSON.stringify(value);

/** Finds each person's row by the id the IdP linked, else by email, and checks the attributes the BI tool holds. */
function comparePeople(double: MetabaseDouble, intended: IntendedDirectory, idp: Idp, rows: Mismatch[]): Tables {
  const users = double.state.users().filter((u) => u.type === 'personal' && u.email !== double.adminEmail);
  const byId = new Map(users.map((u) => [String(u.id), u]));
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  const tables: Tables = { users, personOf: new Map(), userOf: new Map() };
  for (const person of intended.people.values()) {
    const add = (problem: string) => rows.push({ subject: personLabel(person), problem });
    const linked = person.deleted ? idp.deletedIds.get(person.key) : idp.ids.get(person.key);
    const withEmail = byEmail.get(person.profile.email);
    const user = (linked ? byId.get(linked) : undefined) ?? withEmail;
    if (!user) {
      if (!person.deleted) add('missing from Metabase');
      continue;
    }
    tables.personOf.set(user.id, person.key);
    tables.userOf.set(person.key, user);
    if (withEmail && withEmail.id !== user.id) add(`the IdP is linked to id ${user.id}, but Metabase holds this email as id ${withEmail.id}`);
    if (person.deleted) {
      if (user.is_active) add(`DELETEd, but active in Metabase (id ${user.id})`);
      continue;
    }
    if (!linked) add('the IdP could not link this person to any id, even after the convergence pass');
    if (user.is_active !== person.active) add(`is_active is ${show(user.is_active)}, intended ${show(person.active)}`);
    // Metabase cannot edit inactive people: bi-scim holds their edits until reactivation (README), so the SCIM view is judged instead.
    if (!person.active || !user.is_active) continue;
    const fields: Array<[string, unknown, unknown]> = [
      ['email', user.email, person.profile.email],
      ['first_name', user.first_name, person.profile.givenName],
      ['last_name', user.last_name, person.profile.familyName],
    ];
    for (const [field, actual, wanted] of fields) if (actual !== wanted) add(`${field} is ${show(actual)}, intended ${show(wanted)}`);
  }
  for (const user of users) {
    if (!tables.personOf.has(user.id))
      rows.push({
        subject: `user id ${user.id} <${user.email}>`,
        problem: `in Metabase (${user.is_active ? 'active' : 'inactive'}) but no intended person: a duplicate or a leftover`,
      });
  }
  return tables;
}

/** Memberships per group. DELETEd people's rows are judged through the SCIM view instead (see compareScimView). */
function compareGroups(double: MetabaseDouble, intended: IntendedDirectory, idp: Idp, tables: Tables, rows: Mismatch[]): void {
  const groups = double.state.groups();
  const memberships = double.state.memberships();
  const userById = new Map(tables.users.map((u) => [u.id, u]));
  const wantedNames = new Set<string>();
  for (const group of intended.groups.values()) {
    const name = group.mappedTo ?? group.name;
    const row = groups.find((g) => g.name === name);
    const add = (problem: string) => rows.push({ subject: groupLabel(group), problem });
    if (group.deleted) {
      if (row && !group.mappedTo) add(`DELETEd, but still in Metabase (id ${row.id})`);
      continue;
    }
    wantedNames.add(name);
    if (!row) {
      add('missing from Metabase');
      continue;
    }
    const linked = idp.ids.get(group.key);
    if (linked !== String(row.id)) add(`the IdP is linked to id ${linked ?? 'none'}, but Metabase holds it as id ${row.id}`);
    const actual = new Set(memberships.filter((m) => m.group_id === row.id && userById.has(m.user_id)).map((m) => m.user_id));
    for (const key of group.members) {
      const user = tables.userOf.get(key);
      if (!user || !actual.has(user.id)) add(`${personLabel(intended.person(key))} is missing from it`);
    }
    for (const userId of actual) {
      const key = tables.personOf.get(userId);
      if (key && intended.person(key).deleted) {
        add(`${personLabel(intended.person(key))} was DELETEd but is still in it`);
        continue;
      }
      if (!key || !group.members.has(key))
        add(`${key ? personLabel(intended.person(key)) : `user id ${userId} <${userById.get(userId)!.email}>`} is in it but should not be`);
    }
  }
  for (const row of groups) {
    if (row.name === TOMBSTONE_GROUP) continue;
    if (row.magic_group_type === null && !wantedNames.has(row.name))
      rows.push({ subject: `Metabase group ${row.id} "${row.name}"`, problem: 'no intended group has this name: a duplicate or a leftover' });
  }
  // The group bi-scim marks DELETEd people with (README "Leavers"): exactly them, so a lost store still knows them.
  const marked = groups.find((row) => row.name === TOMBSTONE_GROUP);
  const markedIds = new Set(memberships.filter((m) => m.group_id === marked?.id).map((m) => m.user_id));
  for (const person of intended.people.values()) {
    const user = tables.userOf.get(person.key);
    if (user && person.deleted !== markedIds.has(user.id))
      rows.push({
        subject: personLabel(person),
        problem: person.deleted ? `DELETEd but not in "${TOMBSTONE_GROUP}"` : `in "${TOMBSTONE_GROUP}" but not DELETEd`,
      });
  }
}

/** Every way a SCIM User differs from the person the IdP holds, in the attributes both sides have. */
export function scimDifferences(resource: any, person: IntendedPerson): string[] {
  const email = resource?.emails?.find((e: { primary?: boolean }) => e.primary)?.value ?? resource?.emails?.[0]?.value;
  const fields: Array<[string, unknown, unknown]> = [
    ['active', resource?.active, person.active],
    ['userName', String(resource?.userName).toLowerCase(), person.profile.email],
    ['emails', String(email).toLowerCase(), person.profile.email],
    ['name.givenName', resource?.name?.givenName, person.profile.givenName],
    ['name.familyName', resource?.name?.familyName, person.profile.familyName],
  ];
  return fields.filter(([, actual, wanted]) => actual !== wanted).map(([field, actual, wanted]) => `${field} is ${show(actual)}, intended ${show(wanted)}`);
}

/**
 * Deactivated people must show their latest edits; DELETEd ids must answer 404; no group may list a DELETEd person
 * among its members.
 */
async function compareScimView(intended: IntendedDirectory, idp: Idp, rows: Mismatch[]): Promise<void> {
  for (const person of intended.livePeople().filter((p) => !p.active && idp.ids.has(p.key))) {
    const answer = await idp.client.send('GET', `/Users/${idp.ids.get(person.key)}`, undefined, 'read');
    const problems = answer.status === 200 ? scimDifferences(answer.body, person) : [`answers ${answer.status}`];
    for (const problem of problems) rows.push({ subject: personLabel(person), problem: `deactivated; GET /Users/${idp.ids.get(person.key)} ${problem}` });
  }
  const deleted = new Map([...idp.deletedIds].filter(([key]) => intended.person(key).deleted).map(([key, id]) => [id, intended.person(key)]));
  for (const [id, person] of deleted) {
    const answer = await idp.client.send('GET', `/Users/${id}`, undefined, 'read');
    if (answer.status !== 404) rows.push({ subject: personLabel(person), problem: `DELETEd, but GET /Users/${id} answers ${answer.status}` });
  }
  for (const group of intended.liveGroups()) {
    const id = idp.ids.get(group.key);
    if (!id) continue;
    const answer = await idp.client.send('GET', `/Groups/${id}`, undefined, 'read');
    const listed: string[] = (answer.body?.members ?? []).map((m: { value: string }) => m.value);
    for (const value of listed) {
      const person = deleted.get(value);
      if (person) rows.push({ subject: groupLabel(group), problem: `GET /Groups/${id} lists DELETEd ${personLabel(person)} (id ${value}) as a member` });
    }
  }
}

export async function compareWithIntended(double: MetabaseDouble, intended: IntendedDirectory, idp: Idp): Promise<Mismatch[]> {
  const rows: Mismatch[] = [];
  const tables = comparePeople(double, intended, idp, rows);
  compareGroups(double, intended, idp, tables, rows);
  await compareScimView(intended, idp, rows);
  return rows;
}
