// Group membership as deltas against the BI tool's current state (design §2.6), from PATCH operations or full lists.
import type { DirectoryGroup } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import type { FilterNode } from '../scim/ast.ts';
import { matchesFilter } from '../scim/filter.ts';
import { parseAttributePath } from '../scim/grammar.ts';
import type { PatchOperation } from '../scim/patch.ts';
import { TargetError } from '../targets/target.ts';
import { audit, serviceAccountOf, type Provisioning, type RequestContext } from './context.ts';

export interface MemberDelta {
  /** The complete new member list (PUT, `replace members`, `remove members`); null leaves the others alone. */
  replaceWith: string[] | null;
  add: string[];
  remove: string[];
}

export function memberIds(members: unknown): string[] {
  if (!Array.isArray(members)) return [];
  return members.map((m) => (m && typeof m === 'object' ? (m as { value?: unknown }).value : m)).filter((v): v is string => typeof v === 'string' && v !== '');
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

type MemberStep = (state: { replaceWith: Set<string> | null; add: Set<string>; remove: Set<string> }, current: () => Promise<string[]>) => Promise<void>;

function memberStep(op: string, filter: FilterNode | null, value: unknown): MemberStep {
  const ids = memberIds(value);
  return async (state, current) => {
    if (filter) {
      if (op !== 'remove') throw new ScimError('invalidPath', 'Only "remove" may use a filtered members path');
      const named = namedValues(filter) ?? (await current()).filter((id) => matchesFilter({ value: id }, filter));
      named.forEach((id) => (state.remove.add(id), state.add.delete(id)));
    } else if (op === 'add') {
      ids.forEach((id) => (state.add.add(id), state.remove.delete(id)));
    } else if (op === 'replace' || value === undefined || value === null) {
      // `replace members`, and `remove members` with no value, set the whole list (RFC 7644 §3.5.2.2–3).
      state.replaceWith = new Set(op === 'replace' ? ids : []);
      state.add.clear();
      state.remove.clear();
    } else {
      // Entra's default dialect removes listed members with a value array on the plain `members` path.
      ids.forEach((id) => (state.remove.add(id), state.add.delete(id)));
    }
  };
}

function isMembersPath(path: string): boolean {
  return parseAttributePath(path).attribute.toLowerCase() === 'members';
}

/**
 * Separates membership from other operations so that adding one member never reads the group (design §2.10).
 * A path-less value carrying `members` counts as membership; the rest of that value stays an ordinary operation.
 */
export function splitMemberOperations(operations: PatchOperation[]): {
  memberDelta: (current: () => Promise<string[]>) => Promise<MemberDelta>;
  otherOperations: PatchOperation[];
} {
  const steps: MemberStep[] = [];
  const otherOperations: PatchOperation[] = [];
  for (const operation of operations) {
    if (operation.path) {
      if (isMembersPath(operation.path)) steps.push(memberStep(operation.op, parseAttributePath(operation.path).valueFilter, operation.value));
      else otherOperations.push(operation);
      continue;
    }
    const value = (operation.value ?? {}) as Record<string, unknown>;
    const membersKey = Object.keys(value).find((k) => k.toLowerCase() === 'members');
    if (membersKey === undefined) {
      otherOperations.push(operation);
      continue;
    }
    steps.push(memberStep(operation.op, null, value[membersKey]));
    const rest = Object.fromEntries(Object.entries(value).filter(([k]) => k !== membersKey));
    if (Object.keys(rest).length > 0) otherOperations.push({ ...operation, value: rest });
  }
  return {
    otherOperations,
    memberDelta: async (loadCurrent) => {
      let cached: Promise<string[]> | null = null;
      const current = () => (cached ??= loadCurrent());
      const state = { replaceWith: null as Set<string> | null, add: new Set<string>(), remove: new Set<string>() };
      for (const step of steps) await step(state, current);
      return { replaceWith: state.replaceWith && [...state.replaceWith], add: [...state.add], remove: [...state.remove] };
    },
  };
}

/** People SCIM may never take out of an admin group: the service account and configured break-glass people. */
async function protectedMemberIds(p: Provisioning, candidates: string[]): Promise<Set<string>> {
  const account = await serviceAccountOf(p);
  const names = new Set(p.options.protectedUsers.map((n) => n.toLowerCase()));
  const ids = new Set<string>(account.userId ? [account.userId] : []);
  if (names.size === 0) return ids;
  for (const id of candidates) {
    const user = await p.target.getUser(id);
    if (user && [user.email, user.username].some((n) => n && names.has(n.toLowerCase()))) ids.add(id);
  }
  return ids;
}

/** Applies a delta under the caller's group lock; returns the resulting member list when it was computed. */
export async function applyMembership(p: Provisioning, ctx: RequestContext, group: DirectoryGroup, delta: MemberDelta): Promise<string[] | null> {
  let add = delta.add;
  let remove = delta.remove;
  let result: string[] | null = null;
  if (delta.replaceWith) {
    const current = await p.target.listMembers(group.id);
    const desired = new Set([...delta.replaceWith, ...delta.add].filter((id) => !delta.remove.includes(id)));
    add = [...desired].filter((id) => !current.includes(id));
    remove = current.filter((id) => !desired.has(id));
    result = [...desired];
  }
  if (group.isAdmin && remove.length > 0) {
    const guarded = await protectedMemberIds(p, remove);
    const refused = remove.filter((id) => guarded.has(id));
    if (refused.length > 0) {
      await audit(p, ctx, { action: 'remove-member', resourceType: 'Group', resourceId: group.id, outcome: 'refused', detail: `protected: ${refused.join(', ')}` });
      // An explicit removal is refused; a full list that merely omits them keeps them (design §2.5).
      if (!delta.replaceWith) throw new ScimError('protectedPrincipal', `Users ${refused.join(', ')} are protected and stay in Group ${group.id}`);
      remove = remove.filter((id) => !guarded.has(id));
      result = [...(result ?? []), ...refused];
    }
  }
  try {
    if (remove.length > 0) await p.target.removeMembers(group.id, remove);
    if (add.length > 0) await p.target.addMembers(group.id, add);
  } catch (err) {
    if (err instanceof TargetError && err.code === 'not_found') throw new ScimError('invalidValue', `Unknown member: ${err.message}`, { cause: err });
    throw err;
  }
  return result;
}
