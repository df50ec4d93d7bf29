// Drift (design §7 decision 1): what the IdP last declared, held in bi-scim's records, against the BI tool's live state.
// Longer because each kind of drift has a short rule of its own, and all share one pass over the directory.
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput } from '../directory.ts';
import { collectBiCalls, type BiCall } from './audit.ts';
import { SEVERITY_OF, type DriftFinding, type DriftKind, type DriftReport, type PlannedCall } from './drift-types.ts';
import { isoNow, type Provisioning } from '../provisioning/context.ts';
import { isTombstoneGroup } from '../provisioning/group-view.ts';
import { protectionOf } from '../provisioning/protection.ts';
import { toDirectoryInput } from '../provisioning/user-docs.ts';
import type { StoredResource } from '../store/mapping-store.ts';

/** People are read this many at a time: 10,000 people cost 20 list calls (Metabase) besides one group list. */
const SCAN_PAGE = 500;

export interface ScanOptions {
  /** Called after each page of people, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

type Ref = DriftFinding['subject'];

const userRef = (u: DirectoryUser): Ref => ({ type: 'User', id: u.id, name: u.email });
const groupRef = (g: DirectoryGroup): Ref => ({ type: 'Group', id: g.id, name: g.name });
const label = (ref: Ref) => `${ref.type} ${ref.id}${ref.name ? ` (${ref.name})` : ''}`;

function finding(
  kind: DriftKind,
  subject: Ref,
  detail: string,
  fix: PlannedCall[],
  values: { declared: unknown; actual: unknown; related?: Ref },
  at: string,
): DriftFinding {
  const id = [kind, subject.type, subject.id, values.related?.id].filter(Boolean).join(':');
  return {
    id,
    kind,
    severity: SEVERITY_OF[kind],
    subject,
    ...(values.related ? { related: values.related } : {}),
    detail,
    declared: values.declared,
    actual: values.actual,
    fix,
    firstSeenAt: at,
  };
}

/** The calls reconcile makes for each kind, in the words a plan prints. */
export const planned = {
  removeMember: (group: Ref, user: Ref): PlannedCall => ({
    method: 'removeMembers',
    route: `Group ${group.id}`,
    summary: `remove ${label(user)} from ${label(group)}`,
  }),
  addMember: (group: Ref, user: Ref): PlannedCall => ({ method: 'addMembers', route: `Group ${group.id}`, summary: `add ${label(user)} to ${label(group)}` }),
  setActive: (user: Ref, active: boolean): PlannedCall => ({
    method: 'setUserActive',
    route: `User ${user.id}`,
    summary: `${active ? 'reactivate' : 'deactivate'} ${label(user)}`,
  }),
  updateUser: (user: Ref, fields: string[]): PlannedCall => ({
    method: 'updateUser',
    route: `User ${user.id}`,
    summary: `set ${fields.join(', ')} of ${label(user)} back to what the IdP sent`,
  }),
  renameGroup: (group: Ref, name: string): PlannedCall => ({
    method: 'renameGroup',
    route: `Group ${group.id}`,
    summary: `rename ${label(group)} back to "${name}"`,
  }),
};

interface Scan {
  p: Provisioning;
  at: string;
  groups: Map<string, DirectoryGroup>;
  /** Groups the IdP manages with a declaration of members, by id. */
  managed: Map<string, StoredResource & { members: string[] }>;
  /** Live members of the managed groups, as the scanned people's own group lists show them. */
  liveMembers: Map<string, Set<string>>;
  /** People scanned (protected ones left out), by id. */
  people: Map<string, { user: DirectoryUser; record: StoredResource | null; deleted: boolean }>;
  findings: DriftFinding[];
}

/** An admin group whose rights the IdP declared: a managed group linked to it by a configured mapping. */
function declaresAdmin(scan: Scan, groupId: string, userId: string): boolean {
  const record = scan.managed.get(groupId);
  return !!record?.mappedTo && !!scan.groups.get(groupId)?.isAdmin && record.members.includes(userId);
}

/** A person's read may not tell (`isAdmin` null: Superset's groups): the groups the scan has read do. */
function isAdminIn(scan: Scan, user: DirectoryUser): boolean {
  return user.isAdmin ?? user.groupIds.some((g) => scan.groups.get(g)?.isAdmin === true);
}

function hasDeclaredAdmin(scan: Scan, user: DirectoryUser): boolean {
  return user.groupIds.some((g) => declaresAdmin(scan, g, user.id));
}

/** What the IdP asked the BI tool to hold for a managed person, or null when the record cannot say (a malformed old one). */
function declaredInput(p: Provisioning, record: StoredResource): DirectoryUserInput | null {
  try {
    return toDirectoryInput(p, record.attributes);
  } catch {
    return null;
  }
}

function checkPerson(scan: Scan, user: DirectoryUser, record: StoredResource | null, deleted: boolean): void {
  const { p, at, findings } = scan;
  const subject = userRef(user);
  if (deleted) {
    if (user.active)
      findings.push(
        finding(
          'reactivated',
          subject,
          'DELETEd by the IdP, but active again in the BI tool',
          [planned.setActive(subject, false)],
          { declared: { active: false, deleted: true }, actual: { active: true } },
          at,
        ),
      );
    return;
  }
  if (!record) {
    if (user.active)
      findings.push(
        finding(
          'unmanaged',
          subject,
          `no IdP manages this account${isAdminIn(scan, user) ? ' (an administrator)' : ''}`,
          [],
          { declared: null, actual: { active: true, isAdmin: isAdminIn(scan, user) } },
          at,
        ),
      );
    return;
  }
  const declaredActive = record.attributes.active;
  if (typeof declaredActive === 'boolean' && declaredActive !== user.active) {
    // Groups the BI tool drops on reactivation (Metabase: Administrators) go back where the IdP declared them.
    const restoreGroups = declaredActive ? p.target.reactivationLosses(user).filter((g) => scan.managed.get(g)?.members.includes(user.id)) : [];
    const fix = [planned.setActive(subject, declaredActive), ...restoreGroups.map((g) => planned.addMember(groupRef(scan.groups.get(g)!), subject))];
    const detail = declaredActive
      ? 'deactivated outside SCIM while the IdP declares them active'
      : 'reactivated outside SCIM while the IdP declares them inactive';
    findings.push(
      finding(
        declaredActive ? 'deactivated' : 'reactivated',
        subject,
        detail,
        fix,
        { declared: { active: declaredActive, ...(restoreGroups.length > 0 ? { restoreGroups } : {}) }, actual: { active: user.active } },
        at,
      ),
    );
  }
  // Inactive people cannot be edited (Metabase): edits wait in the store until they are back, so they are not drift.
  const input = user.active && declaredActive !== false ? declaredInput(p, record) : null;
  const fields = input ? p.target.fieldsToWrite(user, input) : [];
  if (input && fields.length > 0) {
    const pick = (from: DirectoryUserInput | DirectoryUser) => Object.fromEntries(fields.map((f) => [f, from[f]]));
    findings.push(
      finding(
        'attribute-changed',
        subject,
        `${fields.join(', ')} changed outside SCIM`,
        [planned.updateUser(subject, fields)],
        { declared: pick(input), actual: pick(user) },
        at,
      ),
    );
  }
  // Administrator rights through a group no IdP manages (Metabase Administrators, Superset's Admin role given directly).
  if (isAdminIn(scan, user) && !hasDeclaredAdmin(scan, user)) {
    for (const g of user.groupIds.filter((id) => scan.groups.get(id)?.isAdmin && !scan.managed.has(id))) {
      const group = groupRef(scan.groups.get(g)!);
      findings.push(
        finding(
          'admin-grant',
          subject,
          `administrator through ${label(group)}, which no IdP group declares`,
          [planned.removeMember(group, subject)],
          { declared: { admin: false }, actual: { admin: true }, related: group },
          at,
        ),
      );
    }
  }
}

function checkGroup(scan: Scan, group: DirectoryGroup, record: StoredResource & { members: string[] }): void {
  const { at, findings } = scan;
  const subject = groupRef(group);
  const declared = new Set(record.members);
  const live = scan.liveMembers.get(group.id) ?? new Set<string>();
  for (const id of live) {
    const person = scan.people.get(id);
    if (declared.has(id) || !person) continue;
    const user = userRef(person.user);
    // Joining an admin group grants administrator rights: critical unless another declared group already does.
    const grants = group.isAdmin && !hasDeclaredAdmin(scan, person.user);
    const kind = grants ? 'admin-grant' : 'member-added';
    findings.push(
      finding(
        kind,
        user,
        `in ${label(subject)} without the IdP declaring it${grants ? ', which makes them an administrator' : ''}`,
        [planned.removeMember(subject, user)],
        { declared: { member: false }, actual: { member: true }, related: subject },
        at,
      ),
    );
  }
  for (const id of declared) {
    const person = scan.people.get(id);
    // Gone from the BI tool, or DELETEd: nothing to give back to.
    if (live.has(id) || !person || person.deleted) continue;
    const user = userRef(person.user);
    findings.push(
      finding(
        'member-removed',
        user,
        `taken out of ${label(subject)} outside SCIM`,
        [planned.addMember(subject, user)],
        { declared: { member: true }, actual: { member: false }, related: subject },
        at,
      ),
    );
  }
  const name = String(record.attributes.displayName ?? '');
  if (!record.mappedTo && name && name !== group.name) {
    findings.push(
      finding(
        'attribute-changed',
        subject,
        `renamed outside SCIM from "${name}"`,
        [planned.renameGroup(subject, name)],
        { declared: { displayName: name }, actual: { displayName: group.name } },
        at,
      ),
    );
  }
  // A group bi-scim made that now carries admin rights had a role granted by hand: only the BI tool's UI takes it back.
  if (group.isAdmin && !record.mappedTo) {
    findings.push(
      finding(
        'admin-grant',
        subject,
        'carries administrator rights granted outside SCIM; remove them in the BI tool',
        [],
        { declared: { admin: false }, actual: { admin: true } },
        at,
      ),
    );
  }
}

/** Reads every person (paged) and every group once, and compares them with the records. */
export async function scanDrift(p: Provisioning, options: ScanOptions = {}): Promise<DriftReport> {
  const biCalls: BiCall[] = [];
  return collectBiCalls(biCalls, async () => {
    const at = isoNow(p);
    const groupList = await p.target.listGroups();
    const groupRecords = await p.store.getMany(
      'Group',
      groupList.map((g) => g.id),
      { members: true },
    );
    const scan: Scan = { p, at, groups: new Map(groupList.map((g) => [g.id, g])), managed: new Map(), liveMembers: new Map(), people: new Map(), findings: [] };
    for (const g of groupList) {
      const record = groupRecords.get(g.id);
      if (record && !record.deleted && record.members && !isTombstoneGroup(g)) scan.managed.set(g.id, record as StoredResource & { members: string[] });
    }
    const tombstone = groupList.find(isTombstoneGroup)?.id;
    for (let offset = 0, total = 1; offset < total; offset += SCAN_PAGE) {
      const page = await p.target.listUsers(offset, SCAN_PAGE);
      total = page.items.length < SCAN_PAGE ? Math.min(page.total, offset + page.items.length) : page.total;
      const records = await p.store.getMany(
        'User',
        page.items.map((u) => u.id),
      );
      for (const user of page.items) {
        // bi-scim's own account and the break-glass people are never drift: SCIM may not touch them.
        if (await protectionOf(p, user.id)) continue;
        const record = records.get(user.id) ?? null;
        const deleted = record ? record.deleted === true : tombstone !== undefined && user.groupIds.includes(tombstone);
        scan.people.set(user.id, { user, record, deleted });
        for (const g of user.groupIds) if (scan.managed.has(g)) scan.liveMembers.set(g, (scan.liveMembers.get(g) ?? new Set()).add(user.id));
      }
      options.onProgress?.(Math.min(offset + page.items.length, total), total);
    }
    for (const { user, record, deleted } of scan.people.values()) checkPerson(scan, user, record, deleted);
    for (const [id, record] of scan.managed) checkGroup(scan, scan.groups.get(id)!, record);
    return { scannedAt: at, findings: scan.findings, scanned: { users: scan.people.size, groups: groupList.length }, biCalls: biCalls.length };
  });
}
