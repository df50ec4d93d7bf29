// Protected principals (design §2.5): bi-scim's own account, configured break-glass people and the last active human
// administrator can never be deactivated, deleted or demoted via SCIM, and an administrator's login email is not changed.
import type { DirectoryGroup, DirectoryUser } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import { serviceAccountOf, withResourceLock, type Provisioning } from './context.ts';

/** A 403 (audited as `refused` by the request's audit event): of whom, and why. */
function refuse(resource: { type: 'User' | 'Group'; id: string }, why: string): never {
  throw new ScimError('protectedPrincipal', `${resource.type} ${resource.id} ${why}`);
}

/**
 * BI ids of the configured break-glass people: `id:<bi id>` entries as written, emails and BI usernames looked up once
 * per process. Protection then follows the id, so changing a protected person's email cannot lift it.
 */
export function breakGlassIds(p: Provisioning): Promise<Set<string>> {
  return p.cache.protectedIds.get('self', async () => {
    const ids = new Set<string>();
    for (const entry of p.options.protectedUsers) {
      if (/^id:/i.test(entry)) ids.add(entry.slice(3));
      const user = /^id:/i.test(entry) ? null : ((await p.target.findUserByEmail(entry)) ?? (await p.target.findUserByUsername(entry)));
      if (user) ids.add(user.id);
    }
    return ids;
  });
}

/** Why a person may not be deactivated, deleted or taken out of an admin group, or null when they may. */
export async function protectionOf(p: Provisioning, userId: string): Promise<string | null> {
  if ((await serviceAccountOf(p)).userId === userId) return "bi-scim's own service account";
  if ((await breakGlassIds(p)).has(userId)) return 'a protected break-glass account';
  return null;
}

export async function refuseIfProtected(p: Provisioning, user: DirectoryUser): Promise<void> {
  const why = await protectionOf(p, user.id);
  if (why) refuse({ type: 'User', id: user.id }, `is ${why} and cannot be deactivated or deleted via SCIM`);
}

/**
 * A protected person's or an administrator's login email is theirs to keep: the BI tool's password reset follows it,
 * so re-pointing it is an account takeover. Only `allowAdminEmailChange` lets SCIM do it.
 */
export async function refuseEmailChange(p: Provisioning, user: DirectoryUser, email: string): Promise<void> {
  if (p.options.allowAdminEmailChange || email.toLowerCase() === user.email.toLowerCase()) return;
  const why = (await p.target.isAdministrator(user)) ? 'an administrator' : await protectionOf(p, user.id);
  if (why) refuse({ type: 'User', id: user.id }, `is ${why}, whose login email SCIM does not change (allowAdminEmailChange)`);
}

/**
 * Whether members leaving the group may lose administrator rights by it. Where Admin can be granted to any group by
 * hand (Superset), the cached group may predate such a grant, so a group that looks plain is read live (one call).
 */
export async function carriesAdmin(p: Provisioning, group: DirectoryGroup): Promise<boolean> {
  if (group.isAdmin) return true;
  if (p.target.adminGroupsAreFixed) return false;
  return (await p.target.getGroup(group.id))?.isAdmin === true;
}

/**
 * Runs `change` only if an active human administrator other than bi-scim's own account remains afterwards.
 * `loses(userId, viaGroupId)` says which of a person's admin sources the change takes away. The check and the change
 * run under one lock, so two requests cannot each remove "the other" last administrator.
 */
export async function guardLastAdmin<T>(
  p: Provisioning,
  resource: { type: 'User' | 'Group'; id: string },
  loses: (userId: string, viaGroupId: string) => boolean,
  change: () => Promise<T>,
): Promise<T> {
  return withResourceLock(p, 'admins', async () => {
    const service = (await serviceAccountOf(p)).userId;
    const admins = [...(await p.target.activeAdmins())].filter(([id]) => id !== service);
    const remaining = admins.filter(([id, vias]) => vias.some((via) => !loses(id, via)));
    if (admins.length > 0 && remaining.length === 0) refuse(resource, 'cannot go: that would leave the BI tool without an active human administrator');
    return change();
  });
}
