// The IdP: turns intents into SCIM requests with what it knows (the ids it linked), and remembers what was never acknowledged.
import type { Intent, IntendedDirectory, IntendedGroup, IntendedPerson } from './directory-model.ts';
import * as shapes from './idp-dialects.ts';
import type { MemberRef, ScimRequest } from './idp-dialects.ts';
import type { Answer, IdpClient } from './idp-client.ts';

const ok = (answer: Answer) => answer.status >= 200 && answer.status < 300;
const pair = (group: string, person: string) => `${group}|${person}`;

export class Idp {
  /** Person or group key → the SCIM id the IdP linked it to. */
  readonly ids = new Map<string, string>();
  /** The id each DELETEd person had, to check later that it answers 404. */
  readonly deletedIds = new Map<string, string>();
  /** People and groups whose create or DELETE was never acknowledged: the next cycle retries them. */
  readonly pending = new Set<string>();
  /** `group|person` memberships whose last change was never acknowledged. */
  readonly pendingPairs = new Set<string>();
  readonly client: IdpClient;
  /** What the IdP believes now; intents are applied to it as they start. */
  readonly view: IntendedDirectory;

  constructor(client: IdpClient, view: IntendedDirectory) {
    this.client = client;
    this.view = view;
  }

  /** Runs one intent's requests in order; false when one of them was not acknowledged. */
  async run(intent: Intent): Promise<boolean> {
    switch (intent.kind) {
      case 'create-person':
        return this.createPerson(this.view.person(intent.person));
      case 'edit-person':
      case 'set-active': {
        const person = this.view.person(intent.person);
        const id = this.ids.get(person.key);
        if (!id) return false;
        const requests =
          intent.kind === 'edit-person' ? shapes.updateUser(person, id, person.profile, person.active) : [shapes.setActive(person, id, person.active)];
        return this.sequence(requests);
      }
      case 'delete-person':
        return this.deletePerson(this.view.person(intent.person));
      case 'create-group':
        return this.createGroup(this.view.group(intent.group));
      case 'change-members':
        return this.changeMembers(this.view.group(intent.group), intent.add, intent.remove);
      case 'delete-group':
        return this.deleteGroup(this.view.group(intent.group));
    }
  }

  async sequence(requests: ScimRequest[]): Promise<boolean> {
    for (const { method, path, body, kind } of requests) {
      if (!ok(await this.client.send(method, path, body, kind))) return false;
    }
    return true;
  }

  /** Filter first, create if nobody matched; a 409 (our own earlier try, whose answer was lost) is looked up again. */
  async linkOrCreate(key: string, lookup: ScimRequest, create: ScimRequest): Promise<boolean> {
    const find = async () => {
      const found = await this.client.send(lookup.method, lookup.path, undefined, lookup.kind);
      return ok(found) ? ((found.body?.Resources?.[0]?.id as string | undefined) ?? null) : undefined;
    };
    let id = await find();
    if (id === null) {
      const created = await this.client.send(create.method, create.path, create.body, create.kind);
      id = created.status === 201 ? (created.body?.id as string) : created.status === 409 ? await find() : undefined;
    }
    if (!id) {
      this.pending.add(key);
      return false;
    }
    this.ids.set(key, id);
    this.pending.delete(key);
    return true;
  }

  createPerson(person: IntendedPerson): Promise<boolean> {
    // A re-create is a new IdP object: it links afresh, whatever id the DELETEd one had.
    this.ids.delete(person.key);
    this.deletedIds.delete(person.key);
    return this.linkOrCreate(person.key, shapes.userFilter(person.dialect, person.profile.email), shapes.createUser(person));
  }

  createGroup(group: IntendedGroup): Promise<boolean> {
    return this.linkOrCreate(group.key, shapes.groupFilter(group.dialect, group.name), shapes.createGroup(group));
  }

  /** A DELETE answered 404 is done too: an earlier try whose answer was lost already did it. */
  async deleteById(key: string, path: string): Promise<boolean> {
    const answer = await this.client.send('DELETE', path, undefined, 'write');
    const done = ok(answer) || answer.status === 404;
    if (done) this.pending.delete(key);
    else this.pending.add(key);
    return done;
  }

  async deletePerson(person: IntendedPerson): Promise<boolean> {
    const id = this.ids.get(person.key);
    if (!id) {
      this.pending.add(person.key);
      return false;
    }
    this.ids.delete(person.key);
    this.deletedIds.set(person.key, id);
    return this.deleteById(person.key, `/Users/${id}`);
  }

  async deleteGroup(group: IntendedGroup): Promise<boolean> {
    const id = this.ids.get(group.key);
    if (!id) {
      this.pending.add(group.key);
      return false;
    }
    const done = await this.deleteById(group.key, `/Groups/${id}`);
    if (done) this.ids.delete(group.key);
    return done;
  }

  memberRef(personKey: string): MemberRef | null {
    const id = this.ids.get(personKey);
    return id ? { id, email: this.view.person(personKey).profile.email } : null;
  }

  /** People the IdP has no id for cannot be named yet: their memberships wait for the next cycle. */
  async changeMembers(group: IntendedGroup, add: string[], remove: string[]): Promise<boolean> {
    const id = this.ids.get(group.key);
    const touched = [...add, ...remove];
    const named = touched.filter((key) => this.ids.has(key));
    touched.filter((key) => !id || !this.ids.has(key)).forEach((key) => this.pendingPairs.add(pair(group.key, key)));
    if (!id || named.length === 0) return false;
    const refs = (keys: string[]) => keys.flatMap((key) => this.memberRef(key) ?? []);
    const change = { add: refs(add), remove: refs(remove).map((m) => m.id), all: refs([...group.members]) };
    const done = await this.sequence(shapes.changeMembers(group, id, change));
    named.forEach((key) => (done ? this.pendingPairs.delete(pair(group.key, key)) : this.pendingPairs.add(pair(group.key, key))));
    // The wizard's full list also settles every earlier membership of the group the IdP can name.
    if (done && group.dialect === 'okta-wizard') {
      for (const waiting of [...this.pendingPairs]) {
        const [groupKey, personKey] = waiting.split('|');
        if (groupKey === group.key && this.ids.has(personKey)) this.pendingPairs.delete(waiting);
      }
    }
    return done && named.length === touched.length;
  }
}

export { pair };
