// The requests each IdP dialect sends for a change, as in test/fixtures/idp/*.json and reference/idp-behaviour.md §1.3, §2.1–§2.2.
import type { RequestKind } from './idp-client.ts';
import type { Dialect, IntendedGroup, IntendedPerson, Profile } from './directory-model.ts';

export interface ScimRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  kind: RequestKind;
}

/** A group member as an IdP names it: our SCIM id, and the login Okta shows as `display`. */
export interface MemberRef {
  id: string;
  email: string;
}

export interface MemberChange {
  add: MemberRef[];
  remove: string[];
  /** Everyone the IdP has in the group after the change (the wizard PUTs the whole list). */
  all: MemberRef[];
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTRA_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const quoted = (value: string) => encodeURIComponent(`"${value}"`);
const patch = (path: string, operations: unknown[], kind: RequestKind): ScimRequest => ({
  method: 'PATCH',
  path,
  body: { schemas: [PATCH_OP], Operations: operations },
  kind,
});
const displayName = (p: Profile) => `${p.givenName} ${p.familyName}`;

/** Okta's full user (create body, and every PUT copies it with the changed attributes). */
function oktaUser(person: IntendedPerson, profile: Profile, active: boolean, id?: string): Record<string, unknown> {
  return {
    schemas: [USER],
    ...(id ? { id } : {}),
    userName: profile.email,
    name: { givenName: profile.givenName, ...(id ? { middleName: '' } : {}), familyName: profile.familyName },
    emails: [{ primary: true, value: profile.email, type: 'work', ...(id ? { display: profile.email } : {}) }],
    displayName: displayName(profile),
    locale: 'en-US',
    externalId: person.externalId,
    groups: [],
    // Okta sends a random placeholder password on every create (idp-behaviour.md §1.3).
    ...(id ? { meta: { resourceType: 'User' } } : { password: `pw${person.key}x9` }),
    active,
  };
}

function entraUser(person: IntendedPerson, profile: Profile): Record<string, unknown> {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: person.externalId,
    userName: profile.email,
    active: true,
    displayName: displayName(profile),
    emails: [{ primary: true, type: 'work', value: profile.email }],
    meta: { resourceType: 'User' },
    name: { formatted: displayName(profile), familyName: profile.familyName, givenName: profile.givenName },
    roles: [],
    ...(person.dialect === 'entra-default' ? { addresses: null, phoneNumbers: null, title: null } : {}),
  };
}

const okta = (dialect: Dialect) => dialect.startsWith('okta');

export function userFilter(dialect: Dialect, email: string): ScimRequest {
  // Okta writes %20 and paging; Entra writes + for spaces (idp-behaviour.md §1.3, §2.1).
  const path = okta(dialect) ? `/Users?filter=userName%20eq%20${quoted(email)}&startIndex=1&count=100` : `/Users?filter=userName+eq+${quoted(email)}`;
  return { method: 'GET', path, kind: 'read' };
}

export function createUser(person: IntendedPerson): ScimRequest {
  const body = okta(person.dialect) ? oktaUser(person, person.profile, true) : entraUser(person, person.profile);
  return { method: 'POST', path: '/Users', body, kind: 'create' };
}

/** The whole profile (and, for Okta's PUT, the active flag) as each dialect pushes an edit. */
export function updateUser(person: IntendedPerson, id: string, profile: Profile, active: boolean): ScimRequest[] {
  const path = `/Users/${id}`;
  const put: ScimRequest = { method: 'PUT', path, body: oktaUser(person, profile, active, id), kind: 'write' };
  const email = { path: 'emails[type eq "work"].value', value: profile.email };
  switch (person.dialect) {
    case 'okta-catalog':
      return [{ method: 'GET', path, kind: 'read' }, put];
    case 'okta-wizard':
      return [put];
    case 'entra-default':
      return [
        patch(
          path,
          [
            { op: 'Replace', path: 'userName', value: profile.email },
            { op: 'Replace', path: 'displayName', value: displayName(profile) },
            { op: 'Replace', path: 'name.givenName', value: profile.givenName },
            { op: 'Replace', path: 'name.familyName', value: profile.familyName },
            { op: 'Replace', ...email },
          ],
          'write',
        ),
      ];
    case 'entra-opt':
      return [
        patch(
          path,
          [
            {
              op: 'replace',
              value: { userName: profile.email, displayName: displayName(profile), 'name.givenName': profile.givenName, 'name.familyName': profile.familyName },
            },
            { op: 'replace', ...email },
          ],
          'write',
        ),
      ];
  }
}

/** Okta catalog: path-less replace; wizard: a full PUT; Entra: `"True"`/`"False"` strings, or booleans with the 2020 flag. */
export function setActive(person: IntendedPerson, id: string, active: boolean): ScimRequest {
  const path = `/Users/${id}`;
  switch (person.dialect) {
    case 'okta-catalog':
      return patch(path, [{ op: 'replace', value: { active } }], 'write');
    case 'okta-wizard':
      return { method: 'PUT', path, body: oktaUser(person, person.profile, active, id), kind: 'write' };
    case 'entra-default':
      return patch(path, [{ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }], 'write');
    case 'entra-opt':
      return patch(path, [{ op: 'replace', path: 'active', value: active }], 'write');
  }
}

export function groupFilter(dialect: Dialect, name: string): ScimRequest {
  const path = okta(dialect)
    ? `/Groups?filter=displayName%20eq%20${quoted(name)}&startIndex=1&count=100`
    : `/Groups?excludedAttributes=members&filter=displayName+eq+${quoted(name)}`;
  return { method: 'GET', path, kind: 'read' };
}

export function createGroup(group: IntendedGroup): ScimRequest {
  const body = okta(group.dialect)
    ? { schemas: [GROUP], displayName: group.name, members: [] }
    : { schemas: [GROUP, ENTRA_GROUP], externalId: group.externalId, displayName: group.name, meta: { resourceType: 'Group' } };
  return { method: 'POST', path: '/Groups', body, kind: 'create' };
}

/** Okta catalog renames with every membership push, then PATCHes members; the wizard PUTs the full list; Entra PATCHes. */
export function changeMembers(group: IntendedGroup, id: string, change: MemberChange): ScimRequest[] {
  const path = `/Groups/${id}`;
  const byFilter = change.remove.map((member) => ({ op: 'remove', path: `members[value eq "${member}"]` }));
  const adds = (op: string, entra: boolean) =>
    change.add.length === 0
      ? []
      : [
          {
            op,
            path: 'members',
            value: change.add.map((m) => (entra ? { ...(op === 'Add' ? { $ref: null } : {}), value: m.id } : { value: m.id, display: m.email })),
          },
        ];
  switch (group.dialect) {
    case 'okta-catalog':
      return [patch(path, [{ op: 'replace', value: { id, displayName: group.name } }], 'write'), patch(path, [...byFilter, ...adds('add', false)], 'members')];
    case 'okta-wizard':
      return [
        {
          method: 'PUT',
          path,
          body: { schemas: [GROUP], id, displayName: group.name, members: change.all.map((m) => ({ value: m.id, display: m.email })) },
          kind: 'members',
        },
      ];
    case 'entra-default': {
      const removes = change.remove.length === 0 ? [] : [{ op: 'Remove', path: 'members', value: change.remove.map((member) => ({ value: member })) }];
      return [patch(path, [...adds('Add', true), ...removes], 'members')];
    }
    case 'entra-opt':
      return [patch(path, [...adds('add', true), ...byFilter], 'members')];
  }
}
