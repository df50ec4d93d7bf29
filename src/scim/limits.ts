// What one request may ask for, so no single request can make bi-scim or the BI tool work without bound.

export const LIMITS = {
  /** Operations in one PATCH (RFC 7644 §3.5.2 sets none; Okta and Entra send a handful). */
  maxOperations: 1_000,
  /** Values of one multi-valued attribute other than members (emails, phone numbers). */
  maxValues: 100,
  /** Members named in one request: Okta's wizard apps PUT whole groups, so this is a group's size, not a batch. */
  maxMembers: 10_000,
  /** Names in `attributes` / `excludedAttributes`. */
  maxAttributeNames: 100,
  /** Nesting of a JSON body; a SCIM resource is at most four levels deep. */
  maxJsonDepth: 32,
} as const;
