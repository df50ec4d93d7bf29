// Where bi-scim keeps each thing in Redis: every key shares one hash tag, so multi-key scripts work on a Cluster too.
import type { IndexName, ResourceKind } from './mapping-store.ts';

export const DEFAULT_NAMESPACE = 'bi-scim';

/** What keyPart escapes in a value that is not well-formed: a lone surrogate or a backslash (per UTF-16 code unit: no `u` flag). */
const ESCAPED = /\\|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Redis keys are bytes and ioredis encodes strings as UTF-8, which turns every lone surrogate into U+FFFD: two
 * different values would share one key. Well-formed values are used as they are (readable in redis-cli);
 * the others get `\uXXXX` for each lone surrogate and `\\` for a backslash, under a segment of their own
 * (`…-escaped:`), so no escaped key can equal a plain one and the escaping is reversible, hence injective.
 */
function keyPart(segment: string, value: string): string {
  return value.isWellFormed() ? `${segment}:${value}` : `${segment}-escaped:${value.replace(ESCAPED, escapeCodeUnit)}`;
}

function escapeCodeUnit(unit: string): string {
  return unit === '\\' ? '\\\\' : `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

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
    /** A record's declared members (a JSON array), kept apart so that reading the record does not read them. */
    members: (kind: ResourceKind, id: string) => `${tag}members:${kind}:${id}`,
    /** The index keys the record's stored version holds (a JSON array), read back by its next write. */
    heldIndexes: (kind: ResourceKind, id: string) => `${tag}idxof:${kind}:${id}`,
    deleted: (kind: ResourceKind) => `${tag}deleted:${kind}`,
    index: (kind: ResourceKind, index: IndexName, value: string) => `${tag}${keyPart(`idx:${kind}:${index}`, value)}`,
    lock: (name: string) => `${tag}${keyPart('lock', name)}`,
    tokens: `${tag}tokens`,
    stream: (name: string) => `${tag}${keyPart('stream', name)}`,
    window: (name: string) => `${tag}${keyPart('window', name)}`,
    value: (key: string) => `${tag}${keyPart('value', key)}`,
    map: (name: string) => `${tag}${keyPart('map', name)}`,
    /** Set once the keys of the layout before hash tags have been moved (see redis-migration.ts). */
    layout: `${tag}layout`,
  };
}

export type KeyLayout = ReturnType<typeof keyLayout>;
