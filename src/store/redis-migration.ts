// Moves a deployment's keys from the layout before hash tags (`bi-scim:User:42`) to `{bi-scim}:User:42`, once, at start-up.
import type { ChainableCommander, Redis } from 'ioredis';
import type { KeyLayout } from './redis-keys.ts';

export interface MigrationDeps {
  /** A server or Sentinel-managed primary: the old layout could not run on a Cluster, so there is nothing to move there. */
  redis: Redis;
  keys: KeyLayout;
  namespace: string;
  /** The store's own lock, taken without waiting for this migration. */
  lock<T>(key: string, fn: () => Promise<T>, options: { waitMs: number }): Promise<T>;
  log(message: string): void;
}

const SCAN_COUNT = 500;
/** Other replicas starting at the same time wait this long for the one that migrates. */
const MIGRATION_WAIT_MS = 120_000;
const LAYOUT_VERSION = '2';

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Tokens and tombstones cannot be rebuilt from the BI tool, so the keys of a deployment that ran before the
 * hash-tagged layout are moved, not dropped: each old key is renamed to the same name under the tag (RENAMENX
 * keeps a key's type and ttl, and never overwrites), and the lists of index keys a record holds are rewritten to
 * the new names. One replica migrates under a lock while the others wait; the marker key is set last, so a crash
 * half-way is finished by the next start. Old replicas must be stopped first (see docs/redis.md): a key they
 * write after the migration stays in the old layout, unread.
 */
export async function migrateLegacyLayout(deps: MigrationDeps): Promise<void> {
  const { redis, keys } = deps;
  if ((await redis.exists(keys.layout)) === 1) return;
  await deps.lock(
    'layout-migration',
    async () => {
      if ((await redis.exists(keys.layout)) === 1) return;
      const oldPrefix = `${deps.namespace}:`;
      let [moved, kept] = [0, 0];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${escapeGlob(oldPrefix)}*`, 'COUNT', SCAN_COUNT);
        const page = await movePage(redis, found, oldPrefix, keys.tag);
        moved += page.moved;
        kept += page.kept;
        cursor = next;
      } while (cursor !== '0');
      await redis.set(keys.layout, LAYOUT_VERSION);
      if (moved + kept > 0) {
        deps.log(
          `Moved ${moved} Redis keys from ${oldPrefix}… to ${keys.tag}… (the hash-tagged layout)` +
            (kept > 0 ? `; left ${kept} whose new name was already taken` : ''),
        );
      }
    },
    { waitMs: MIGRATION_WAIT_MS },
  );
}

/** A pipeline's replies; a key that vanished since SCAN listed it (SCAN may list a key twice) reads as null. */
async function replies(pipeline: ChainableCommander): Promise<unknown[]> {
  return ((await pipeline.exec()) ?? []).map(([err, value]) => {
    if (err && !/no such key/i.test(err.message)) throw err;
    return err ? null : value;
  });
}

/**
 * Moves one SCAN page in two round trips: plain keys are renamed and index-key lists read in one pipeline, then
 * the lists are rewritten and set in one MULTI with the old keys' removal. A key whose new name is already
 * taken is left where it is, and counted as kept.
 */
async function movePage(redis: Redis, oldKeys: string[], oldPrefix: string, tag: string): Promise<{ moved: number; kept: number }> {
  // The audit trail became one of the named streams (`stream:audit`).
  const rename = (key: string) => tag + (key.slice(oldPrefix.length) === 'audit' ? 'stream:audit' : key.slice(oldPrefix.length));
  const unique = [...new Set(oldKeys)];
  const lists = unique.filter((key) => rename(key).startsWith(`${tag}idxof:`));
  const plain = unique.filter((key) => !rename(key).startsWith(`${tag}idxof:`));
  const read = redis.pipeline();
  for (const key of plain) read.renamenx(key, rename(key));
  for (const key of lists) read.get(key).exists(rename(key));
  const results = await replies(read);
  const write = redis.multi();
  const rewritten = lists.filter((key, i) => {
    const [held, taken] = results.slice(plain.length + 2 * i, plain.length + 2 * i + 2);
    if (typeof held !== 'string' || taken === 1) return false;
    const renamed = (JSON.parse(held) as string[]).map((name) => (name.startsWith(oldPrefix) ? rename(name) : name));
    write.set(rename(key), JSON.stringify(renamed)).del(key);
    return true;
  });
  if (rewritten.length > 0) await replies(write);
  const moved = results.slice(0, plain.length).filter((renamed) => renamed === 1).length + rewritten.length;
  return { moved, kept: unique.length - moved };
}
