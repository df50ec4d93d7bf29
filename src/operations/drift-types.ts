// What a drift scan reports (design §7 decisions 1–2): findings with a kind, a severity and the BI calls that fix them.

export const DRIFT_KINDS = ['admin-grant', 'reactivated', 'deactivated', 'member-added', 'member-removed', 'attribute-changed', 'unmanaged'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** What `reconcile --only` and `drift.autoRevert` choose among (CLI words: admin-grants, activation, memberships, attributes). */
export const FIX_CATEGORIES = {
  adminGrants: ['admin-grant'],
  activation: ['reactivated', 'deactivated'],
  memberships: ['member-added', 'member-removed'],
  attributes: ['attribute-changed'],
} as const satisfies Record<string, readonly DriftKind[]>;
export type FixCategory = keyof typeof FIX_CATEGORIES;
export const FIX_CATEGORY_NAMES = Object.keys(FIX_CATEGORIES) as [FixCategory, ...FixCategory[]];

/** Most severe first: admin rights › access turned on or off › group membership › attributes › accounts no IdP manages. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_OF: Record<DriftKind, Severity> = {
  'admin-grant': 'critical',
  reactivated: 'high',
  deactivated: 'high',
  'member-added': 'medium',
  'member-removed': 'medium',
  'attribute-changed': 'low',
  unmanaged: 'info',
};

/** One BI call a reconcile would make, in words an operator reads. */
export interface PlannedCall {
  method: string;
  route: string;
  summary: string;
}

export interface DriftFinding {
  /** Stable across scans for the same difference, so each finding is alerted once until it is resolved. */
  id: string;
  kind: DriftKind;
  severity: Severity;
  subject: { type: 'User' | 'Group'; id: string; name: string | null };
  /** The other side, for membership and admin findings (the group, or the person). */
  related?: { type: 'User' | 'Group'; id: string; name: string | null };
  detail: string;
  declared: unknown;
  actual: unknown;
  /** The calls that restore what the IdP declared; empty where nothing is reverted (informational findings). */
  fix: PlannedCall[];
  firstSeenAt: string;
}

export interface DriftReport {
  scannedAt: string;
  findings: DriftFinding[];
  scanned: { users: number; groups: number };
  /** BI calls the scan made (its cost is bounded and measured in the bench). */
  biCalls: number;
}
