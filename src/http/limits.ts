// Request limits: body size (413) and an optional request rate per token (429 with an integer Retry-After).
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../routes/context.ts';
import { ScimError } from '../scim/errors.ts';

export function maxBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ScimError('payloadTooLarge', `The request body exceeds ${maxBytes} bytes`);
    },
  });
  // A GET or HEAD carries no body, and asking for one makes the Node server build a whole fetch Request.
  return async function limitBody(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return limit(c, next);
  };
}

/** A token bucket: `take()` is false when the bucket is empty, with the seconds until the next token. */
function tokenBucket(perSecond: number, now: () => number) {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let last = now();
  return (): number => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens < 1) return Math.ceil((1 - tokens) / perSecond);
    tokens -= 1;
    return 0;
  };
}

/** Requests without a valid token share this fraction of one token's budget. */
const UNAUTHENTICATED_SHARE = 0.1;

export interface RateLimits {
  /** After authentication: each token has a bucket of its own, so nobody can spend an IdP's budget. */
  perToken: MiddlewareHandler<AppEnv>;
  /** Called for a request whose token was refused; throws 429 once their own, smaller budget is spent. */
  refused(): void;
}

/** IdPs back off on 429 (Okta honours Retry-After), so the limit only guards the BI tool; 0 turns it off. */
export function rateLimit({ perSecond, now = Date.now }: { perSecond: number; now?: () => number }): RateLimits {
  const buckets = new Map<string, () => number>();
  const anonymous = tokenBucket(perSecond * UNAUTHENTICATED_SHARE, now);
  const refuse = (wait: number) => {
    if (wait > 0) throw new ScimError('tooManyRequests', 'Too many requests', { retryAfter: wait });
  };
  return {
    perToken: async function rateLimitMiddleware(c, next) {
      if (perSecond > 0) {
        const name = c.get('tokenName');
        if (!buckets.has(name)) buckets.set(name, tokenBucket(perSecond, now));
        refuse(buckets.get(name)!());
      }
      await next();
    },
    refused: () => {
      if (perSecond > 0) refuse(anonymous());
    },
  };
}
