// The neutral directory model that provisioning and every Target adapter speak (types only).

/** A person as the BI tool holds them. `id` is the BI tool's own primary key, as a string. */
export interface DirectoryUser {
  id: string;
  email: string;
  /** The BI login name where the tool has one apart from the email (Superset); null for Metabase. */
  username: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  locale: string | null;
  /**
   * True when the BI tool treats this person as a full administrator; null when the read cannot tell without another
   * call (Superset: a FAB group the person is in may carry Admin). `Target.isAdministrator` always tells.
   */
  isAdmin: boolean | null;
  /** Non-null when an SSO integration owns the person's names (Metabase `sso_source`). */
  ssoSource: string | null;
  /** Ids of the groups (or roles) the person is a direct member of, hidden groups included. */
  groupIds: string[];
  created: string | null;
  lastModified: string | null;
}

/** What provisioning asks the BI tool to store for a person. Absent keys are left unchanged on update. */
export interface DirectoryUserInput {
  email: string;
  username: string | null;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
}

export interface DirectoryGroup {
  id: string;
  name: string;
  /** Groups the BI tool manages itself (Metabase "All Users", "Administrators"): never exposed unless mapped. */
  hidden: boolean;
  /** The BI tool's administrator group (Metabase Administrators, Superset Admin role). */
  isAdmin: boolean;
}

/** The account bi-scim itself authenticates as: it can never be deactivated, deleted or demoted via SCIM. */
export interface ServiceAccount {
  userId: string | null;
  email: string | null;
  isAdmin: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
}
