// Request limits: body size (413) and an optional request rate (429 with an integer Retry-After, as Okta expects).
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ScimError } from '../scim/errors.ts';

export function maxBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ScimError('payloadTooLarge', `The request body exceeds ${maxBytes} bytes`);
    },
  });
}

/** A token bucket over all requests; 0 turns it off. IdPs back off on 429, so it only guards the BI tool. */
export function rateLimit({ perSecond, now = Date.now }: { perSecond: number; now?: () => number }): MiddlewareHandler {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let last = now();
  return async function rateLimitMiddleware(_c, next) {
    if (perSecond > 0) {
      const t = now();
      tokens = Math.min(capacity, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) throw new ScimError('tooManyRequests', 'Too many requests', { retryAfter: Math.ceil((1 - tokens) / perSecond) });
      tokens -= 1;
    }
    await next();
  };
}
