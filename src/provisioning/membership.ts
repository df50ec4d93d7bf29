// Group membership as deltas against the BI tool's current state (design §2.6), from PATCH operations or full lists.
import type { DirectoryGroup } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import { LIMITS } from '../scim/limits.ts';
import type { FilterNode } from '../scim/ast.ts';
import { matchesFilter } from '../scim/filter.ts';
import { parseAttributePath } from '../scim/grammar.ts';
import type { PatchOperation } from '../scim/patch-message.ts';
import { TargetError } from '../targets/target.ts';
import { verifyRemoval } from '../operations/verify.ts';
import { withResourceLock, type AuditDraft, type Provisioning, type RequestContext } from './context.ts';
import { admitDeprovisioning } from './guard.ts';
import { carriesAdmin, guardLastAdmin, protectionOf } from './protection.ts';

export interface MemberDelta {
  /** The complete new member list (PUT, `replace members`, `remove members`); null leaves the others alone. */
  replaceWith: string[] | null;
  add: string[];
  remove: string[];
}

/** The ids a members value names, each once, in order. */
export function memberIds(members: unknown): string[] {
  if (!Array.isArray(members)) return [];
  const ids = members
    .map((m) => (m && typeof m === 'object' ? (m as { value?: unknown }).value : m))
    .filter((v): v is string => typeof v === 'string' && v !== '');
  return [...new Set(ids)];
}

/** `value eq "x"` joined by `or`: the ids it names without reading the group (Okta and Entra send exactly this). */
function namedValues(filter: FilterNode): string[] | null {
  const node = filter as { op: string; left?: FilterNode; right?: FilterNode; path?: { attribute: string; subAttribute: string | null }; value?: unknown };
  if (node.op === 'or') {
    const left = namedValues(node.left!);
    const right = namedValues(node.right!);
    return left && right ? [...left, ...right] : null;
  }
  return node.op === 'eq' && node.path?.attribute.toLowerCase() === 'value' && typeof node.value === 'string' ? [node.value] : null;
}

/** One membership operation of a PATCH, as data: what it names, resolved against the BI tool only when applied. */
export type MemberStep =
  | { kind: 'add' | 'remove' | 'replace'; ids: string[] }
  /** A filtered remove naming no ids outright (`members[display co "x"]`): matched against the current members. */
  | { kind: 'removeMatching'; filter: FilterNode };

function memberStep(op: string, filter: FilterNode | null, value: unknown): MemberStep {
  if (filter) {
    if (op !== 'remove') throw new ScimError('invalidPath', 'Only "remove" may use a filtered members path');
    const named = namedValues(filter);
    return named ? { kind: 'remove', ids: named } : { kind: 'removeMatching', filter };
  }
  if (op === 'add') return { kind: 'add', ids: memberIds(value) };
  // `replace members`, and `remove members` with no value, set the whole list (RFC 7644 §3.5.2.2–3).
  if (op === 'replace' || value === undefined || value === null) return { kind: 'replace', ids: op === 'replace' ? memberIds(value) : [] };
  // Entra's default dialect removes listed members with a value array on the plain `members` path.
  return { kind: 'remove', ids: memberIds(value) };
}

function isMembersPath(path: string): boolean {
  return parseAttributePath(path).attribute.toLowerCase() === 'members';
}

/**
 * Separates membership from other operations so that adding one member never reads the group (design §2.10).
 * A path-less value carrying `members` counts as membership; the rest of that value stays an ordinary operation.
 */
export function splitMemberOperations(operations: PatchOperation[]): { memberSteps: MemberStep[]; otherOperations: PatchOperation[] } {
  const memberSteps: MemberStep[] = [];
  const otherOperations: PatchOperation[] = [];
  for (const operation of operations) {
    if (operation.path) {
      if (isMembersPath(operation.path)) memberSteps.push(memberStep(operation.op, parseAttributePath(operation.path).valueFilter, operation.value));
      else otherOperations.push(operation);
      continue;
    }
    const value = (operation.value ?? {}) as Record<string, unknown>;
    const membersKey = Object.keys(value).find((k) => k.toLowerCase() === 'members');
    if (membersKey === undefined) {
      otherOperations.push(operation);
      continue;
    }
    memberSteps.push(memberStep(operation.op, null, value[membersKey]));
    const rest = Object.fromEntries(Object.entries(value).filter(([k]) => k !== membersKey));
    if (Object.keys(rest).length > 0) otherOperations.push({ ...operation, value: rest });
  }
  const named = memberSteps.reduce((sum, step) => sum + ('ids' in step ? step.ids.length : 0), 0);
  if (named > LIMITS.maxMembers) throw new ScimError('payloadTooLarge', `One request may name at most ${LIMITS.maxMembers} members`);
  return { memberSteps, otherOperations };
}

/** The steps in order as one delta; the current members are read only when a step needs them, and at most once. */
export async function toMemberDelta(steps: MemberStep[], loadCurrent: () => Promise<string[]>): Promise<MemberDelta> {
  let replaceWith: Set<string> | null = null;
  const add = new Set<string>();
  const remove = new Set<string>();
  let current: Promise<string[]> | null = null;
  for (const step of steps) {
    if (step.kind === 'replace') {
      replaceWith = new Set(step.ids);
      add.clear();
      remove.clear();
      continue;
    }
    if (step.kind === 'removeMatching') current ??= loadCurrent();
    const ids = step.kind === 'removeMatching' ? (await current!).filter((id) => matchesFilter({ value: id }, step.filter)) : step.ids;
    const [into, outOf] = step.kind === 'add' ? [add, remove] : [remove, add];
    for (const id of ids) {
      into.add(id);
      outOf.delete(id);
    }
  }
  return { replaceWith: replaceWith && [...replaceWith], add: [...add], remove: [...remove] };
}

/** A full list that merely omits protected people keeps them; an explicit removal of one is refused (design §2.5). */
async function keepProtected(p: Provisioning, group: DirectoryGroup, delta: MemberDelta, remove: string[], draft: AuditDraft): Promise<string[]> {
  if (!group.isAdmin || remove.length === 0) return [];
  const kept = (await Promise.all(remove.map(async (id) => ((await protectionOf(p, id)) ? id : null)))).filter((id) => id !== null);
  if (kept.length > 0 && !delta.replaceWith) throw new ScimError('protectedPrincipal', `Users ${kept.join(', ')} are protected and stay in Group ${group.id}`);
  if (kept.length > 0) draft.reason = `protected members kept: ${kept.join(', ')}`;
  return kept;
}

/**
 * Applies a delta under the caller's group lock; returns the resulting member list when it was computed. Removals
 * count against the deprovisioning guard, may not strip the last human administrator, and are read back.
 */
export async function applyMembership(
  p: Provisioning,
  ctx: RequestContext,
  group: DirectoryGroup,
  delta: MemberDelta,
  draft: AuditDraft,
): Promise<string[] | null> {
  let add = delta.add;
  let remove = delta.remove;
  let result: string[] | null = null;
  if (delta.replaceWith) {
    const current = new Set(await p.target.listMembers(group.id));
    const removed = new Set(delta.remove);
    const desired = new Set([...delta.replaceWith, ...delta.add].filter((id) => !removed.has(id)));
    add = [...desired].filter((id) => !current.has(id));
    remove = [...current].filter((id) => !desired.has(id));
    result = [...desired];
  }
  const kept = await keepProtected(p, group, delta, remove, draft);
  remove = remove.filter((id) => !kept.includes(id));
  if (kept.length > 0) result = [...(result ?? []), ...kept];
  if (add.length > 0 || remove.length > 0) {
    draft.changes.push({ attribute: 'members', ...(add.length > 0 ? { added: add } : {}), ...(remove.length > 0 ? { removed: remove } : {}) });
    if (draft.action !== 'group.create') draft.action = remove.length > 0 ? 'member.remove' : 'member.add';
    if (group.isAdmin) draft.admin = { ...(add.length > 0 ? { granted: add } : {}), ...(remove.length > 0 ? { revoked: remove } : {}) };
  }
  await admitDeprovisioning(p, ctx, remove.length, `remove ${remove.length} members from Group ${group.id}`);
  const leaving = new Set(remove);
  const write = async () => {
    if (remove.length > 0) await p.target.removeMembers(group.id, remove);
    if (add.length > 0) await p.target.addMembers(group.id, add);
  };
  const mayStripAdmins = remove.length > 0 && (await carriesAdmin(p, group));
  try {
    await (mayStripAdmins ? guardLastAdmin(p, { type: 'Group', id: group.id }, (userId, via) => via === group.id && leaving.has(userId), write) : write());
  } catch (err) {
    if (err instanceof TargetError && err.code === 'not_found') throw new ScimError('invalidValue', `Unknown member: ${err.detail}`, { cause: err });
    throw err;
  }
  if (remove.length > 0) {
    await verifyRemoval(p.options.verifyRemovals !== false, draft, 'member removal', async () => !(await anyStillMember(p, group.id, leaving)));
  }
  return result;
}

/** Up to this many people leaving are read back one by one, so a removal's read-back is bounded by them, not the group. */
const READ_BACK_ONE_BY_ONE = 10;

async function anyStillMember(p: Provisioning, groupId: string, leaving: Set<string>): Promise<boolean> {
  if (leaving.size > READ_BACK_ONE_BY_ONE) return (await p.target.listMembers(groupId)).some((id) => leaving.has(id));
  const people = await Promise.all([...leaving].map((id) => p.target.getUser(id)));
  return people.some((user) => user?.groupIds.includes(groupId) === true);
}

/** A DELETEd person is no longer a declared member of any group, so a revival starts with none (design §2.3). */
export async function undeclareMember(p: Provisioning, userId: string, groupIds: string[]): Promise<void> {
  for (const record of (await p.store.getMany('Group', groupIds, { members: true })).values()) {
    if (!record.members?.includes(userId)) continue;
    await withResourceLock(p, `group:id:${record.id}`, async () => {
      const fresh = await p.store.get('Group', record.id, { members: true });
      if (fresh?.members) await p.store.put({ ...fresh, members: fresh.members.filter((id) => id !== userId) });
    });
  }
}
