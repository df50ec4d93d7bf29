// The MappingStore port: bi-scim's own state beside the BI tool (attributes it cannot hold, meta, indexes, locks, tokens, audit).
import { ATTRIBUTE_FACTS, INDEXED_ATTRIBUTES, type ResourceKind } from '../scim/schemas.ts';

export type { ResourceKind };

/** What bi-scim keeps for one SCIM resource, keyed by the BI tool's id. */
export interface StoredResource {
  id: string;
  kind: ResourceKind;
  /** The SCIM attributes as the IdP last sent them (no id, no meta), returned exactly as sent. */
  attributes: Record<string, unknown>;
  created: string;
  lastModified: string;
  /** A DELETEd user: answers 404, but a later POST of the same userName revives this id. */
  deleted?: boolean;
  /** Groups the BI tool drops on reactivation (Metabase: Administrators), kept until they are given back. */
  restoreGroups?: string[];
  /** A Group linked by a configured mapping to an existing BI group or role of this name: never renamed or deleted in the BI tool. */
  mappedTo?: string;
  /**
   * A Group's members as the IdP last declared them (BI user ids): what drift compares the BI tool's members with.
   * Stored apart from the record and read only when asked for (`ReadOptions`); absent when none was declared.
   */
  members?: string[];
}

/** A Group's declared members can be tens of thousands of ids that most reads never look at, so they come on request. */
export interface ReadOptions {
  members?: boolean;
}

export interface ApiToken {
  name: string;
  /** Hex SHA-256 of the token; the token itself is never stored. */
  sha256: string;
  createdAt: string;
  expiresAt: string | null;
  /** Writes through a dry-run token are planned, never sent to the BI tool (`bi-scim plan` shows them). */
  dryRun?: boolean;
}

/** One entry of an append-only stream (the audit trail): `id` orders entries, `at` is when it was appended (ms). */
export interface StreamEntry {
  id: string;
  at: number;
  value: unknown;
}

/** Entries beyond either bound are dropped (approximately: the store may keep a few more). */
export interface StreamRetention {
  maxEntries: number;
  maxAgeMs: number;
}

export interface StreamQuery {
  /** Appended at or after this instant (ms). */
  fromMs?: number;
  /** Appended at or before this instant (ms). */
  toMs?: number;
  /** Only entries after this id (for following a stream). */
  after?: string;
  /** Only entries before this id (for paging back). */
  before?: string;
  limit: number;
  order: 'newest' | 'oldest';
}

/** A sliding-window counter's admission: `count` more events fit when the window stays within `budget`. */
export interface WindowRequest {
  nowMs: number;
  windowMs: number;
  budget: number;
  count: number;
  /** Admit even over the budget (an approval is in force); the events are counted all the same. */
  force: boolean;
}

export type IndexName = (typeof INDEXED_ATTRIBUTES)[ResourceKind][number];

/** The indexable strings of an attribute: itself, or each `value` of a multi-valued one. */
function indexValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.map((item) => (item as { value?: unknown } | null)?.value).filter((v): v is string => typeof v === 'string');
}

/** Values of attributes that are not case-exact are indexed lower-cased, so lookups ignore case (RFC 7643 §2.3.1). */
export function normalizeIndexValue(index: IndexName, value: string): string {
  const name = index.toLowerCase();
  const caseExact = ATTRIBUTE_FACTS.multiValued.has(name) ? ATTRIBUTE_FACTS.caseExact.has(`${name}.value`) : ATTRIBUTE_FACTS.caseExact.has(name);
  return caseExact ? value : value.toLowerCase();
}

/** The index entries a resource occupies, derived from its attributes; both store implementations use this. */
export function indexEntries(resource: StoredResource): Array<[IndexName, string]> {
  const entries: Array<[IndexName, string]> = [];
  for (const index of INDEXED_ATTRIBUTES[resource.kind]) {
    for (const value of new Set(
      indexValues(resource.attributes[index])
        .filter((v) => v !== '')
        .map((v) => normalizeIndexValue(index, v)),
    )) {
      entries.push([index, value]);
    }
  }
  return entries;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** A lock could not be taken in time: another request is changing the same resource. */
export class LockTimeoutError extends StoreError {
  override name = 'LockTimeoutError';
}

export interface LockOptions {
  /** How long to wait for the lock before giving up. */
  waitMs?: number;
  /** How long the lock outlives its holder: a live holder renews it every ttlMs/3 until its work settles. */
  ttlMs?: number;
}

/**
 * Both stores' defaults: a waiter gives up well inside an IdP's 60 s timeout; a holder that dies (a replica killed
 * mid-request) frees the lock within 5 s, so the IdP's retry of that person gets through.
 */
export const DEFAULT_LOCK_OPTIONS: Required<LockOptions> = { waitMs: 10_000, ttlMs: 5_000 };

export interface MappingStore {
  readonly kind: 'memory' | 'redis';

  get(kind: ResourceKind, id: string, options?: ReadOptions): Promise<StoredResource | null>;
  getMany(kind: ResourceKind, ids: readonly string[], options?: ReadOptions): Promise<Map<string, StoredResource>>;
  /**
   * Writes the resource and moves its index entries (dropping the ones its previous version held). A Group's
   * `members` are replaced by the ones given, or dropped when absent: put a record read with its members.
   */
  put(resource: StoredResource): Promise<void>;
  remove(kind: ResourceKind, id: string): Promise<void>;
  /** Ids of tombstoned (DELETEd) resources of a kind. */
  deletedIds(kind: ResourceKind): Promise<string[]>;
  /** The id indexed under `value`, or null. userName and displayName compare case-insensitively. */
  findId(kind: ResourceKind, index: IndexName, value: string): Promise<string | null>;

  /**
   * Runs `fn` while holding an exclusive lock on `key`, across replicas when the store is shared. The lock is
   * renewed while `fn` runs, however long it takes, and expires ttlMs after its holder dies.
   */
  withLock<T>(key: string, fn: () => Promise<T>, options?: LockOptions): Promise<T>;

  putToken(token: ApiToken): Promise<void>;
  listTokens(): Promise<ApiToken[]>;
  /** True when a token of that name existed. */
  deleteToken(name: string): Promise<boolean>;

  /** Appends to a named stream and trims it to `retention`; answers the entry's id. */
  append(stream: string, value: unknown, retention: StreamRetention): Promise<string>;
  readStream(stream: string, query: StreamQuery): Promise<StreamEntry[]>;

  /** Counts `count` events into a named sliding window if they fit (atomically across replicas). */
  admit(window: string, request: WindowRequest): Promise<{ admitted: boolean; inWindow: number }>;
  countWindow(window: string, nowMs: number, windowMs: number): Promise<number>;
  clearWindow(window: string): Promise<void>;

  /** Small JSON values by key, optionally expiring. */
  getValue(key: string): Promise<unknown>;
  setValue(key: string, value: unknown, ttlMs?: number): Promise<void>;
  deleteValue(key: string): Promise<void>;

  /** Named maps of JSON values (token use, declared state, findings). */
  putEntry(map: string, field: string, value: unknown): Promise<void>;
  getEntries(map: string): Promise<Record<string, unknown>>;
  deleteEntry(map: string, field: string): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
