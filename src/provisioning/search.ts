// POST /.search on the service root (RFC 7644 §3.4.3): Users then Groups as one list, paged without loading both whole.
import type { ListQuery } from '../scim/list.ts';
import type { ScimDoc } from '../scim/resources.ts';
import type { Provisioning, RequestContext } from './context.ts';
import { listGroups } from './groups.ts';
import { listUsers } from './users.ts';

/**
 * The window `startIndex`/`count` over Users followed by Groups. Each side is asked only for the part of the window
 * it covers, so the cost stays that of one `/Users` and one `/Groups` list (design §2.10).
 */
export async function searchAll(
  p: Provisioning,
  ctx: RequestContext,
  query: ListQuery,
  withMembers: boolean,
): Promise<{ total: number; resources: ScimDoc[] }> {
  const users = await listUsers(p, ctx, query);
  const count = query.count - users.resources.length;
  const groups = await listGroups(p, ctx, { ...query, startIndex: Math.max(1, query.startIndex - users.total), count }, withMembers);
  return { total: users.total + groups.total, resources: [...users.resources, ...groups.resources] };
}
