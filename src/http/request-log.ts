// One log line per request with its request id; no header or body is logged, so no credential can leak.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

export function requestLog(logger: Logger): MiddlewareHandler {
  // Redaction matches keys, and this line's keys are the six below, none a credential: the pass would never match,
  // yet it made a tenth of a read's allocations (BENCHMARKS.md, figure 1b).
  const lines = logger.child({}, { redact: [] });
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userAgent: c.req.header('user-agent'),
    };
    if (status >= 500) lines.error(line, 'request failed');
    else lines.info(line, 'request');
  };
}
