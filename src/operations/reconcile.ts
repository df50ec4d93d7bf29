// Reconcile (design §7): the drift findings' fixes as a plan, and applying it under the same locks and rules as SCIM.
import type { DirectoryUser } from '../directory.ts';
import { audited, withResourceLock, type AuditDraft, type Provisioning, type RequestContext } from '../provisioning/context.ts';
import { forgetGroupList } from '../provisioning/group-view.ts';
import { admitDeprovisioning } from '../provisioning/guard.ts';
import { guardLastAdmin, refuseEmailChange } from '../provisioning/protection.ts';
import { toDirectoryInput } from '../provisioning/user-docs.ts';
import { ScimError } from '../scim/errors.ts';
import { FIX_CATEGORIES, FIX_CATEGORY_NAMES, type DriftFinding, type DriftKind, type FixCategory } from './drift-types.ts';
import { verifyRemoval } from './verify.ts';

/** `admin-grants,memberships` → its categories; throws on an unknown word. */
export function parseCategories(words: string): FixCategory[] {
  return words.split(',').map((word) => {
    const name = word.trim().replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as FixCategory;
    if (!FIX_CATEGORY_NAMES.includes(name)) throw new Error(`--only takes ${FIX_CATEGORY_NAMES.map(kebab).join(', ')}, not "${word}"`);
    return name;
  });
}

export const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The findings a reconcile would fix: those with calls to make, of the chosen categories (all when none are named). */
export function fixable(findings: DriftFinding[], only: readonly FixCategory[] | null): DriftFinding[] {
  const kinds = new Set<DriftKind>((only ?? FIX_CATEGORY_NAMES).flatMap((c) => FIX_CATEGORIES[c]));
  return findings.filter((f) => f.fix.length > 0 && kinds.has(f.kind));
}

async function liveUser(p: Provisioning, id: string): Promise<DirectoryUser | null> {
  return p.target.getUser(id);
}

/** Out of one group, as a SCIM member removal is: within the guard's budget, never the last administrator, read back. */
async function removeFromGroup(p: Provisioning, ctx: RequestContext, f: DriftFinding, draft: AuditDraft): Promise<void> {
  const groupId = f.related!.id;
  const userId = f.subject.id;
  await withResourceLock(p, `group:id:${groupId}`, async () => {
    const [user, group] = await Promise.all([liveUser(p, userId), p.target.getGroup(groupId)]);
    if (!user || !group || !user.groupIds.includes(groupId)) {
      draft.reason = 'already as declared';
      return;
    }
    draft.changes.push({ attribute: 'groups', removed: [groupId] });
    if (group.isAdmin) draft.admin = { revoked: [userId] };
    await admitDeprovisioning(p, ctx, 1, `reconcile: remove User ${userId} from Group ${groupId}`);
    const remove = () => p.target.removeMembers(groupId, [userId]);
    // The group was just read live, so its isAdmin already shows a grant made by hand.
    await (group.isAdmin ? guardLastAdmin(p, { type: 'Group', id: groupId }, (id, via) => id === userId && via === groupId, remove) : remove());
    await verifyRemoval(p.options.verifyRemovals !== false, draft, 'member removal', async () => !(await liveUser(p, userId))?.groupIds.includes(groupId));
  });
}

async function addToGroup(p: Provisioning, groupId: string, userId: string, draft: AuditDraft): Promise<void> {
  await withResourceLock(p, `group:id:${groupId}`, async () => {
    const group = await p.target.getGroup(groupId);
    if (!group) throw new ScimError('notFound', `Group ${groupId} no longer exists in the BI tool`);
    await p.target.addMembers(groupId, [userId]);
    draft.changes.push({ attribute: 'groups', added: [groupId] });
    if (group.isAdmin) draft.admin = { granted: [userId] };
  });
}

async function setActive(p: Provisioning, ctx: RequestContext, f: DriftFinding, active: boolean, draft: AuditDraft): Promise<void> {
  const userId = f.subject.id;
  await withResourceLock(p, `user:id:${userId}`, async () => {
    const user = await liveUser(p, userId);
    if (!user || user.active === active) {
      draft.reason = 'already as declared';
      return;
    }
    draft.changes.push({ attribute: 'active', before: user.active, after: active });
    if (active) {
      await p.target.setUserActive(userId, true, user);
      // What the BI tool dropped on reactivation goes back where the IdP declared it.
      for (const groupId of (f.declared as { restoreGroups?: string[] }).restoreGroups ?? []) await addToGroup(p, groupId, userId, draft);
      return;
    }
    await admitDeprovisioning(p, ctx, 1, `reconcile: deactivate User ${userId}`);
    const deactivate = () => p.target.setUserActive(userId, false, user);
    await ((await p.target.isAdministrator(user)) ? guardLastAdmin(p, { type: 'User', id: userId }, (id) => id === userId, deactivate) : deactivate());
    await verifyRemoval(p.options.verifyRemovals !== false, draft, 'deactivation', async () => (await liveUser(p, userId))?.active === false);
  });
}

async function restoreAttributes(p: Provisioning, f: DriftFinding, draft: AuditDraft): Promise<void> {
  if (f.subject.type === 'Group') {
    const name = (f.declared as { displayName: string }).displayName;
    await withResourceLock(p, `group:id:${f.subject.id}`, () => p.target.renameGroup(f.subject.id, name));
    forgetGroupList(p);
    draft.changes.push({ attribute: 'displayName', before: (f.actual as { displayName: string }).displayName, after: name });
    return;
  }
  await withResourceLock(p, `user:id:${f.subject.id}`, async () => {
    const [user, record] = await Promise.all([liveUser(p, f.subject.id), p.store.get('User', f.subject.id)]);
    if (!user || !record || record.deleted) {
      draft.reason = 'no longer managed';
      return;
    }
    const input = toDirectoryInput(p, record.attributes);
    const fields = p.target.fieldsToWrite(user, input);
    if (fields.length === 0) {
      draft.reason = 'already as declared';
      return;
    }
    await refuseEmailChange(p, user, input.email);
    await p.target.updateUser(user, Object.fromEntries(fields.map((k) => [k, input[k]])));
    draft.changes.push(...fields.map((k) => ({ attribute: k, before: user[k], after: input[k] })));
  });
}

function applyOne(p: Provisioning, ctx: RequestContext, f: DriftFinding, draft: AuditDraft): Promise<void> {
  switch (f.kind) {
    case 'admin-grant':
    case 'member-added':
      return removeFromGroup(p, ctx, f, draft);
    case 'member-removed':
      return addToGroup(p, f.related!.id, f.subject.id, draft);
    case 'reactivated':
      return setActive(p, ctx, f, false, draft);
    case 'deactivated':
      return setActive(p, ctx, f, true, draft);
    case 'attribute-changed':
      return restoreAttributes(p, f, draft);
    case 'unmanaged':
      return Promise.resolve();
  }
}

export interface ApplyOutcome {
  finding: DriftFinding;
  ok: boolean;
  error?: string;
}

/**
 * Applies each finding's fix as one audited `reconcile.apply` event; a fix that fails (the guard, protection, the BI
 * tool) is reported and the rest go on. The state is read again under each lock, so a stale finding changes nothing.
 * `guarded: false` is an operator's reviewed plan (`bi-scim reconcile --apply`): it is not held by the deprovisioning
 * guard, whose budget is for what IdPs send; the periodic scan's automatic reverts are held like any IdP request.
 */
export async function applyFixes(
  p: Provisioning,
  ctx: RequestContext,
  findings: DriftFinding[],
  { guarded, onProgress }: { guarded: boolean; onProgress?: (done: number, total: number) => void },
): Promise<ApplyOutcome[]> {
  const q: Provisioning = guarded ? p : { ...p, guard: null };
  const outcomes: ApplyOutcome[] = [];
  for (const f of findings) {
    const draft: AuditDraft = {
      action: 'reconcile.apply',
      resourceType: f.subject.type,
      resourceId: f.subject.id,
      resourceName: f.subject.name,
      changes: [],
      reason: `${f.kind}: ${f.detail}`,
    };
    try {
      await audited(q, ctx, draft, (d) => applyOne(q, ctx, f, d));
      outcomes.push({ finding: f, ok: true });
    } catch (err) {
      outcomes.push({ finding: f, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
    onProgress?.(outcomes.length, findings.length);
  }
  return outcomes;
}
