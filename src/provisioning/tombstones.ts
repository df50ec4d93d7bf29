// DELETEd people (design §2.3): tombstoned in the store, and marked in the BI tool itself by membership of one group
// bi-scim keeps for them, so a DELETE still answers 404 after the store is lost.
import type { DirectoryGroup, DirectoryUser } from '../directory.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import { TargetError } from '../targets/target.ts';
import type { Provisioning } from './context.ts';
import { TOMBSTONE_GROUP, cachedGroupList, forgetGroupList, isTombstoneGroup } from './group-view.ts';

async function findTombstoneGroup(p: Provisioning): Promise<DirectoryGroup | null> {
  return (await cachedGroupList(p)).find(isTombstoneGroup) ?? null;
}

/** The group's id, creating it on the first DELETE (another replica may just have: then it is found). */
async function tombstoneGroupId(p: Provisioning): Promise<string> {
  const found = await findTombstoneGroup(p);
  if (found) return found.id;
  try {
    const created = await p.target.createGroup(TOMBSTONE_GROUP);
    forgetGroupList(p);
    return created.id;
  } catch (err) {
    if (!(err instanceof TargetError && err.code === 'conflict')) throw err;
    forgetGroupList(p);
    const raced = await findTombstoneGroup(p);
    if (!raced) throw err;
    return raced.id;
  }
}

/**
 * Whether SCIM must treat a person as DELETEd: the store says so, or — when the store has no record, as after
 * losing Redis — the BI tool still holds the mark.
 */
export async function isTombstoned(p: Provisioning, user: DirectoryUser, record: StoredResource | null | undefined): Promise<boolean> {
  if (record) return record.deleted === true;
  if (user.active || user.groupIds.length === 0) return false;
  const group = await findTombstoneGroup(p);
  return group !== null && user.groupIds.includes(group.id);
}

/** Deactivated, out of every group, and marked: a revival starts with no access and no memberships. */
export async function retire(p: Provisioning, user: DirectoryUser): Promise<void> {
  if (user.active) await p.target.setUserActive(user.id, false);
  await p.target.clearMemberships(user);
  await p.target.addMembers(await tombstoneGroupId(p), [user.id]);
}

/** Lifts the BI tool's mark from a revived person. */
export async function unmark(p: Provisioning, user: DirectoryUser): Promise<void> {
  const group = await findTombstoneGroup(p);
  if (group && user.groupIds.includes(group.id)) await p.target.removeMembers(group.id, [user.id]);
}
