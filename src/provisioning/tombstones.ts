// DELETEd people (design §2.3): tombstoned in the store, and marked in the BI tool itself by membership of one group
// bi-scim keeps for them, so a DELETE still answers 404 after the store is lost.
import type { DirectoryGroup, DirectoryUser } from '../directory.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import { TargetError } from '../targets/target.ts';
import type { Provisioning } from './context.ts';
import { TOMBSTONE_GROUP, cachedGroupList, findGroup, forgetGroupList, isTombstoneGroup } from './group-view.ts';

async function findTombstoneGroup(p: Provisioning): Promise<DirectoryGroup | null> {
  return (await cachedGroupList(p)).find(isTombstoneGroup) ?? null;
}

/**
 * The mark among a person's groups. Each is looked up with `findGroup`, which reads the list again for a group the
 * cached one lacks: another replica may have made the mark group since this one cached its list.
 */
async function markOf(p: Provisioning, user: DirectoryUser): Promise<DirectoryGroup | null> {
  for (const id of user.groupIds) {
    const group = await findGroup(p, id);
    if (group && isTombstoneGroup(group)) return group;
  }
  return null;
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
  if (user.active) return false;
  return (await markOf(p, user)) !== null;
}

/** Deactivated, out of every group, and marked: a revival starts with no access and no memberships. */
export async function retire(p: Provisioning, user: DirectoryUser): Promise<void> {
  if (user.active) await p.target.setUserActive(user.id, false);
  await p.target.clearMemberships(user);
  await p.target.addMembers(await tombstoneGroupId(p), [user.id]);
}

/** Lifts the BI tool's mark from a revived person. */
export async function unmark(p: Provisioning, user: DirectoryUser): Promise<void> {
  const mark = await markOf(p, user);
  if (mark) await p.target.removeMembers(mark.id, [user.id]);
}
