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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
