// pino JSON logs; credentials are redacted wherever they might appear.
import pino, { type Logger } from 'pino';

/** Paths that may carry a secret in any object bi-scim logs. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-metabase-session"]',
  'headers.authorization',
  'config.target.credentials',
  'config.idpTokens',
  'config.redisUrl',
];

/**
 * Standard output, written in batches of 4 KiB and at least once a second: one write per request line costs about
 * a tenth of a proxied request's CPU (BENCHMARKS.md, figure 1b). pino flushes the batch when the process exits.
 */
function stdoutInBatches(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
}

export function createLogger(level: string, destination: pino.DestinationStream = stdoutInBatches()): Logger {
  return pino(
    {
      level,
      base: { service: 'bi-scim' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
