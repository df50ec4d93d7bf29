// Bearer-token authentication (RFC 6750): tokens from the environment plus the store's, compared by SHA-256; it
// tells the request which token it came with, and whether that token is a dry run.
import { timingSafeEqual } from 'node:crypto';
import { PromiseCache } from '../cache.ts';
import type { MiddlewareHandler } from 'hono';
import { ScimError } from '../scim/errors.ts';
import type { MappingStore } from '../store/mapping-store.ts';
import { sha256Hex, type NamedToken } from '../tokens.ts';

export interface BearerAuthOptions {
  /** Tokens from the environment (BI_SCIM_TOKENS); more live in the store. */
  tokens: NamedToken[];
  store: MappingStore;
  /** How long the store's token list is reused; a revoked token stops working within this time. */
  refreshMs?: number;
  now?: () => number;
  /** Told of every refused request before it is answered 401 (the rate limit of callers without a token). */
  onRefused?: () => void;
  /** Told of every accepted request: which token, from which user agent (their last use). */
  onAccepted?: (tokenName: string, userAgent: string | null) => void;
}

interface Candidate {
  name: string;
  hash: Buffer;
  dryRun: boolean;
}

export function bearerAuth({
  tokens,
  store,
  refreshMs = 5_000,
  now = Date.now,
  onRefused = () => undefined,
  onAccepted = () => undefined,
}: BearerAuthOptions): MiddlewareHandler {
  const configured: Candidate[] = tokens.map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, 'hex'), dryRun: false }));
  const stored = new PromiseCache<'all', Candidate[]>({ ttlMs: refreshMs, now });
  const storedCandidates = () =>
    stored.get('all', async () =>
      (await store.listTokens())
        .filter((t) => !t.expiresAt || Date.parse(t.expiresAt) > now())
        .map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, 'hex'), dryRun: t.dryRun === true })),
    );

  const match = (hash: Buffer, candidates: Candidate[]) => candidates.find((c) => c.hash.length === hash.length && timingSafeEqual(c.hash, hash));

  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!bearer) {
      onRefused();
      throw new ScimError('unauthorized', 'Missing bearer token');
    }
    const hash = Buffer.from(sha256Hex(bearer[1]), 'hex');
    const caller = match(hash, configured) ?? match(hash, await storedCandidates());
    if (!caller) {
      onRefused();
      throw new ScimError('unauthorized', 'Invalid bearer token');
    }
    c.set('tokenName', caller.name);
    c.set('dryRun', caller.dryRun);
    onAccepted(caller.name, c.req.header('user-agent') ?? null);
    await next();
  };
}
