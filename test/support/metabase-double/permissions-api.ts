// Metabase's /api/permissions group and membership endpoints (permissions_rest/api.clj), OSS edition.
import { requireSuperuser, type RequestContext, type Route } from './core.ts';
import { GROUP_MANAGER_PAYWALL, json, NO_CONTENT, notFound, textError, type Reply } from './responses.ts';
import { ADMIN_GROUP_ID, compareNullable } from './rules.ts';
import { KINDS, pageOf, Schema } from './validation.ts';
import { groupJson, membersOf, membershipJson } from './views.ts';

/** An array (no envelope) ordered by lower(name), with `member_count` of active users; limit/offset apply. */
function listGroups(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const { directory, rules } = ctx.core;
  const groups = directory.allGroups().sort((a, b) => compareNullable(a.name.toLowerCase(), b.name.toLowerCase()) || a.id - b.id);
  return json(pageOf(groups, ctx.paging).map((g) => ({ ...groupJson(g), member_count: rules.activeMembers(g.id).length })));
}

function getGroup(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const group = ctx.core.directory.group(ctx.params.id);
  if (!group) throw notFound();
  return json({ ...groupJson(group), members: membersOf(ctx.core.rules, group.id) });
}

/** Tenant groups need the paid tenants feature. */
function checkNoTenantGroup(ctx: RequestContext): void {
  if (ctx.body.is_tenant_group === true) {
    throw textError(402, 'Tenants is a paid feature not currently available to your instance. Please upgrade to use it. Learn more at metabase.com/upgrade/');
  }
}

function createGroup(ctx: RequestContext): Reply {
  new Schema(ctx.body).check('name', KINDS.nonBlankString, { required: true }).check('is_tenant_group', KINDS.boolean).done();
  requireSuperuser(ctx);
  checkNoTenantGroup(ctx);
  return json(groupJson(ctx.core.rules.createGroup(ctx.body.name as string)));
}

function renameGroup(ctx: RequestContext): Reply {
  new Schema(ctx.body).check('name', KINDS.nonBlankString, { required: true }).done();
  requireSuperuser(ctx);
  const id = ctx.params['group-id'];
  if (!ctx.core.directory.group(id)) throw notFound();
  return json(groupJson(ctx.core.rules.renameGroup(id, ctx.body.name as string)));
}

/** There is no existence check before the delete: an unknown id deletes nothing and answers 204 (metabase-api.md §2.2, uncertain). */
function deleteGroup(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  ctx.core.rules.deleteGroup(ctx.params['group-id']);
  return NO_CONTENT;
}

/** Keyed by user id; every membership row, so deactivated and API-key users too (the internal user has none). */
function listMemberships(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const byUser: Record<string, Array<Record<string, unknown>>> = {};
  const rows = ctx.core.directory.allMemberships().sort((a, b) => a.user_id - b.user_id || a.id - b.id);
  for (const membership of rows) (byUser[String(membership.user_id)] ??= []).push(membershipJson(membership));
  return json(byUser);
}

/** Answers the group's whole active member list, not the new membership (issue #39410). */
function addMembership(ctx: RequestContext): Reply {
  new Schema(ctx.body)
    .check('group_id', KINDS.positiveInt, { required: true })
    .check('user_id', KINDS.positiveInt, { required: true })
    .check('is_group_manager', KINDS.boolean)
    .done();
  requireSuperuser(ctx);
  if (ctx.body.is_group_manager === true) throw textError(402, GROUP_MANAGER_PAYWALL);
  const groupId = ctx.body.group_id as number;
  ctx.core.rules.addToGroup(ctx.body.user_id as number, groupId);
  return json(membersOf(ctx.core.rules, groupId));
}

/** Only `is_group_manager` can be updated, and that is a paid feature. */
function updateMembership(ctx: RequestContext): Reply {
  new Schema(ctx.body).check('is_group_manager', KINDS.boolean, { required: true }).done();
  throw textError(402, GROUP_MANAGER_PAYWALL);
}

function deleteMembership(ctx: RequestContext): Reply {
  const membership = ctx.core.directory.membership(ctx.params.id);
  if (!membership) throw notFound();
  requireSuperuser(ctx);
  ctx.core.rules.removeMembership(membership);
  return NO_CONTENT;
}

/** Empties a group but keeps it; Administrators is a generic check-400, All Users fails in the membership hook. */
function clearGroup(ctx: RequestContext): Reply {
  requireSuperuser(ctx);
  const id = ctx.params['group-id'];
  if (!ctx.core.directory.group(id)) throw notFound();
  if (id === ADMIN_GROUP_ID) throw textError(400, 'Invalid Request.');
  for (const membership of ctx.core.directory.membershipsOfGroup(id)) ctx.core.rules.removeMembership(membership);
  return NO_CONTENT;
}

export const PERMISSIONS_ROUTES: Route[] = [
  { method: 'GET', path: '/api/permissions/group', handle: listGroups },
  { method: 'GET', path: '/api/permissions/group/:id', handle: getGroup },
  { method: 'POST', path: '/api/permissions/group', handle: createGroup },
  { method: 'PUT', path: '/api/permissions/group/:group-id', handle: renameGroup },
  { method: 'DELETE', path: '/api/permissions/group/:group-id', handle: deleteGroup },
  { method: 'GET', path: '/api/permissions/membership', handle: listMemberships },
  { method: 'POST', path: '/api/permissions/membership', handle: addMembership },
  { method: 'PUT', path: '/api/permissions/membership/:group-id/clear', handle: clearGroup },
  { method: 'PUT', path: '/api/permissions/membership/:id', handle: updateMembership },
  { method: 'DELETE', path: '/api/permissions/membership/:id', handle: deleteMembership },
];
