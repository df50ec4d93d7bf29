// Where bi-scim keeps each thing in Redis: every key shares one hash tag, so multi-key scripts work on a Cluster too.
import type { IndexName, ResourceKind } from './mapping-store.ts';

export const DEFAULT_NAMESPACE = 'bi-scim';

/**
 * Every key is `{<namespace>}:…`, e.g. `{bi-scim}:User:42`, `{bi-scim}:idx:User:userName:alice@example.com`.
 * Redis Cluster hashes only the part in braces, so all of a deployment's keys live in one slot: a record and its
 * index entries can change together in one script on one server, a Sentinel primary or a Cluster alike.
 */
export function keyLayout(namespace: string = DEFAULT_NAMESPACE) {
  if (/[{}]/.test(namespace)) throw new Error(`Redis namespace "${namespace}" must not contain braces`);
  const tag = `{${namespace}}:`;
  return {
    tag,
    record: (kind: ResourceKind, id: string) => `${tag}${kind}:${id}`,
    /** The index keys the record's stored version holds (a JSON array), read back by its next write. */
    heldIndexes: (kind: ResourceKind, id: string) => `${tag}idxof:${kind}:${id}`,
    deleted: (kind: ResourceKind) => `${tag}deleted:${kind}`,
    index: (kind: ResourceKind, index: IndexName, value: string) => `${tag}idx:${kind}:${index}:${value}`,
    lock: (name: string) => `${tag}lock:${name}`,
    tokens: `${tag}tokens`,
    audit: `${tag}audit`,
    /** Set once the keys of the layout before hash tags have been moved (see redis-migration.ts). */
    layout: `${tag}layout`,
  };
}

export type KeyLayout = ReturnType<typeof keyLayout>;
