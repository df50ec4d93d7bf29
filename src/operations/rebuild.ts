// Rebuilding bi-scim's records from the BI tool after the store is lost (design §2.2): what the BI tool holds now is
// taken as declared, so lookups, tombstones and drift work again before the IdP's next full push.
import type { DirectoryGroup, DirectoryUser } from '../directory.ts';
import { audited, isoNow, withResourceLock, type AuditDraft, type Provisioning, type RequestContext } from '../provisioning/context.ts';
import { isTombstoneGroup } from '../provisioning/group-view.ts';
import { protectionOf } from '../provisioning/protection.ts';
import { attributesOf } from '../provisioning/user-docs.ts';
import type { StoredResource } from '../store/mapping-store.ts';

const PAGE = 500;

export interface RebuildPlan {
  /** People with no record: adopted as managed, or as DELETEd when the BI tool holds the DELETE mark. */
  people: StoredResource[];
  /** Groups with no record (visible ones, and the BI groups config mappings name), or a record with no declared members. */
  groups: StoredResource[];
}

function groupRecord(
  p: Provisioning,
  group: DirectoryGroup,
  previous: StoredResource | undefined,
  members: string[],
  mappedTo: { idpGroup: string; target: string } | undefined,
): StoredResource {
  const now = isoNow(p);
  if (previous) return { ...previous, members };
  const record: StoredResource = {
    id: group.id,
    kind: 'Group',
    attributes: { displayName: mappedTo?.idpGroup ?? group.name },
    created: now,
    lastModified: now,
    members,
  };
  if (mappedTo) record.mappedTo = mappedTo.target;
  return record;
}

/** Reads every person and group once and lists the records that are missing; writes nothing. */
export async function planRebuild(p: Provisioning, onProgress?: (done: number, total: number) => void): Promise<RebuildPlan> {
  const groups = await p.target.listGroups();
  const tombstone = groups.find(isTombstoneGroup)?.id;
  const members = new Map<string, string[]>();
  const people: StoredResource[] = [];
  for (let offset = 0, total = 1; offset < total; offset += PAGE) {
    const page = await p.target.listUsers(offset, PAGE);
    total = page.items.length < PAGE ? offset + page.items.length : page.total;
    const records = await p.store.getMany(
      'User',
      page.items.map((u) => u.id),
    );
    for (const user of page.items) {
      for (const g of user.groupIds) members.set(g, [...(members.get(g) ?? []), user.id]);
      if (records.has(user.id) || (await protectionOf(p, user.id))) continue;
      people.push(personRecord(p, user, tombstone !== undefined && user.groupIds.includes(tombstone)));
    }
    onProgress?.(Math.min(offset + page.items.length, total), total);
  }
  const records = await p.store.getMany(
    'Group',
    groups.map((g) => g.id),
    { members: true },
  );
  const mapped = new Map<string, { idpGroup: string; target: string }>();
  for (const mapping of p.options.groupMappings) {
    const group = await p.target.findMappingTarget(mapping.target);
    if (group) mapped.set(group.id, mapping);
  }
  const rebuilt = groups
    .filter((g) => !isTombstoneGroup(g))
    .filter((g) => {
      const record = records.get(g.id);
      return record ? !record.deleted && !record.members : !g.hidden || mapped.has(g.id);
    })
    .map((g) => groupRecord(p, g, records.get(g.id), members.get(g.id) ?? [], mapped.get(g.id)));
  return { people, groups: rebuilt };
}

function personRecord(p: Provisioning, user: DirectoryUser, deleted: boolean): StoredResource {
  const now = isoNow(p);
  return {
    id: user.id,
    kind: 'User',
    attributes: attributesOf(user, null),
    created: user.created ?? now,
    lastModified: now,
    ...(deleted ? { deleted: true } : {}),
  };
}

/** Writes the plan's records as one audited act; a record written meanwhile (by the IdP) is kept. */
export async function applyRebuild(p: Provisioning, ctx: RequestContext, plan: RebuildPlan): Promise<void> {
  const draft: AuditDraft = {
    action: 'reconcile.apply',
    resourceType: 'Directory',
    resourceId: null,
    resourceName: null,
    changes: [],
    reason: 'rebuild: records taken from the BI tool',
  };
  await audited(p, ctx, draft, async (d) => {
    const written = { people: 0, deleted: 0, groups: 0 };
    for (const record of [...plan.people, ...plan.groups]) {
      const wrote = await withResourceLock(p, `${record.kind.toLowerCase()}:id:${record.id}`, async () => {
        const fresh = await p.store.get(record.kind, record.id, { members: true });
        if (fresh && (record.kind === 'User' || fresh.members)) return false;
        await p.store.put(fresh ? { ...fresh, members: record.members } : record);
        return true;
      });
      if (!wrote) continue;
      if (record.kind === 'Group') written.groups++;
      else if (record.deleted) written.deleted++;
      else written.people++;
    }
    d.changes.push({ attribute: 'records', after: written });
  });
}
