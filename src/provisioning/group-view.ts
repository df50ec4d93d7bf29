// Which BI groups SCIM sees and under what name: shared by Group use cases and by the `groups` attribute of Users.
import type { DirectoryGroup } from '../directory.ts';
import type { ScimDoc } from '../scim/resources.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import type { Provisioning, RequestContext } from './context.ts';

export function cachedGroupList(p: Provisioning): Promise<DirectoryGroup[]> {
  return p.cache.groups.get('all', () => p.target.listGroups());
}

export function forgetGroupList(p: Provisioning): void {
  p.cache.groups.delete('all');
}

/** Puts a group this process just created or renamed into the cached list, so its next request needs no re-read. */
export function rememberGroup(p: Provisioning, group: DirectoryGroup): void {
  p.cache.groups.update('all', (list) => [...list.filter((g) => g.id !== group.id), group]);
}

/** A group by id; one missing from the cached list (made by another replica a moment ago) triggers one fresh read. */
export async function findGroup(p: Provisioning, id: string): Promise<DirectoryGroup | null> {
  const cached = (await cachedGroupList(p)).find((g) => g.id === id);
  if (cached) return cached;
  forgetGroupList(p);
  return (await cachedGroupList(p)).find((g) => g.id === id) ?? null;
}

/** The BI group (Metabase group, Superset group or role) holding the people an IdP DELETEd (tombstones.ts). */
export const TOMBSTONE_GROUP = 'SCIM deleted accounts';

export function isTombstoneGroup(group: DirectoryGroup): boolean {
  return group.name.toLowerCase() === TOMBSTONE_GROUP.toLowerCase();
}

/** A BI group is visible to SCIM when bi-scim manages it (a live record, mapped ones included) or it is not hidden. */
export function isVisible(group: DirectoryGroup, record: StoredResource | undefined | null): boolean {
  if (isTombstoneGroup(group)) return false;
  return record ? !record.deleted : !group.hidden;
}

/** The SCIM displayName: mapped groups keep the IdP's name, the others show the BI tool's own (it keeps case). */
export function groupDisplayName(group: DirectoryGroup, record: StoredResource | undefined | null): string {
  return record?.mappedTo ? String(record.attributes.displayName) : group.name;
}

export function location(ctx: RequestContext, kind: 'Users' | 'Groups', id: string): string {
  return `${ctx.base}/${kind}/${encodeURIComponent(id)}`;
}

/** The read-only `groups` attribute of Users (RFC 7643 §4.1.2): visible direct groups with their names. */
export async function userGroupRefs(p: Provisioning, ctx: RequestContext, groupIds: string[]): Promise<ScimDoc[]> {
  if (groupIds.length === 0) return [];
  const [groups, records] = await Promise.all([cachedGroupList(p), p.store.getMany('Group', groupIds)]);
  const byId = new Map(groups.map((g) => [g.id, g]));
  return groupIds.flatMap((id) => {
    const group = byId.get(id);
    const record = records.get(id);
    if (!group || !isVisible(group, record)) return [];
    return [{ value: id, $ref: location(ctx, 'Groups', id), display: groupDisplayName(group, record), type: 'direct' }];
  });
}
