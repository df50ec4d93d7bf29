// User use cases: list/search, get, create, replace, patch, delete — each the fewest BI calls that can answer it.
import type { DirectoryUser } from '../directory.ts';
import { compareBy } from '../scim/attributes.ts';
import { ScimError } from '../scim/errors.ts';
import { equalityLookups, matchesFilter } from '../scim/filter.ts';
import { pageOf, type ListQuery } from '../scim/list.ts';
import { applyPatch } from '../scim/patch.ts';
import type { PatchOperation } from '../scim/patch-message.ts';
import { sanitizeResource, type ScimDoc } from '../scim/resources.ts';
import { TargetError } from '../targets/target.ts';
import { verifyRemoval } from '../operations/verify.ts';
import { audited, isoNow, withResourceLock, type AuditDraft, type Provisioning, type RequestContext } from './context.ts';
import { admitDeprovisioning } from './guard.ts';
import { undeclareMember } from './membership.ts';
import { guardLastAdmin, refuseIfProtected } from './protection.ts';
import { isTombstoned, retire } from './tombstones.ts';
import { attributesOf, renderUser, toDirectoryInput } from './user-docs.ts';
import { writeUser, type Loaded } from './user-writes.ts';

/** Filters that cannot be pushed down are evaluated over at most this many people. */
const MAX_SCAN = 50_000;
const SCAN_PAGE = 500;

async function load(p: Provisioning, id: string): Promise<Loaded> {
  const [user, record] = await Promise.all([p.target.getUser(id), p.store.get('User', id)]);
  if (!user || (await isTombstoned(p, user, record))) throw new ScimError('notFound', `User ${id} not found`);
  return { user, record };
}

async function renderMany(p: Provisioning, ctx: RequestContext, users: DirectoryUser[]): Promise<ScimDoc[]> {
  const records = await p.store.getMany(
    'User',
    users.map((u) => u.id),
  );
  const tombstoned = await Promise.all(users.map((u) => isTombstoned(p, u, records.get(u.id))));
  const live = users.filter((_, i) => !tombstoned[i]);
  return Promise.all(live.map((u) => renderUser(p, ctx, u, records.get(u.id))));
}

/** People an equality filter can name directly (design §2.9), or null when the filter needs a scan. */
async function candidates(p: Provisioning, query: ListQuery): Promise<DirectoryUser[] | null> {
  const lookup = query.filter ? equalityLookups(query.filter).find((l) => l.attribute !== 'members' && l.attribute !== 'displayName') : undefined;
  if (!lookup) return null;
  const byId = async (id: string | null) => (id ? p.target.getUser(id) : null);
  let user: DirectoryUser | null = null;
  switch (lookup.attribute) {
    case 'id':
      user = await byId(lookup.value);
      break;
    case 'externalId':
      user = await byId(await p.store.findId('User', 'externalId', lookup.value));
      break;
    case 'userName':
      // The index is bi-scim's; without it (a new or flushed store) the BI login name still finds the person.
      user = (await byId(await p.store.findId('User', 'userName', lookup.value))) ?? (await p.target.findUserByUsername(lookup.value));
      break;
    case 'emails':
      // Secondary addresses live only in bi-scim; the BI login email answers for people it has no record of.
      user = (await byId(await p.store.findId('User', 'emails', lookup.value))) ?? (await p.target.findUserByEmail(lookup.value));
      break;
  }
  return user ? [user] : [];
}

async function scanAll(p: Provisioning): Promise<DirectoryUser[]> {
  const users: DirectoryUser[] = [];
  for (let offset = 0; offset < MAX_SCAN; offset += SCAN_PAGE) {
    const page = await p.target.listUsers(offset, SCAN_PAGE);
    users.push(...page.items);
    if (page.items.length < SCAN_PAGE || users.length >= page.total) return users;
  }
  throw new ScimError('tooMany', `The filter would scan more than ${MAX_SCAN} users; filter on userName, externalId, id or emails`);
}

export async function listUsers(p: Provisioning, ctx: RequestContext, query: ListQuery): Promise<{ total: number; resources: ScimDoc[] }> {
  // The BI tool pages for us unless DELETEd people sit among its rows: then indexes only line up over a full scan.
  if (!query.filter && !query.sortBy && (await p.store.deletedIds('User')).length === 0) {
    const page = await p.target.listUsers(query.startIndex - 1, query.count);
    return { total: page.total, resources: query.count === 0 ? [] : await renderMany(p, ctx, page.items) };
  }
  const people = (await candidates(p, query)) ?? (await scanAll(p));
  let docs = await renderMany(p, ctx, people);
  if (query.filter) docs = docs.filter((doc) => matchesFilter(doc, query.filter!));
  if (query.sortBy) docs.sort(compareBy(query.sortBy, query.sortOrder));
  return { total: docs.length, resources: pageOf(docs, query) };
}

export async function getUser(p: Provisioning, ctx: RequestContext, id: string): Promise<ScimDoc> {
  const { user, record } = await load(p, id);
  return renderUser(p, ctx, user, record);
}

async function checkUserNameFree(p: Provisioning, userName: string, ownId: string | null): Promise<void> {
  const holder = await p.store.findId('User', 'userName', userName);
  if (holder && holder !== ownId && (await p.target.getUser(holder)) && !(await p.store.get('User', holder))?.deleted) {
    throw new ScimError('uniqueness', `userName "${userName}" is already taken by User ${holder}`);
  }
}

/**
 * A POST naming someone the BI tool already has: revive them if bi-scim DELETEd or deactivated them (design §2.3),
 * active unless the body says otherwise, else 409.
 */
async function reviveOrRefuse(p: Provisioning, ctx: RequestContext, found: DirectoryUser, doc: ScimDoc, draft: AuditDraft): Promise<ScimDoc> {
  draft.resourceId = found.id;
  // A DELETE or PATCH of this person on another replica holds only the id's lock (taken after the name's, as for
  // groups); the person is read again under it, so a mark that DELETE just added is seen and lifted.
  return withResourceLock(p, `user:id:${found.id}`, async () => {
    const [existing, record] = await Promise.all([p.target.getUser(found.id), p.store.get('User', found.id)]);
    if (!existing) throw new ScimError('unavailable', `User ${found.id} was removed while being revived; try again`, { retryAfter: 1 });
    const revivable = (record && !existing.active) || (await isTombstoned(p, existing, record));
    if (!revivable) throw new ScimError('uniqueness', `User ${existing.id} already has userName or email "${String(doc.userName)}"`);
    return writeUser(p, ctx, { user: existing, record }, { active: true, ...doc }, draft, { reviving: true });
  });
}

const userDraft = (action: AuditDraft['action'], id: string | null, userName: string | null): AuditDraft => ({
  action,
  resourceType: 'User',
  resourceId: id,
  resourceName: userName,
  changes: [],
});

/**
 * POST /Users. The BI tool is asked to create first and checks uniqueness itself (Metabase counts deactivated
 * people too), so a new person costs no look-up; only a conflict is looked into.
 */
export async function createUser(p: Provisioning, ctx: RequestContext, body: unknown): Promise<ScimDoc> {
  const doc = sanitizeResource('User', body);
  const userName = doc.userName as string;
  return audited(p, ctx, userDraft('user.create', null, userName), (draft) =>
    withResourceLock(p, `user:${userName.toLowerCase()}`, async () => {
      const input = toDirectoryInput(p, doc);
      const indexed = await p.store.findId('User', 'userName', userName);
      const holder = indexed ? await p.target.getUser(indexed) : null;
      if (holder) return reviveOrRefuse(p, ctx, holder, doc, draft);
      let user: DirectoryUser;
      try {
        user = await p.target.createUser(input);
      } catch (err) {
        if (!(err instanceof TargetError && err.code === 'conflict')) throw err;
        const existing = (await p.target.findUserByEmail(input.email)) ?? (input.username ? await p.target.findUserByUsername(input.username) : null);
        if (!existing) throw err;
        return reviveOrRefuse(p, ctx, existing, doc, draft);
      }
      try {
        return await writeUser(p, ctx, { user, record: null }, doc, draft, { creating: true });
      } catch (err) {
        // Metabase cannot delete the half-created person; a tombstone lets the IdP's retry revive the same id.
        const now = isoNow(p);
        await p.store.put({ id: user.id, kind: 'User', attributes: doc, created: now, lastModified: now, deleted: true }).catch(() => undefined);
        throw err;
      }
    }),
  );
}

export async function replaceUser(p: Provisioning, ctx: RequestContext, id: string, body: unknown): Promise<ScimDoc> {
  const doc = sanitizeResource('User', body);
  return audited(p, ctx, userDraft('user.update', id, String(doc.userName)), (draft) =>
    withResourceLock(p, `user:id:${id}`, async () => {
      const loaded = await load(p, id);
      await checkUserNameFree(p, doc.userName as string, id);
      return writeUser(p, ctx, loaded, doc, draft);
    }),
  );
}

export async function patchUser(p: Provisioning, ctx: RequestContext, id: string, operations: PatchOperation[]): Promise<ScimDoc> {
  return audited(p, ctx, userDraft('user.update', id, null), (draft) =>
    withResourceLock(p, `user:id:${id}`, async () => {
      const loaded = await load(p, id);
      // `groups` and meta are read-only: the patch works on the attributes alone, and only the answer renders them.
      const current = attributesOf(loaded.user, loaded.record);
      const { resource } = applyPatch(current, operations);
      // A person is active or deactivated in the BI tool; there is no third state to remove `active` into.
      if (typeof resource.active !== 'boolean') throw new ScimError('mutability', 'active cannot be removed; replace it with true or false');
      const doc = sanitizeResource('User', resource);
      if (String(doc.userName).toLowerCase() !== String(current.userName).toLowerCase()) await checkUserNameFree(p, doc.userName as string, id);
      // Written even when the patch changes nothing: a retry must finish what an interrupted request began.
      return writeUser(p, ctx, loaded, doc, draft);
    }),
  );
}

/** DELETE /Users: deactivate and tombstone (design §2.3); a hard delete only where configured and possible. */
export async function deleteUser(p: Provisioning, ctx: RequestContext, id: string): Promise<void> {
  await audited(p, ctx, userDraft('user.delete', id, null), (draft) =>
    withResourceLock(p, `user:id:${id}`, async () => {
      const { user, record } = await load(p, id);
      draft.resourceName = String((record?.attributes.userName as string | undefined) ?? user.username ?? user.email);
      draft.changes = [{ attribute: 'active', before: user.active, after: false }];
      await refuseIfProtected(p, user);
      // Only a person who still has access loses something: a DELETE of a deactivated one (Entra, 30 days on) does not count.
      if (user.active) await admitDeprovisioning(p, ctx, 1, `DELETE User ${id}`);
      const remove = async () => {
        if (p.options.hardDelete) {
          await p.target.deleteUser(id);
          await p.store.remove('User', id);
          return;
        }
        await retire(p, user);
        const now = isoNow(p);
        await p.store.put({
          id,
          kind: 'User',
          attributes: record?.attributes ?? attributesOf(user, null),
          created: record?.created ?? now,
          lastModified: now,
          deleted: true,
        });
      };
      if (user.active && (await p.target.isAdministrator(user))) await guardLastAdmin(p, { type: 'User', id }, (admin) => admin === id, remove);
      else await remove();
      await undeclareMember(p, id, user.groupIds);
      const gone = async () => {
        const after = await p.target.getUser(id);
        return p.options.hardDelete ? after === null : after?.active === false;
      };
      await verifyRemoval(p.options.verifyRemovals !== false, draft, 'deletion', gone);
    }),
  );
}
