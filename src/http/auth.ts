// Bearer-token authentication (RFC 6750): tokens from the environment plus the store's, compared by SHA-256.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ScimError } from '../scim/errors.ts';
import type { MappingStore } from '../store/mapping-store.ts';

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A configured token is plaintext or `sha256:<hex>`; either way only its hash is kept in memory. */
export function hashOfConfiguredToken(token: string): string {
  return token.startsWith('sha256:') ? token.slice('sha256:'.length).toLowerCase() : sha256Hex(token);
}

export interface BearerAuthOptions {
  tokens: string[];
  store: MappingStore;
  /** How long the store's token list is reused; a revoked token stops working within this time. */
  refreshMs?: number;
  now?: () => number;
}

export function bearerAuth({ tokens, store, refreshMs = 5_000, now = Date.now }: BearerAuthOptions): MiddlewareHandler {
  const configured = tokens.map((t) => Buffer.from(hashOfConfiguredToken(t), 'hex'));
  let stored: { at: number; hashes: Promise<Buffer[]> } | null = null;

  const storedHashes = (): Promise<Buffer[]> => {
    if (!stored || now() - stored.at > refreshMs) {
      const hashes = store.listTokens().then((list) =>
        list.filter((t) => !t.expiresAt || Date.parse(t.expiresAt) > now()).map((t) => Buffer.from(t.sha256, 'hex')),
      );
      hashes.catch(() => (stored = null));
      stored = { at: now(), hashes };
    }
    return stored.hashes;
  };

  const matches = (hash: Buffer, candidates: Buffer[]) => candidates.some((c) => c.length === hash.length && timingSafeEqual(c, hash));

  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ScimError('unauthorized', 'Missing bearer token');
    const hash = Buffer.from(sha256Hex(match[1]), 'hex');
    if (!matches(hash, configured) && !matches(hash, await storedHashes())) {
      throw new ScimError('unauthorized', 'Invalid bearer token');
    }
    await next();
  };
}
