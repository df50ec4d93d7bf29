// Writing one person: the BI tool brought to what the IdP asked, one step at a time, so that a retried request
// finishes exactly what an interrupted one began (pending edits written, dropped admin rights given back).
import { isDeepStrictEqual } from 'node:util';
import type { DirectoryUser, DirectoryUserInput } from '../directory.ts';
import type { ScimDoc } from '../scim/resources.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import { diffAttributes, type AuditAction } from '../operations/audit.ts';
import { verifyRemoval } from '../operations/verify.ts';
import { isoNow, type AuditDraft, type Provisioning, type RequestContext } from './context.ts';
import { admitDeprovisioning } from './guard.ts';
import { guardLastAdmin, refuseEmailChange, refuseIfProtected } from './protection.ts';
import { unmark } from './tombstones.ts';
import { attributesOf, renderUser, toDirectoryInput } from './user-docs.ts';

export interface Loaded {
  user: DirectoryUser;
  record: StoredResource | null;
}

/** What to ask the BI tool for to put a person back as they were. */
function inputOf(user: DirectoryUser): DirectoryUserInput {
  return { email: user.email, username: user.username, givenName: user.givenName, familyName: user.familyName, locale: user.locale };
}

/** The stored record, now or as it was, with `changes`; a person with no record yet gets one from the BI tool's view. */
function recordOf(p: Provisioning, { user, record }: Loaded, changes: Partial<StoredResource>): StoredResource {
  const now = isoNow(p);
  return { id: user.id, kind: 'User', attributes: attributesOf(user, record), created: user.created ?? now, ...record, lastModified: now, ...changes };
}

/**
 * Reactivation: the groups the BI tool drops are remembered in the store before it is asked, so a retry after a lost
 * answer still gives them back; then the person is reactivated.
 */
async function reactivate(p: Provisioning, loaded: Loaded): Promise<string[]> {
  const { user } = loaded;
  const restore = [...new Set([...(loaded.record?.restoreGroups ?? []), ...p.target.reactivationLosses(user)])];
  if (restore.length > 0) await p.store.put(recordOf(p, loaded, { restoreGroups: restore }));
  await p.target.setUserActive(user.id, true, user);
  return restore;
}

/**
 * Brings the BI tool to `active` and `input`. If a step fails, the steps already taken are undone (best effort,
 * newest first); what the store remembered (groups to restore) survives, so a retry converges.
 */
async function applyToTarget(p: Provisioning, loaded: Loaded, active: boolean, input: DirectoryUserInput, reviving: boolean): Promise<DirectoryUser> {
  let user = loaded.user;
  const undo: Array<() => Promise<unknown>> = [];
  try {
    let restore = loaded.record?.restoreGroups ?? [];
    if (active && !user.active) {
      restore = await reactivate(p, loaded);
      undo.push(() => p.target.setUserActive(user.id, false));
      user = { ...user, active: true, groupIds: user.groupIds.filter((g) => !restore.includes(g)) };
    }
    // A revival lifts the mark whether or not this request was the one that reactivated (a retry may find them active).
    if (reviving && user.active) await unmark(p, user);
    if (user.active) {
      const missing = restore.filter((g) => !user.groupIds.includes(g));
      for (const groupId of missing) await p.target.addMembers(groupId, [user.id]);
      if (missing.length > 0) user = { ...user, groupIds: [...user.groupIds, ...missing] };
      const before = user;
      const after = await p.target.updateUser(user, input);
      if (after !== before) undo.push(() => p.target.updateUser(after, inputOf(before)));
      user = after;
    }
    if (!active && user.active) {
      await p.target.setUserActive(user.id, false, user);
      user = { ...user, active: false };
    }
  } catch (err) {
    for (const step of undo.reverse()) {
      await step().catch((undoErr: unknown) => p.logger.error({ err: undoErr, userId: user.id }, 'could not undo a partial change'));
    }
    throw err;
  }
  return user;
}

function actionOf(loaded: Loaded, active: boolean, creating: boolean): AuditAction {
  if (creating) return 'user.create';
  if (active === loaded.user.active) return 'user.update';
  return active ? 'user.reactivate' : 'user.deactivate';
}

/**
 * Makes the BI tool hold `doc` and stores it. Inactive people cannot be edited in Metabase, so their changes wait
 * in the store and are written when they are reactivated (design §2.3). A request that changes nothing in the BI
 * tool or the store writes nothing (its audit event lists no changes). A deactivation is read back (verified).
 */
export async function writeUser(
  p: Provisioning,
  ctx: RequestContext,
  loaded: Loaded,
  doc: ScimDoc,
  draft: AuditDraft,
  how: { creating?: boolean; reviving?: boolean } = {},
): Promise<ScimDoc> {
  const active = typeof doc.active === 'boolean' ? doc.active : loaded.user.active;
  const input = toDirectoryInput(p, doc);
  const attributes = { ...doc, active };
  Object.assign(draft, {
    action: how.reviving ? 'user.reactivate' : actionOf(loaded, active, how.creating ?? false),
    resourceId: loaded.user.id,
    resourceName: String(doc.userName),
  });
  draft.changes = diffAttributes(loaded.record && !loaded.record.deleted ? { ...loaded.record.attributes, active: loaded.user.active } : null, attributes);
  const deactivating = !active && loaded.user.active;
  if (deactivating) {
    await refuseIfProtected(p, loaded.user);
    await admitDeprovisioning(p, ctx, 1, `deactivate User ${loaded.user.id}`);
  }
  await refuseEmailChange(p, loaded.user, input.email);
  const change = () => applyToTarget(p, loaded, active, input, how.reviving ?? false);
  const user =
    deactivating && (await p.target.isAdministrator(loaded.user))
      ? await guardLastAdmin(p, { type: 'User', id: loaded.user.id }, (id) => id === loaded.user.id, change)
      : await change();
  if (deactivating)
    await verifyRemoval(p.options.verifyRemovals !== false, draft, 'deactivation', async () => (await p.target.getUser(user.id))?.active === false);
  const unchanged =
    user === loaded.user && loaded.record && !loaded.record.deleted && !loaded.record.restoreGroups && isDeepStrictEqual(loaded.record.attributes, attributes);
  if (unchanged) return renderUser(p, ctx, user, loaded.record);
  const record = recordOf(p, loaded, { attributes, deleted: undefined, restoreGroups: undefined });
  await p.store.put(record);
  return renderUser(p, ctx, user, record);
}
