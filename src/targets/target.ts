// The Target port: what provisioning needs from a BI tool, in the neutral directory model.
import type { DirectoryGroup, DirectoryUser, DirectoryUserInput, Page, ServiceAccount } from '../directory.ts';
import type { CallModel } from './planning-calls.ts';

/**
 * Why a BI call failed, independent of the BI tool:
 * - `not_found`, `conflict`, `invalid`: the request cannot be applied as sent (the IdP's input).
 * - `forbidden`: the BI tool will not let this change happen (a group it owns, a safety rule of its own).
 * - `protected`: the BI tool refused to remove its last administrator or similar safety rule.
 * - `auth`: the BI tool refuses bi-scim's own credentials, or they lack administrator rights.
 * - `unavailable`, `timeout`, `bad_gateway`: the BI tool failed; the request may be retried.
 * - `unexpected_answer`: the BI tool answered in a shape bi-scim does not know (another version, a proxy's page).
 */
export type TargetErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'forbidden'
  | 'protected'
  | 'auth'
  | 'unavailable'
  | 'timeout'
  | 'bad_gateway'
  | 'unexpected_answer';

export class TargetError extends Error {
  readonly code: TargetErrorCode;
  /** The BI tool's HTTP status, when it answered. */
  readonly upstreamStatus: number | null;
  /** What an IdP may be told: the message without the BI tool's routes and hosts (those stay in the log). */
  readonly detail: string;

  constructor(code: TargetErrorCode, message: string, upstreamStatus: number | null = null, options?: ErrorOptions & { detail?: string }) {
    super(message, options);
    this.name = 'TargetError';
    this.code = code;
    this.upstreamStatus = upstreamStatus;
    this.detail = options?.detail ?? message;
  }
}

/** The keys of `changes` that an adapter's update-body builder would send, asked one key at a time. */
export function fieldsWritten(
  toUpdate: (current: DirectoryUser, changes: Partial<DirectoryUserInput>) => object,
  current: DirectoryUser,
  changes: Partial<DirectoryUserInput>,
): Array<keyof DirectoryUserInput> {
  return (Object.keys(changes) as Array<keyof DirectoryUserInput>).filter((key) => Object.keys(toUpdate(current, { [key]: changes[key] })).length > 0);
}

/** A write worked out but not sent: the BI body, and what the BI tool would hold after it. */
export interface Preview<T> {
  body: Record<string, unknown>;
  result: T;
}

export interface Target {
  readonly kind: 'metabase' | 'superset';
  /**
   * Whether the groups that carry administrator rights are fixed (Metabase: Administrators only). Where they are not
   * (Superset: Admin can be granted to any FAB group by hand at any time), a removal is checked against live state.
   */
  readonly adminGroupsAreFixed: boolean;
  /** Which BI calls each write sends: what a dry run records in its plan instead of sending. */
  readonly writes: CallModel;

  /** Throws TargetError when the BI tool is unreachable or the credentials are refused. */
  checkHealth(): Promise<void>;
  serviceAccount(): Promise<ServiceAccount>;

  getUser(id: string): Promise<DirectoryUser | null>;
  /** Exact, case-insensitive match on email, inactive people included. */
  findUserByEmail(email: string): Promise<DirectoryUser | null>;
  /** Exact, case-insensitive match on the BI login name (Superset); Metabase matches on email. */
  findUserByUsername(username: string): Promise<DirectoryUser | null>;
  /** Every person, inactive included, in a stable order (ascending id). */
  listUsers(offset: number, limit: number): Promise<Page<DirectoryUser>>;
  /** How many people are active (API-key and internal accounts not counted): one cheap call. */
  countActiveUsers(): Promise<number>;
  /** May leave out what the BI tool cannot take on creation (Metabase: locale); callers follow with updateUser. */
  createUser(input: DirectoryUserInput): Promise<DirectoryUser>;
  /** Applies only the keys present in `changes`; `current` is the state just read, so unchanged values are not re-sent. */
  updateUser(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Promise<DirectoryUser>;
  /** Which of `changes` updateUser would write: the rest the BI tool already holds as asked (how drift sees edits made by hand). */
  fieldsToWrite(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Array<keyof DirectoryUserInput>;
  /** What createUser would send (never a password) and the person it would make, id aside, computed without a write (dry runs). */
  previewCreate(input: DirectoryUserInput): Promise<Preview<Omit<DirectoryUser, 'id'>>>;
  /** What updateUser would send and the person it would leave, computed without a call (dry runs); an empty body sends nothing. */
  previewUpdate(current: DirectoryUser, changes: Partial<DirectoryUserInput>): Preview<DirectoryUser>;
  /** Deactivates or reactivates in place; memberships are kept. `current`, when the caller has just read it, spares a read. */
  setUserActive(id: string, active: boolean, current?: DirectoryUser): Promise<void>;
  /** Ids of the groups the BI tool itself drops when it reactivates this inactive person (Metabase: Administrators). */
  reactivationLosses(user: DirectoryUser): string[];
  /** Removes every membership the BI tool lets go of; the ones it keeps for everyone stay (Metabase All Users, Superset's baseline role). */
  clearMemberships(user: DirectoryUser): Promise<void>;
  /**
   * Active human administrators — API-key and internal accounts never count — each with the ids of the groups (or
   * roles) that make them one, so a caller can tell what a change would take away.
   */
  activeAdmins(): Promise<Map<string, string[]>>;
  /** Whether the person is an administrator: `user.isAdmin` when the read told, otherwise read live (one call). */
  isAdministrator(user: DirectoryUser): Promise<boolean>;
  /** Hard delete; adapters that cannot throw TargetError('invalid'). */
  deleteUser(id: string): Promise<void>;

  /** Every group (or role), hidden ones included, in a stable order (ascending id). */
  listGroups(): Promise<DirectoryGroup[]>;
  getGroup(id: string): Promise<DirectoryGroup | null>;
  /** A visible group by exact, case-insensitive name. */
  findGroupByName(name: string): Promise<DirectoryGroup | null>;
  /**
   * The existing BI group or role a configured mapping names (`groupMappings[].target`), hidden ones included:
   * Metabase permission groups (e.g. Administrators); Superset roles (e.g. Admin, Alpha). Its id works with
   * getGroup, listMembers, addMembers and removeMembers.
   */
  findMappingTarget(name: string): Promise<DirectoryGroup | null>;
  createGroup(name: string): Promise<DirectoryGroup>;
  renameGroup(id: string, name: string): Promise<DirectoryGroup>;
  deleteGroup(id: string): Promise<void>;
  /** Ids of the group's current members, read from the BI tool (never from a cache). */
  listMembers(groupId: string): Promise<string[]>;
  /** Idempotent: people already in the group are skipped. The caller holds the group's lock. */
  addMembers(groupId: string, userIds: string[]): Promise<void>;
  /** Idempotent: people not in the group are skipped. The caller holds the group's lock. */
  removeMembers(groupId: string, userIds: string[]): Promise<void>;

  close(): Promise<void>;
}
