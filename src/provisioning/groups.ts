// Group use cases: list/search, get, create (or link a mapped BI group), replace, patch, delete; membership as deltas.
import type { DirectoryGroup } from '../directory.ts';
import { compareBy } from '../scim/attributes.ts';
import { ScimError } from '../scim/errors.ts';
import { equalityLookups, matchesFilter, mentionsAttribute } from '../scim/filter.ts';
import { pageOf, type ListQuery } from '../scim/list.ts';
import { applyPatch } from '../scim/patch.ts';
import type { PatchOperation } from '../scim/patch-message.ts';
import { renderResource, sanitizeResource, type ScimDoc } from '../scim/resources.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import { verifyRemoval } from '../operations/verify.ts';
import { audited, isoNow, withResourceLock, type AuditDraft, type Provisioning, type RequestContext } from './context.ts';
import { admitDeprovisioning } from './guard.ts';
import { findGroup, forgetGroupList, groupDisplayName, isVisible, location, rememberGroup } from './group-view.ts';
import { applyMembership, memberIds, splitMemberOperations, toMemberDelta, type MemberDelta } from './membership.ts';
import { carriesAdmin, guardLastAdmin } from './protection.ts';

interface LoadedGroup {
  group: DirectoryGroup;
  record: StoredResource | null;
}

/**
 * Existence and name come from the short-lived group list, so a membership change costs no extra BI call. A write
 * loads the declared members too (`withDeclared`): the record it puts back carries them.
 */
async function loadGroup(p: Provisioning, id: string, withDeclared = false): Promise<LoadedGroup> {
  const [group, record] = await Promise.all([findGroup(p, id), p.store.get('Group', id, { members: withDeclared })]);
  if (!group || !isVisible(group, record)) throw new ScimError('notFound', `Group ${id} not found`);
  return { group, record };
}

function renderGroup(p: Provisioning, ctx: RequestContext, { group, record }: LoadedGroup, members: string[] | null): ScimDoc {
  const attributes: ScimDoc = { displayName: groupDisplayName(group, record) };
  if (record?.attributes.externalId) attributes.externalId = record.attributes.externalId;
  if (members) attributes.members = members.map((id) => ({ value: id, $ref: location(ctx, 'Users', id), type: 'direct' }));
  const now = isoNow(p);
  return renderResource('Group', attributes, {
    id: group.id,
    created: record?.created ?? now,
    lastModified: record?.lastModified ?? now,
    location: location(ctx, 'Groups', group.id),
  });
}

/** Groups one of whose members an equality filter names: that person's own groups, one BI call. */
async function groupIdsOfMember(p: Provisioning, query: ListQuery): Promise<Set<string> | null> {
  const lookup = query.filter ? equalityLookups(query.filter).find((l) => l.attribute === 'members') : undefined;
  if (!lookup) return null;
  const user = await p.target.getUser(lookup.value);
  return new Set(user?.groupIds ?? []);
}

/** `excludedAttributes=members` never loads members (design §2.10), unless the filter itself needs them. */
export async function listGroups(
  p: Provisioning,
  ctx: RequestContext,
  query: ListQuery,
  withMembers: boolean,
): Promise<{ total: number; resources: ScimDoc[] }> {
  const groups = await p.target.listGroups();
  const records = await p.store.getMany(
    'Group',
    groups.map((g) => g.id),
  );
  const memberOf = await groupIdsOfMember(p, query);
  const loaded = groups
    .map((group) => ({ group, record: records.get(group.id) ?? null }))
    .filter(({ group, record }) => isVisible(group, record) && (!memberOf || memberOf.has(group.id)));
  const filterNeedsMembers = !!query.filter && mentionsAttribute(query.filter, 'members');
  const render = async (l: LoadedGroup, members: boolean) => renderGroup(p, ctx, l, members ? await p.target.listMembers(l.group.id) : null);
  if (!query.filter && !query.sortBy) {
    const page = pageOf(loaded, query);
    return { total: loaded.length, resources: await Promise.all(page.map((l) => render(l, withMembers))) };
  }
  let docs = await Promise.all(loaded.map((l) => render(l, withMembers || filterNeedsMembers)));
  if (query.filter) docs = docs.filter((doc) => matchesFilter(doc, query.filter!));
  if (query.sortBy) docs.sort(compareBy(query.sortBy, query.sortOrder));
  return { total: docs.length, resources: pageOf(docs, query) };
}

export async function getGroup(p: Provisioning, ctx: RequestContext, id: string, withMembers: boolean): Promise<ScimDoc> {
  const loaded = await loadGroup(p, id);
  return renderGroup(p, ctx, loaded, withMembers ? await p.target.listMembers(id) : null);
}

/** An IdP group named in `groupMappings` links to the existing BI group or role instead of creating one (design §2.4). */
async function createOrLink(p: Provisioning, name: string): Promise<{ group: DirectoryGroup; mappedTo?: string }> {
  const mapping = p.options.groupMappings.find((m) => m.idpGroup.toLowerCase() === name.toLowerCase());
  // The BI tool checks the name itself (a conflict becomes 409 uniqueness), so a new group costs one call.
  if (!mapping) return { group: await p.target.createGroup(name) };
  const group = await p.target.findMappingTarget(mapping.target);
  if (!group) throw new ScimError('invalidValue', `"${name}" is mapped to "${mapping.target}", which does not exist in the BI tool`);
  const linked = await p.store.get('Group', group.id);
  if (linked && !linked.deleted) throw new ScimError('uniqueness', `"${mapping.target}" is already linked to Group ${group.id}`);
  return { group, mappedTo: mapping.target };
}

/** The record holds what the IdP declared: name, externalId and members (drift compares the BI tool with it). */
async function saveRecord(
  p: Provisioning,
  group: DirectoryGroup,
  doc: ScimDoc,
  previous: StoredResource | null,
  members: string[],
  mappedTo?: string,
): Promise<StoredResource> {
  const now = isoNow(p);
  const attributes: ScimDoc = { displayName: doc.displayName };
  if (doc.externalId) attributes.externalId = doc.externalId;
  const record: StoredResource = { id: group.id, kind: 'Group', attributes, created: previous?.created ?? now, lastModified: now, members };
  const mapped = mappedTo ?? previous?.mappedTo;
  if (mapped) record.mappedTo = mapped;
  await p.store.put(record);
  rememberGroup(p, group);
  return record;
}

/**
 * The members the IdP has now declared: a full list as applied, or the previous declaration moved by the delta. A
 * group with no declaration yet (one made before bi-scim kept them) takes the BI tool's members after the write.
 */
async function declaredMembers(
  p: Provisioning,
  groupId: string,
  previous: StoredResource | null,
  delta: MemberDelta,
  applied: string[] | null,
): Promise<string[]> {
  if (applied) return applied;
  if (!previous?.members) return p.target.listMembers(groupId);
  const removed = new Set(delta.remove);
  return [...new Set([...previous.members, ...delta.add])].filter((id) => !removed.has(id));
}

export async function createGroup(p: Provisioning, ctx: RequestContext, body: unknown): Promise<ScimDoc> {
  const doc = sanitizeResource('Group', body);
  const name = doc.displayName as string;
  return audited(p, ctx, groupDraft('group.create', null, name), (draft) =>
    withResourceLock(p, `group:${name.toLowerCase()}`, async () => {
      const indexed = await p.store.findId('Group', 'displayName', name);
      if (indexed && (await p.target.getGroup(indexed))) throw new ScimError('uniqueness', `Group ${indexed} is already named "${name}"`);
      const { group, mappedTo } = await createOrLink(p, name);
      draft.resourceId = group.id;
      draft.changes.push({ attribute: 'displayName', after: name }, ...(mappedTo ? [{ attribute: 'mappedTo', after: mappedTo }] : []));
      const delta = { replaceWith: null, add: memberIds(doc.members), remove: [] };
      try {
        await withResourceLock(p, `group:id:${group.id}`, () => applyMembership(p, ctx, group, delta, draft));
      } catch (err) {
        // Nothing of a failed create stays behind: the group made for it goes again, so the IdP's retry starts clean.
        if (!mappedTo)
          await p.target.deleteGroup(group.id).catch((e: unknown) => p.logger.error({ err: e, groupId: group.id }, 'could not remove a half-created group'));
        throw err;
      }
      draft.action = 'group.create';
      // A new group holds exactly what was sent; a linked one also keeps who was in it before, as declared from now on.
      const members = mappedTo ? await p.target.listMembers(group.id) : delta.add;
      const record = await saveRecord(p, group, doc, null, members, mappedTo);
      return renderGroup(p, ctx, { group, record }, members);
    }),
  );
}

const groupDraft = (action: AuditDraft['action'], id: string | null, displayName: string | null): AuditDraft => ({
  action,
  resourceType: 'Group',
  resourceId: id,
  resourceName: displayName,
  changes: [],
});

/** Renames when the name really changes, and says so in the audit event. */
async function renameAudited(p: Provisioning, loaded: LoadedGroup, name: string, draft: AuditDraft): Promise<DirectoryGroup> {
  const before = groupDisplayName(loaded.group, loaded.record);
  draft.resourceName = name;
  if (before !== name) {
    draft.action = 'group.rename';
    draft.changes.push({ attribute: 'displayName', before, after: name });
  }
  return rename(p, loaded, name);
}

/** Mapped groups keep their BI name; others are renamed in the BI tool when the name really changes. */
async function rename(p: Provisioning, loaded: LoadedGroup, name: string): Promise<DirectoryGroup> {
  if (loaded.record?.mappedTo || name === loaded.group.name) return loaded.group;
  const holder = await p.target.findGroupByName(name);
  if (holder && holder.id !== loaded.group.id) throw new ScimError('uniqueness', `A group named "${name}" already exists`);
  return p.target.renameGroup(loaded.group.id, name);
}

/** PUT /Groups: a body without `members` leaves members alone; `members: []` empties the group. */
export async function replaceGroup(p: Provisioning, ctx: RequestContext, id: string, body: unknown): Promise<ScimDoc> {
  const doc = sanitizeResource('Group', body);
  return audited(p, ctx, groupDraft('group.update', id, String(doc.displayName)), (draft) =>
    withResourceLock(p, `group:id:${id}`, async () => {
      const loaded = await loadGroup(p, id, true);
      const group = await renameAudited(p, loaded, doc.displayName as string, draft);
      const delta = { replaceWith: 'members' in doc ? memberIds(doc.members) : null, add: [], remove: [] };
      const members = await applyMembership(p, ctx, group, delta, draft);
      const record = await saveRecord(p, group, doc, loaded.record, await declaredMembers(p, id, loaded.record, delta, members));
      return renderGroup(p, ctx, { group, record }, members ?? (await p.target.listMembers(id)));
    }),
  );
}

/** PATCH /Groups: membership operations become one delta against the BI tool; the rest patch the stored document. */
export async function patchGroup(p: Provisioning, ctx: RequestContext, id: string, operations: PatchOperation[], wantBody: boolean): Promise<ScimDoc | null> {
  const { memberSteps, otherOperations } = splitMemberOperations(operations);
  return audited(p, ctx, groupDraft('group.update', id, null), (draft) =>
    withResourceLock(p, `group:id:${id}`, async () => {
      const loaded = await loadGroup(p, id, true);
      draft.resourceName = groupDisplayName(loaded.group, loaded.record);
      const { resource, changed } = applyPatch(renderGroup(p, ctx, loaded, null), otherOperations);
      const doc = sanitizeResource('Group', resource);
      const group = changed ? await renameAudited(p, loaded, doc.displayName as string, draft) : loaded.group;
      const delta = await toMemberDelta(memberSteps, () => p.target.listMembers(id));
      const members = await applyMembership(p, ctx, group, delta, draft);
      let record = loaded.record;
      if (changed || memberSteps.length > 0)
        record = await saveRecord(p, group, doc, loaded.record, await declaredMembers(p, id, loaded.record, delta, members));
      if (!wantBody) return null;
      return renderGroup(p, ctx, { group, record }, members ?? (await p.target.listMembers(id)));
    }),
  );
}

/** Mapped groups are only unlinked: the BI group or role they stand for stays. */
export async function deleteGroup(p: Provisioning, ctx: RequestContext, id: string): Promise<void> {
  await audited(p, ctx, groupDraft('group.delete', id, null), (draft) =>
    withResourceLock(p, `group:id:${id}`, async () => {
      const loaded = await loadGroup(p, id);
      draft.resourceName = groupDisplayName(loaded.group, loaded.record);
      if (loaded.record?.mappedTo) {
        draft.reason = `only unlinked: "${loaded.record.mappedTo}" stays in the BI tool`;
      } else {
        // Every member loses the group: that many removals count against the deprovisioning guard.
        const members = await p.target.listMembers(id);
        draft.changes.push({ attribute: 'members', removed: members });
        await admitDeprovisioning(p, ctx, members.length, `delete Group ${id} with ${members.length} members`);
        const remove = () => p.target.deleteGroup(id);
        // A group carrying admin rights (Superset: a FAB group holding Admin) takes them from every member.
        await ((await carriesAdmin(p, loaded.group)) ? guardLastAdmin(p, { type: 'Group', id }, (_, via) => via === id, remove) : remove());
        await verifyRemoval(p.options.verifyRemovals !== false, draft, 'group deletion', async () => (await p.target.getGroup(id)) === null);
      }
      await p.store.remove('Group', id);
      forgetGroupList(p);
    }),
  );
}
