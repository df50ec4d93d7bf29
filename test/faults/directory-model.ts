// The intended directory: what the workload meant (who exists, is active, is called what, is in which group), folded from its intents.

/** How an IdP speaks SCIM (reference/idp-behaviour.md §1.1, §2.2); each person and group is provisioned by one. */
export type Dialect = 'okta-catalog' | 'okta-wizard' | 'entra-default' | 'entra-opt';

export interface Profile {
  /** The login: Metabase identifies people by email, so userName is the email too. */
  email: string;
  givenName: string;
  familyName: string;
}

export interface IntendedPerson {
  key: string;
  dialect: Dialect;
  externalId: string;
  profile: Profile;
  active: boolean;
  deleted: boolean;
}

export interface IntendedGroup {
  key: string;
  name: string;
  dialect: Dialect;
  externalId: string;
  /** Person keys. */
  members: Set<string>;
  deleted: boolean;
  /** Listed under groupMappings: stands for an existing BI group (Administrators). */
  mappedTo: string | null;
}

/** One thing the IdP wants; a round's intents touch disjoint people and groups, so their order within a round is free. */
export type Intent =
  | { kind: 'create-person'; person: string; profile: Profile }
  | { kind: 'edit-person'; person: string; profile: Profile }
  | { kind: 'set-active'; person: string; active: boolean }
  | { kind: 'delete-person'; person: string }
  | { kind: 'create-group'; group: string }
  | { kind: 'change-members'; group: string; add: string[]; remove: string[] }
  | { kind: 'delete-group'; group: string };

export class IntendedDirectory {
  readonly people = new Map<string, IntendedPerson>();
  readonly groups = new Map<string, IntendedGroup>();

  /** Everyone `other` knows, none of them created yet: the IdP's view, which then follows the intents as they run. */
  static blankOf(other: IntendedDirectory): IntendedDirectory {
    const blank = new IntendedDirectory();
    other.people.forEach((person) => blank.register(person));
    other.groups.forEach((group) => blank.register({ ...group, members: new Set() }));
    return blank;
  }

  /** A person or group the workload is about to create; it exists for the IdP once its create intent is applied. */
  register(entry: IntendedPerson | IntendedGroup): void {
    if ('profile' in entry) this.people.set(entry.key, { ...entry, deleted: true });
    else this.groups.set(entry.key, { ...entry, deleted: true });
  }

  person(key: string): IntendedPerson {
    const person = this.people.get(key);
    if (!person) throw new Error(`no person ${key} in the intended directory`);
    return person;
  }

  group(key: string): IntendedGroup {
    const group = this.groups.get(key);
    if (!group) throw new Error(`no group ${key} in the intended directory`);
    return group;
  }

  /** People who exist for the IdP (created, not DELETEd). */
  livePeople(): IntendedPerson[] {
    return [...this.people.values()].filter((p) => !p.deleted);
  }

  liveGroups(): IntendedGroup[] {
    return [...this.groups.values()].filter((g) => !g.deleted);
  }

  groupsOf(personKey: string): IntendedGroup[] {
    return this.liveGroups().filter((g) => g.members.has(personKey));
  }

  apply(intent: Intent): void {
    switch (intent.kind) {
      case 'create-person': {
        // A re-create after DELETE starts over: active, in no group (the IdP adds memberships again itself).
        const person = this.person(intent.person);
        Object.assign(person, { profile: intent.profile, active: true, deleted: false });
        break;
      }
      case 'edit-person':
        this.person(intent.person).profile = intent.profile;
        break;
      case 'set-active':
        // Deactivation keeps memberships (design §2.3).
        this.person(intent.person).active = intent.active;
        break;
      case 'delete-person':
        this.person(intent.person).deleted = true;
        for (const group of this.groups.values()) group.members.delete(intent.person);
        break;
      case 'create-group':
        this.group(intent.group).deleted = false;
        break;
      case 'change-members': {
        const group = this.group(intent.group);
        intent.remove.forEach((key) => group.members.delete(key));
        intent.add.forEach((key) => group.members.add(key));
        break;
      }
      case 'delete-group': {
        const group = this.group(intent.group);
        group.deleted = true;
        group.members.clear();
        break;
      }
    }
  }
}
